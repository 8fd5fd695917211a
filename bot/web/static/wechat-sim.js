/* WeChat's message signing and AES framing, written from the published spec with WebCrypto only,
 * independently of the server's Python code. Used by the simulator page (and tested under Node).
 * Spec: AESKey = base64(EncodingAESKey + "="); AES-256-CBC, IV = AESKey[0:16];
 * plaintext = random(16) | uint32 big-endian length | xml | appid, PKCS#7-padded to a multiple of 32;
 * msg_signature = sha1(sorted([token, timestamp, nonce, encrypt]).join("")).
 */
(function (root) {
  "use strict";
  const subtle = root.crypto.subtle;
  const enc = new TextEncoder();
  const dec = new TextDecoder("utf-8", { fatal: true });

  function b64decode(s) {
    const bin = atob(s);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }
  function b64encode(bytes) {
    let bin = "";
    for (let i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin);
  }
  function concat(...parts) {
    const total = parts.reduce((n, p) => n + p.length, 0);
    const out = new Uint8Array(total);
    let at = 0;
    for (const p of parts) { out.set(p, at); at += p.length; }
    return out;
  }
  async function sha1hex(text) {
    const digest = new Uint8Array(await subtle.digest("SHA-1", enc.encode(text)));
    return Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
  }
  function sign(...parts) {
    return sha1hex(parts.map(String).sort().join(""));
  }
  async function importKey(aesKey) {
    const raw = b64decode(aesKey + "=");
    if (raw.length !== 32) throw new Error("EncodingAESKey must decode to 32 bytes");
    const key = await subtle.importKey("raw", raw, { name: "AES-CBC" }, false, ["encrypt", "decrypt"]);
    return { key, iv: raw.slice(0, 16) };
  }
  async function encrypt(aesKey, appid, xml, random16) {
    const { key, iv } = await importKey(aesKey);
    const body = enc.encode(xml);
    const len = new Uint8Array(4);
    new DataView(len.buffer).setUint32(0, body.length, false);
    const rnd = random16 || root.crypto.getRandomValues(new Uint8Array(16));
    let plain = concat(rnd, len, body, enc.encode(appid));
    const pad = 32 - (plain.length % 32);
    plain = concat(plain, new Uint8Array(pad).fill(pad));
    // WebCrypto always adds its own 16-byte PKCS#7 block; in CBC the blocks before it are unaffected.
    const out = new Uint8Array(await subtle.encrypt({ name: "AES-CBC", iv }, key, plain));
    return b64encode(out.slice(0, plain.length));
  }
  async function decrypt(aesKey, appid, encrypted) {
    const { key, iv } = await importKey(aesKey);
    const cipher = b64decode(encrypted);
    if (cipher.length === 0 || cipher.length % 16 !== 0) throw new Error("bad ciphertext length");
    // Append one block that decrypts to a full 16-byte padding block, so WebCrypto's padding check
    // passes and leaves WeChat's own 32-byte padding for us to remove.
    const last = cipher.slice(cipher.length - 16);
    const extra = new Uint8Array(await subtle.encrypt({ name: "AES-CBC", iv: last }, key, new Uint8Array(0)));
    const plain = new Uint8Array(await subtle.decrypt({ name: "AES-CBC", iv }, key, concat(cipher, extra)));
    const pad = plain[plain.length - 1];
    if (pad < 1 || pad > 32) throw new Error("bad padding");
    const content = plain.slice(16, plain.length - pad);
    const len = new DataView(content.buffer, content.byteOffset, 4).getUint32(0, false);
    const xml = dec.decode(content.slice(4, 4 + len));
    const from = dec.decode(content.slice(4 + len));
    if (from !== appid) throw new Error("reply is for another appid: " + from);
    return xml;
  }
  function cdata(v) { return "<![CDATA[" + String(v).split("]]>").join("]]]]><![CDATA[>") + "]]>"; }
  function messageXml(fields) {
    let xml = "<xml>";
    for (const [k, v] of Object.entries(fields)) {
      xml += typeof v === "number" ? `<${k}>${v}</${k}>` : `<${k}>${cdata(v)}</${k}>`;
    }
    return xml + "</xml>";
  }
  /** Build the query string and body WeChat would POST for this message in safe mode. */
  async function buildRequest(cfg, fields, now) {
    const timestamp = String(now || Math.floor(Date.now() / 1000));
    const nonce = String(Math.floor(Math.random() * 1e9));
    const signature = await sign(cfg.token, timestamp, nonce);
    const xml = messageXml(fields);
    const encrypted = await encrypt(cfg.aes_key, cfg.appid, xml);
    const msgSignature = await sign(cfg.token, timestamp, nonce, encrypted);
    const query = new URLSearchParams({ signature, timestamp, nonce, openid: fields.FromUserName,
      encrypt_type: "aes", msg_signature: msgSignature });
    const body = messageXml({ ToUserName: fields.ToUserName, Encrypt: encrypted });
    return { query: query.toString(), body, timestamp, nonce };
  }
  function extractTag(xml, tag) {
    const m = new RegExp("<" + tag + ">(?:<!\\[CDATA\\[([\\s\\S]*?)\\]\\]>|([^<]*))</" + tag + ">").exec(xml);
    return m ? (m[1] !== undefined ? m[1] : m[2]) : "";
  }
  /** Verify and decrypt a passive reply; returns the inner reply XML, or "" for "success". */
  async function openReply(cfg, text) {
    if (!text || text === "success") return "";
    const encrypted = extractTag(text, "Encrypt");
    const signature = extractTag(text, "MsgSignature");
    const ts = extractTag(text, "TimeStamp");
    const nonce = extractTag(text, "Nonce");
    if ((await sign(cfg.token, ts, nonce, encrypted)) !== signature) throw new Error("reply signature mismatch");
    return decrypt(cfg.aes_key, cfg.appid, encrypted);
  }
  root.WeChatSim = { sign, encrypt, decrypt, messageXml, buildRequest, openReply, sha1hex, extractTag };
})(typeof window !== "undefined" ? window : globalThis);
