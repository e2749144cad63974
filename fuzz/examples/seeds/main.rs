//! Regenerates the generated part of the seed corpus (files named `seed-*`; crash
//! regressions and hand-written seeds are left alone):
//!
//! ```sh
//! cargo run --manifest-path fuzz/Cargo.toml --example seeds -- fuzz/corpus
//! ```
//!
//! - `tampuuri_decode`: every answer the client reads, from the simulator in each dialect
//!   (`classic`, `vendor_help`, `mixed`, and `damaged` with rows no reader can read);
//! - `webhook_bundle`: the bundles the simulator delivers for a few changes, as received;
//! - `photo_strip`, `report_validate`: tiny JPEG, PNG and WebP files with EXIF, XMP,
//!   comments and text chunks, alone and in report bodies;
//! - `bearer_token`: tokens minted by the gateway's `Tokens` for every role, as headers,
//!   cookies and as header and claims to re-sign.

mod images;
mod simulator;

use std::error::Error;
use std::path::{Path, PathBuf};
use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rappu_fuzz::tokens::{self, Mode};
use rappu_gateway::auth::TokenRequest;
use rappu_shared::Grant;
use rappu_sim::Dialect;

use images::{photos, reports};
use simulator::{tampuuri, webhooks};

type Result<T> = std::result::Result<T, Box<dyn Error>>;

#[tokio::main]
async fn main() -> Result<()> {
    let out = PathBuf::from(std::env::args().nth(1).unwrap_or_else(|| "corpus".into()));
    let mut dialects = Dialect::presets();
    dialects.push(("damaged", Dialect::damaged()));
    for (name, dialect) in dialects {
        tampuuri(&out.join("tampuuri_decode"), name, dialect).await?;
    }
    webhooks(&out.join("webhook_bundle")).await?;
    photos(&out.join("photo_strip"))?;
    reports(&out.join("report_validate"))?;
    bearer_tokens(&out.join("bearer_token"))?;
    Ok(())
}

/// Writes the seed `seed-<name>` into `dir`.
fn write(dir: &Path, name: &str, bytes: &[u8]) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join(format!("seed-{name}")), bytes)?;
    Ok(())
}

/// Tokens minted for every role, as headers, cookies, and as header and claims to re-sign;
/// and headers the verifier must refuse even when the trusted key signed them.
fn bearer_tokens(dir: &Path) -> Result<()> {
    let kit = tokens::kit();
    let grants = [
        (
            "display",
            Grant::Display {
                building: 100_001,
                staircase: Some(100_002),
            },
        ),
        (
            "resident",
            Grant::Resident {
                party: 200_123,
                apartment: 100_010,
            },
        ),
        ("partner", Grant::Partner { assignee: 200_900 }),
        ("admin", Grant::Admin),
    ];
    for (role, grant) in grants {
        let minted = kit.tokens.mint(TokenRequest {
            subject: format!("fuzz-{role}"),
            account: "demo".into(),
            grant,
            // Far beyond any run: seeds must keep verifying.
            ttl: Duration::from_secs(100 * 365 * 24 * 3600),
        })?;
        let token = minted.token;
        write(
            dir,
            &format!("header-{role}"),
            &tokens::input(Mode::Header, format!("Bearer {token}").as_bytes()),
        )?;
        write(
            dir,
            &format!("cookie-{role}"),
            &tokens::input(
                Mode::Cookie,
                format!("theme=dark; rappu_session={token}").as_bytes(),
            ),
        )?;
        let mut parts = token.split('.');
        let header = URL_SAFE_NO_PAD.decode(parts.next().unwrap_or_default())?;
        let claims = URL_SAFE_NO_PAD.decode(parts.next().unwrap_or_default())?;
        let payload = [header.as_slice(), &[0], claims.as_slice()].concat();
        for mode in [
            Mode::Signed,
            Mode::Unsigned,
            Mode::HmacWithPublicKey,
            Mode::OtherKey,
        ] {
            write(
                dir,
                &format!("{}-{role}", mode.name()),
                &tokens::input(mode, &payload),
            )?;
        }
    }
    // Hand-made headers and claims the verifier must refuse, signed with the trusted key.
    let claims = br#"{"iss":"rappu","aud":"rappu-api","sub":"x","iat":1,"nbf":1,"exp":4102444800,"jti":"j","acct":"demo","role":"admin"}"#;
    for (name, header) in [
        (
            "alg-none",
            br#"{"alg":"none","typ":"at+jwt","kid":"kfuzz"}"#.as_slice(),
        ),
        (
            "crit",
            br#"{"alg":"EdDSA","typ":"at+jwt","kid":"kfuzz","crit":["x"],"x":1}"#,
        ),
        ("no-kid", br#"{"alg":"EdDSA","typ":"at+jwt"}"#),
        ("typ-jwt", br#"{"alg":"EdDSA","typ":"JWT","kid":"kfuzz"}"#),
    ] {
        let payload = [header, &[0], claims.as_slice()].concat();
        write(
            dir,
            &format!("signed-{name}"),
            &tokens::input(Mode::Signed, &payload),
        )?;
    }
    write(
        dir,
        "header-garbage",
        &tokens::input(Mode::Header, b"Bearer a.b.c"),
    )?;
    Ok(())
}
