// A real SMTP server for the browser tests (aiosmtpd, from tests/e2e/requirements.txt in
// .tools/venv, installed by scripts/setup), and reading the mails it received.
//
//   const smtp = await startSmtpSink();   // { port, mails(), waitForMail(to), stop() }
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ROOT } from "./rappu.mjs";
import { waitUntil } from "./helpers.mjs";

const PYTHON = path.join(ROOT, ".tools/venv/bin/python");
const SCRIPT = path.join(ROOT, "tests/e2e/lib/smtp_sink.py");

/** Starts the SMTP sink on a free loopback port; resolves once it listens. */
export async function startSmtpSink() {
  if (!fs.existsSync(PYTHON)) throw new Error(`${PYTHON} not found: run scripts/setup`);
  const folder = fs.mkdtempSync(path.join(os.tmpdir(), "rappu-smtp-"));
  const child = spawn(PYTHON, [SCRIPT, folder], { stdio: ["pipe", "pipe", "pipe"] });
  let output = "";
  child.stderr.on("data", (chunk) => { output += chunk; });
  const port = await new Promise((resolve, reject) => {
    child.stdout.on("data", (chunk) => {
      output += chunk;
      const ready = /ready (\d+)/.exec(output);
      if (ready) resolve(Number(ready[1]));
    });
    child.on("exit", (code) => reject(new Error(`the SMTP sink exited (${code}):\n${output}`)));
  });
  const mails = () => fs.readdirSync(folder).filter((f) => f.endsWith(".eml")).sort()
    .map((f) => parseMail(fs.readFileSync(path.join(folder, f), "latin1")));
  return {
    port,
    mails,
    /** The first mail to `to`, waiting for it. */
    waitForMail: (to, timeoutMs = 20_000) => waitUntil(`a mail to ${to}`,
      () => mails().find((m) => m.to.toLowerCase().includes(to.toLowerCase())), { timeoutMs }),
    stop: async () => {
      child.stdin.end();
      child.kill("SIGTERM");
      fs.rmSync(folder, { recursive: true, force: true });
    },
  };
}

/** Headers of a head (unfolded, names in lower case). */
function headers(head) {
  const out = {};
  for (const line of head.replace(/\r?\n[ \t]+/g, " ").split(/\r?\n/)) {
    const colon = line.indexOf(":");
    if (colon > 0) out[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return out;
}

/** A part's body decoded from its transfer encoding, as UTF-8. */
function decode(body, encoding = "") {
  let bytes;
  if (/base64/i.test(encoding)) {
    bytes = Buffer.from(body.replace(/\s+/g, ""), "base64");
  } else if (/quoted-printable/i.test(encoding)) {
    const soft = body.replace(/=\r?\n/g, "");
    bytes = Buffer.from(soft.replace(/=([0-9A-Fa-f]{2})/g, (_, hex) =>
      String.fromCharCode(parseInt(hex, 16))), "latin1");
  } else {
    bytes = Buffer.from(body, "latin1");
  }
  return bytes.toString("utf8");
}

/** RFC 2047 encoded words (`=?utf-8?b?...?=` and `?q?`). */
function words(value) {
  return value.replace(/=\?utf-8\?([bq])\?([^?]*)\?=\s*/gi, (_, kind, text) =>
    kind.toLowerCase() === "b"
      ? Buffer.from(text, "base64").toString("utf8")
      : decode(text.replace(/_/g, " "), "quoted-printable"));
}

/** A multipart/alternative mail: `to`, `subject`, the `text` and `html` parts. */
export function parseMail(raw) {
  const split = raw.search(/\r?\n\r?\n/);
  const head = headers(raw.slice(0, split));
  const mail = { to: head.to ?? "", subject: words(head.subject ?? ""), text: "", html: "", raw };
  const boundary = /boundary="?([^";]+)"?/.exec(head["content-type"] ?? "")?.[1];
  const parts = boundary ? raw.split(`--${boundary}`).slice(1, -1) : [raw.slice(split)];
  for (const part of parts) {
    const at = part.search(/\r?\n\r?\n/);
    const h = headers(part.slice(0, at).replace(/^\r?\n/, ""));
    const body = decode(part.slice(at).replace(/^\r?\n\r?\n/, ""), h["content-transfer-encoding"]);
    if (/text\/plain/i.test(h["content-type"] ?? "")) mail.text = body;
    if (/text\/html/i.test(h["content-type"] ?? "")) mail.html = body;
  }
  return mail;
}
