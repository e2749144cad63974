//! Reading the sign-in mails the gateway writes to its folder (no SMTP in these tests; the
//! browser test sends through a real SMTP server), and residents added to the simulator.

use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine as _;
use serde_json::{Value, json};

use crate::helpers::{TestApp, eventually};

/// One mail as the gateway wrote it, its parts decoded.
#[derive(Debug, Clone)]
pub struct Mail {
    pub raw: String,
    pub to: String,
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl Mail {
    /// The sign-in link in the text part.
    pub fn link(&self) -> String {
        let start = self.text.find("http").expect("a link in the mail");
        self.text[start..]
            .split_whitespace()
            .next()
            .unwrap()
            .to_owned()
    }

    /// The code of the link.
    pub fn code(&self) -> String {
        self.link().split("code=").nth(1).unwrap().to_owned()
    }
}

/// The mail folder of `app` (`<data_dir>/mail`).
pub fn folder(app: &TestApp) -> PathBuf {
    app.dir.path().join("mail")
}

/// Every mail in the folder, oldest first.
pub fn mails(dir: &Path) -> Vec<Mail> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|f| f.extension().is_some_and(|e| e == "eml"));
    files.sort();
    files.into_iter().map(|f| parse(&f)).collect()
}

/// The mails to `to` (case ignored), waiting up to `seconds` for at least `count`.
pub async fn mails_to(app: &TestApp, to: &str, count: usize, seconds: u64) -> Vec<Mail> {
    let dir = folder(app);
    eventually(seconds, &format!("{count} mail(s) to {to}"), || {
        let dir = dir.clone();
        async move {
            let found: Vec<Mail> = mails(&dir)
                .into_iter()
                .filter(|m| m.to.eq_ignore_ascii_case(to))
                .collect();
            (found.len() >= count).then_some(found)
        }
    })
    .await
}

/// Waits `quiet` and returns how many mails went to `to` by then.
pub async fn count_after(app: &TestApp, to: &str, quiet: Duration) -> usize {
    tokio::time::sleep(quiet).await;
    mails(&folder(app))
        .iter()
        .filter(|m| m.to.eq_ignore_ascii_case(to))
        .count()
}

fn header(head: &str, name: &str) -> String {
    let prefix = format!("{}:", name.to_ascii_lowercase());
    let mut lines = head.lines().peekable();
    while let Some(line) = lines.next() {
        if line.to_ascii_lowercase().starts_with(&prefix) {
            let mut value = line[prefix.len()..].trim().to_owned();
            while let Some(next) = lines.peek() {
                if next.starts_with(' ') || next.starts_with('\t') {
                    value.push(' ');
                    value.push_str(next.trim());
                    lines.next();
                } else {
                    break;
                }
            }
            return value;
        }
    }
    String::new()
}

/// RFC 2047 encoded words (`=?utf-8?b?...?=`, `=?utf-8?q?...?=`), as lettre writes them.
fn decode_words(value: &str) -> String {
    let mut out = String::new();
    for word in value.split_whitespace() {
        let decoded = word
            .strip_prefix("=?utf-8?")
            .or_else(|| word.strip_prefix("=?UTF-8?"))
            .and_then(|w| w.strip_suffix("?="))
            .and_then(|w| {
                let (kind, text) = w.split_at(2);
                match kind.to_ascii_lowercase().as_str() {
                    "b?" => base64::engine::general_purpose::STANDARD
                        .decode(text)
                        .ok()
                        .and_then(|b| String::from_utf8(b).ok()),
                    "q?" => Some(quoted_printable(&text.replace('_', " "))),
                    _ => None,
                }
            });
        match decoded {
            Some(d) => out.push_str(&d),
            None => {
                if !out.is_empty() {
                    out.push(' ');
                }
                out.push_str(word);
            }
        }
    }
    out
}

fn quoted_printable(text: &str) -> String {
    let joined = text.replace("=\r\n", "").replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && i + 2 < bytes.len()
            && let Ok(b) = u8::from_str_radix(&joined[i + 1..i + 3], 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn body_of(part: &str) -> (String, String) {
    let (head, body) = part
        .split_once("\r\n\r\n")
        .or_else(|| part.split_once("\n\n"))
        .unwrap_or(("", part));
    let kind = header(head, "content-type");
    let body = match header(head, "content-transfer-encoding")
        .to_ascii_lowercase()
        .as_str()
    {
        "base64" => {
            let clean: String = body.split_whitespace().collect();
            String::from_utf8(
                base64::engine::general_purpose::STANDARD
                    .decode(clean)
                    .unwrap(),
            )
            .unwrap()
        }
        "quoted-printable" => quoted_printable(body),
        _ => body.to_owned(),
    };
    (kind, body)
}

fn parse(file: &Path) -> Mail {
    let raw = std::fs::read_to_string(file).unwrap();
    let (head, _) = raw.split_once("\r\n\r\n").unwrap();
    let content_type = header(head, "content-type");
    let boundary = content_type
        .split("boundary=")
        .nth(1)
        .map(|b| b.trim_matches('"').to_owned())
        .expect("a multipart mail");
    let (mut text, mut html) = (String::new(), String::new());
    for part in raw.split(&format!("--{boundary}")).skip(1) {
        let (kind, body) = body_of(part.trim_start_matches("\r\n"));
        if kind.starts_with("text/plain") {
            text = body;
        } else if kind.starts_with("text/html") {
            html = body;
        }
    }
    Mail {
        to: header(head, "to"),
        subject: decode_words(&header(head, "subject")),
        text,
        html,
        raw,
    }
}

/// Adds a resident with `email` to `apartment` in the simulator (and `extra` fields of the
/// admin route: `Paattyy`, `Turvakielto`, `OsapuoliId`, ...) and waits until the gateway's
/// account mirror has the connection (Tampuuri's webhook brings it); returns the connection.
pub async fn add_resident(app: &TestApp, apartment: u64, email: &str, extra: Value) -> Value {
    let mut body = json!({"KohdeId": apartment, "Etunimi": "Testi", "Sukunimi": "Asukas",
        "Alkaa": "2020-01-01", "Sahkoposti": email});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            b.insert(k.clone(), v.clone());
        }
    }
    let url = format!(
        "{}/_sim/accounts/{}/connections",
        app.sim_url,
        app.account()
    );
    let response = app.http.post(url).json(&body).send().await.unwrap();
    assert_eq!(response.status(), 201, "add resident");
    let added: Value = response.json().await.unwrap();
    mirrored(app, &added).await;
    added
}

/// Waits until the account mirror has the connection `added` (as the simulator answered it).
pub async fn mirrored(app: &TestApp, added: &Value) {
    let party = added["Osapuoli"]["Id"].as_u64().expect("party id");
    let id = added["Id"].as_u64().expect("connection id");
    eventually(15, "the new connection in the account mirror", || async {
        let connections = app
            .state
            .mirror
            .party_connections(&app.account(), party)
            .await
            .ok()?;
        connections.iter().any(|c| c.id == id).then_some(())
    })
    .await;
}

/// Asks for a sign-in link for `email`.
pub async fn ask(app: &TestApp, email: &str) -> reqwest::Response {
    app.http
        .post(format!("{}/api/v1/auth/email-link", app.url))
        .json(&json!({"email": email}))
        .send()
        .await
        .unwrap()
}

/// Opens a sign-in link's code in a fresh client (another device).
pub async fn open(app: &TestApp, code: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{}/api/v1/auth/login", app.url))
        .json(&json!({"code": code}))
        .send()
        .await
        .unwrap()
}

/// `name=value` of the `Set-Cookie` named `name`.
pub fn set_cookie(response: &reqwest::Response, name: &str) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}
