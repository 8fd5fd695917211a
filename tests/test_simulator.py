"""The simulator page's own WeChat crypto (JavaScript, WebCrypto) interoperates with WeRoBot's and the app's."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest
from werobot.crypto import MessageCrypt

from bot.config import PROJECT_ROOT
from tests.conftest import AES_KEY, APPID, TOKEN
from tests.wechat_client import tag

SIM_JS = PROJECT_ROOT / "bot" / "web" / "static" / "wechat-sim.js"


def run_node(script: str) -> dict:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    code = SIM_JS.read_text(encoding="utf-8") + "\n" + script
    out = subprocess.run([node, "--input-type=commonjs", "-e", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_js_encrypts_what_werobot_decrypts_and_decrypts_what_werobot_encrypts():
    crypt = MessageCrypt(TOKEN, AES_KEY, APPID)
    reply = crypt.encrypt_message("<xml><Content><![CDATA[你好，村民 😀]]></Content></xml>", "1700000000", "42")
    cfg = json.dumps({"token": TOKEN, "aes_key": AES_KEY, "appid": APPID})
    result = run_node(f"""
      (async () => {{
        const cfg = {cfg};
        const req = await WeChatSim.buildRequest(cfg, {{ToUserName: "gh", FromUserName: "oUser", CreateTime: 1,
            MsgType: "text", Content: "宅基地 ]]> 测试", MsgId: 1}}, 1700000000);
        const opened = await WeChatSim.openReply(cfg, {json.dumps(reply)});
        console.log(JSON.stringify({{req, opened}}));
      }})().catch((e) => {{ console.error(e); process.exit(1); }});
    """)
    params = dict(p.split("=", 1) for p in result["req"]["query"].split("&"))
    blob = tag(result["req"]["body"], "Encrypt")
    xml = crypt.decrypt_message(params["timestamp"], params["nonce"], params["msg_signature"], blob)
    xml = xml.decode() if isinstance(xml, bytes) else xml
    assert "宅基地 ]]> 测试" in xml.replace("]]]]><![CDATA[>", "]]>")
    assert "你好，村民 😀" in result["opened"]


def test_simulator_page_and_config(services, settings):
    from bot.app import create_app

    services.settings = settings.with_overrides(simulator=True)
    client = create_app(services=services, warm=False).test_client()
    assert "公众号模拟器" in client.get("/simulator/").get_data(as_text=True)
    assert client.get("/simulator/api/config").get_json()["token"] == TOKEN
    with client.get("/static/wechat-sim.js") as resp:
        assert resp.status_code == 200


def test_simulator_is_off_by_default(client):
    assert client.get("/simulator/").status_code == 404
