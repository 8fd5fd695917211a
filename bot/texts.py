"""Everything the bot says, in one place: plain, warm, short Chinese (see shared voice notes)."""

from __future__ import annotations

HUMAN_HINT = '想找律师细问，回复"人工"。'
HOTLINE = "12348法律服务热线"

SMALLTALK = (
    "您好！我是县司法局的法律咨询助手。土地、婚姻家庭、欠工资、借钱、交通事故这些法律问题，"
    '您直接打字或发语音问我就行。要找村里的法律顾问，回复"人工"。'
)
THANKS = '不客气！还有别的法律问题，随时问我。要找律师，回复"人工"。'
ASK_VILLAGE = (
    '您好！为了把问题转给您村的法律顾问，请先告诉我您是哪个村的：回复"绑定 村名"，'
    '比如"绑定 河东村"。也可以扫村里公示牌上的二维码。'
)
ASK_VILLAGE_KEPT = "您的问题已记下了。" + ASK_VILLAGE
UNKNOWN_VILLAGE = '没找到"{name}"这个村。请核对村名，或回复"绑定 村代码"（公示牌上有），也可以扫村里的二维码。'
CHOOSE_VILLAGE = "有几个村叫这个名字，请回复序号选一个：\n{options}"
BOUND = "已为您绑定{village}（{town}），您村的法律顾问是{adviser}。{hours}有法律问题直接问我就行。"
WELCOME = (
    '欢迎关注！这里是县司法局"一村一法律顾问"服务号，有法律问题可以直接打字或发语音问。'
    '找律师请回复"人工"，法律服务热线12348。'
)
ADVISER_BOUND = '{name}律师您好，已绑定为法律顾问，负责：{villages}。村民转来的问题会发到这里，回复"待办"查看。'
ADVISER_UNKNOWN = "没有找到手机号为{phone}的顾问，请联系县司法局核对花名册。"

FAQ_ANSWER = "{answer}\n依据：{citations}。\n下一步：{next_step}\n" + HUMAN_HINT
FORWARDED = (
    "您的问题需要律师具体看看，已转给{village}的法律顾问{adviser}（编号#{number}），"
    "一般{hours}个工作小时内答复，请留意消息。着急可拨打" + HOTLINE + "。"
)
FORWARDED_NO_VILLAGE = "您的问题需要律师具体看看，会转给您村的法律顾问。着急可拨打" + HOTLINE + "。"
FORWARDED_HUMAN = (
    "好的，已请{village}的法律顾问{adviser}来答复您（编号#{number}），一般{hours}个工作小时内回复。"
    "您可以先把情况说详细些，我会一并转给顾问。"
)
HUMAN_ASK_DETAILS = "好的，请把您的问题说一说，我马上转给您村的法律顾问。"
FOLLOW_UP_JOINED = "已补充到您的咨询（编号#{number}），{adviser}会一并答复。"
MEDIA_JOINED = "收到您发的{kind}，已附到您的咨询（编号#{number}），顾问会一起看。"
MEDIA_NO_CONSULTATION = '收到您发的{kind}。我暂时看不了{kind}，请用文字简单说说遇到了什么事，或回复"人工"找律师。'
UNSUPPORTED = '这类消息我暂时处理不了。有法律问题请直接打字或发语音问我，找律师请回复"人工"。'
SORRY = "抱歉，系统刚才出了点问题，您的消息已保存，我们会尽快处理。着急可拨打" + HOTLINE + "。"
LATE_REPLY = "您好，刚才系统出了点问题，让您久等了。您之前发来的消息，回复如下：\n\n"

ADVISER_NOTICE = (
    "【新咨询 #{number}】{village}（{town}）\n村民{villager}于{asked_at}提问，请在{deadline}前答复。\n"
    "问题：{question}\n机器判断类别：{category}\n"
    "回复方式：回复 #{number} 您的答复"
)
ADVISER_FOLLOW_UP = "【咨询 #{number} 补充】村民补充：{text}\n回复方式：回复 #{number} 您的答复"
ADVISER_HELP = (
    "顾问您好。答复村民请发：#编号 答复内容（如：#57 您好，这种情况…）；查看待办发：待办；"
    "村民只是闲聊、不是法律问题，发：#编号 非法律问题。"
)
ADVISER_REPLY_DONE = "已把您对 #{number} 的答复转给村民，并记入台账。"
ADVISER_NOT_FOUND = '没有编号为 #{number} 的咨询，请核对编号；发"待办"可查看您的咨询。'
ADVISER_NOT_ASSIGNED = "#{number} 不是您负责的村的咨询，不能答复。如有疑问请联系司法所。"
ADVISER_EMPTY_ANSWER = "请在编号后写上答复内容，例如：#{number} 您好，这种情况可以…"
ADVISER_TODO_EMPTY = "您目前没有待答复的咨询。"
ADVISER_TODO_HEAD = "您有{count}条待答复的咨询（最早的在前）："
ADVISER_TODO_LINE = "#{number} {village} 已等{waited}：{question}"
RELAYED_ANSWER = "【法律顾问答复 #{number}】{adviser}：\n{answer}\n还有疑问可以直接回复我。"
SUPPLEMENT_ANSWER = "【法律顾问补充答复 #{number}】{adviser}：\n{answer}"
HELD_NOTICE = "（以下是您之前咨询的答复）\n"

ALERT_NOTICE = (
    "【紧急 #{number}】{village}村民的消息涉及{label}，请立即联系处理。\n内容：{text}\n收到请回复：#{number} 您的答复"
)

RATE_PROMPT = "对这次答复满意吗？回复1满意，2基本满意，3不满意。"
RATED = "谢谢您的评价！还有别的法律问题，随时问我。"
RATED_UNHAPPY = "很抱歉没能帮上您。已请{adviser}再看看您的问题（编号#{number}），会尽快联系您。"
ESCALATED_TO_B_VILLAGER = "{old}暂时没能答复，您的问题（编号#{number}）已转给同村的另一位法律顾问{new}，请再耐心等等。"
ESCALATED_TO_OFFICE_VILLAGER = (
    "您的问题（编号#{number}）顾问还没来得及答复，已请{office}协调处理，会尽快联系您。着急可拨打12348。"
)
ESCALATED_NOTICE = (
    "【转办 #{number}】{reason}\n{village}村民于{asked_at}提问：{question}\n回复方式：回复 #{number} 您的答复"
)
ADVISER_UNDELIVERED = (
    "【答复未送达 #{number}】{village}村民{villager}还没有收到您{answered_at}的答复：{reason}。"
    "请打电话或上门告诉村民答复内容；村民再发消息时，系统也会把答复一并带给他。"
)
UNDELIVERED_SILENT = "村民48小时内没有再发消息，微信不允许公众号主动发给他"
UNDELIVERED_REFUSED = "微信拒收（村民可能已取消关注公众号）"
UNDELIVERED_GROUP = "村民是在群里提问的，系统不能主动私信他，要等他再发消息"
REMINDER = "【提醒】#{number}（{village}）将于{deadline}到期，{consequence}。回复方式：回复 #{number} 您的答复"
ALERT_RESEND = "【紧急未确认 #{number}】{village}村民的消息涉及{label}，至今无人确认，请立即处理。\n内容：{text}\n确认请回复：#{number} 收到"
ALERT_ACKED = "已确认 #{number}，请尽快处置。处置后可回复：#{number} 处置 您采取的措施"
ALERT_DISPOSED = "已记录 #{number} 的处置情况。"
HANDED_OVER = (
    "【转交 #{number}】{from_name}把这条咨询转给您。\n{village}村民问：{question}\n回复方式：回复 #{number} 您的答复"
)
LEGAL_AID = (
    "另外，您可能可以申请免费的法律援助（{group}优先）：拨打12348，或到县法律援助中心申请，"
    "带上身份证、经济困难的说明和与案子有关的材料。"
)
CHECKED_IN = "已签到：{village}，{time}。结束时请发“签退”。"
CHECKED_OUT = "已签退：{village}，本次驻点{hours}小时。本月在{village}累计{month_hours}小时（要求{minimum}小时）。"
CHECK_IN_WHICH = "您负责{villages}，请发“签到 村名”，例如：签到 {example}"
NOT_CHECKED_IN = "您今天还没有签到。"
ACTIVITY_RECORDED = "已记录{kind}：{village}，{note}"
DUTY_SUMMARY_HEAD = "本月驻点情况（要求每村每月{minimum}小时）："
NOT_LEGAL_CLOSED = "已把 #{number} 记为非法律问题并关闭，不计入咨询统计和台账。"
NOT_LEGAL_TO_VILLAGER = (
    "您好，您发来的消息（编号{number}）顾问已经看过了。这条不是法律方面的问题，就不作为法律咨询登记了。"
    "以后有法律上的事想问，直接发过来就行。"
)
FAQ_PROPOSED = "已把 #{number} 的答复提交为常见问题候选，审核通过后机器人就能直接回答类似问题。"
LOGIN_LINK = "顾问工作台登录链接（15分钟内有效，只能用一次）：\n{url}"
REOPENED_NOTICE = "【不满意 #{number}】村民对答复不满意，请再联系。\n问题：{question}\n上次答复：{answer}\n回复方式：回复 #{number} 您的答复"
WECOM_NOT_ADVISER = "本应用供村（社区）法律顾问答复村民咨询使用。您不在顾问名单中，如有疑问请联系县司法局。"
