/* The simulator page: two phones, a villager's and an adviser's, talking to the real /wechat webhook. */
(function () {
  "use strict";
  const $ = (id) => document.getElementById(id);
  let cfg = null;
  let lastSent = null;
  let msgCounter = Date.now() * 1000;
  const shown = { villager: new Set(), adviser: new Set() };

  function add(chat, cls, text) {
    const div = document.createElement("div");
    div.className = "msg " + cls;
    div.textContent = text;
    $(chat).appendChild(div);
    $(chat).scrollTop = $(chat).scrollHeight;
  }

  async function post(fields, chat) {
    const req = await WeChatSim.buildRequest(cfg, fields);
    lastSent = { fields, chat };
    const res = await fetch("/wechat?" + req.query, { method: "POST", body: req.body, headers: { "Content-Type": "text/xml" } });
    const text = await res.text();
    if (!res.ok) { add(chat, "sys", `服务器返回 ${res.status}：${text}`); return; }
    const inner = await WeChatSim.openReply(cfg, text);
    if (inner) add(chat, "bot", WeChatSim.extractTag(inner, "Content"));
  }

  function base(from, type) {
    return { ToUserName: cfg.account, FromUserName: from, CreateTime: Math.floor(Date.now() / 1000), MsgType: type };
  }

  async function sendVillager(ev) {
    ev.preventDefault();
    const from = $("villager-id").value;
    const kind = $("villager-type").value;
    const text = $("villager-text").value.trim();
    let fields;
    if (kind === "text") {
      if (!text) return;
      fields = Object.assign(base(from, "text"), { Content: text, MsgId: ++msgCounter });
      add("villager-chat", "me", text);
    } else if (kind === "voice" || kind === "voice-raw") {
      fields = Object.assign(base(from, "voice"), { MediaId: "demo-voice-" + msgCounter, Format: "amr", MsgId: ++msgCounter });
      if (kind === "voice") { if (!text) return; fields.Recognition = text; }
      add("villager-chat", "me", "🎤 " + (kind === "voice" ? text : "[语音]"));
    } else {
      fields = Object.assign(base(from, "image"), { PicUrl: "http://example.invalid/p.jpg", MediaId: "demo-img-" + msgCounter, MsgId: ++msgCounter });
      add("villager-chat", "me", "🖼 [图片]");
    }
    $("villager-text").value = "";
    await post(fields, "villager-chat");
  }

  async function sendAdviser(ev) {
    ev.preventDefault();
    const text = $("adviser-text").value.trim();
    if (!text) return;
    add("adviser-chat", "me", text);
    $("adviser-text").value = "";
    await post(Object.assign(base($("adviser-id").value, "text"), { Content: text, MsgId: ++msgCounter }), "adviser-chat");
  }

  async function scan() {
    const from = $("villager-id").value;
    const code = $("village-qr").value;
    add("villager-chat", "sys", "扫描了村二维码 " + code);
    await post(Object.assign(base(from, "event"), { Event: "subscribe", EventKey: "qrscene_" + code, Ticket: "demo" }), "villager-chat");
  }

  async function retry() {
    if (!lastSent) return;
    add(lastSent.chat, "sys", "（模拟微信重试：同一条消息再发一次）");
    await post(lastSent.fields, lastSent.chat);
  }

  async function poll(who, openid, chat) {
    if (!openid) return;
    const res = await fetch("/simulator/api/outbox?openid=" + encodeURIComponent(openid));
    if (!res.ok) return;
    for (const m of (await res.json()).messages) {
      const key = m.id + ":" + m.status;
      if (shown[who].has(key) || shown[who].has(m.id + ":sent")) continue;
      shown[who].add(key);
      if (m.status === "held") add(chat, "held", "（48小时窗口已过，这条消息等您下次发消息时送达）\n" + m.text);
      else add(chat, "push", m.text);
    }
  }

  async function init() {
    cfg = await (await fetch("/simulator/api/config")).json();
    for (const v of cfg.villagers) $("villager-id").add(new Option(v.name, v.openid));
    for (const v of cfg.villages) $("village-qr").add(new Option(`${v.name}（${v.town}） ${v.code}`, v.code));
    for (const a of cfg.advisers.concat(cfg.offices)) if (a.openid) $("adviser-id").add(new Option(a.name, a.openid));
    $("villager-form").addEventListener("submit", (e) => sendVillager(e).catch((err) => add("villager-chat", "sys", "出错：" + err)));
    $("adviser-form").addEventListener("submit", (e) => sendAdviser(e).catch((err) => add("adviser-chat", "sys", "出错：" + err)));
    $("scan").addEventListener("click", () => scan().catch((err) => add("villager-chat", "sys", "出错：" + err)));
    $("retry").addEventListener("click", () => retry().catch((err) => add("villager-chat", "sys", "出错：" + err)));
    for (const who of ["villager", "adviser"]) {
      $(who + "-id").addEventListener("change", () => { $(who + "-chat").innerHTML = ""; shown[who].clear(); });
    }
    setInterval(() => {
      poll("villager", $("villager-id").value, "villager-chat");
      poll("adviser", $("adviser-id").value, "adviser-chat");
    }, 1500);
    add("villager-chat", "sys", "先点“扫村二维码关注”，再提问；也可以发“绑定 河东村”。");
    add("adviser-chat", "sys", "村民的问题转过来后会出现在这里。");
  }
  init().catch((err) => add("villager-chat", "sys", "初始化失败：" + err));
})();
