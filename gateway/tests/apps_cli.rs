//! `rappu app ...` and `rappu keys ...` on the real binary: an app registered on the
//! command line gets a token from a running gateway, and revoking or rotating it on the
//! command line reaches the running gateway within `oauth.refresh_secs`; a signing key
//! generated on the command line verifies on the running gateway, and one retired there is
//! refused by it within `auth.revocation_refresh_secs`.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod support;

use std::path::Path;
use std::process::Command;

use rappu_shared::Grant;
use rappu_sim::Simulator;
use serde_json::Value;
use support::{eventually, sim_config, start, token as signed_token, write_config};

/// Runs `rappu --config CONFIG app ARGS`; its standard output, or a panic with its errors.
fn app(config: &Path, args: &[&str]) -> String {
    rappu(config, "app", args)
}

/// Runs `rappu --config CONFIG COMMAND ARGS`; its standard output, or a panic with its
/// errors.
fn rappu(config: &Path, command: &str, args: &[&str]) -> String {
    let out = run(config, command, args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "rappu {command} {args:?}: {stderr}");
    String::from_utf8(out.stdout).unwrap()
}

fn run(config: &Path, command: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_rappu"))
        .arg("--config")
        .arg(config)
        .arg(command)
        .args(args)
        .env_remove("RAPPU_CONFIG")
        .output()
        .unwrap()
}

/// The value of `name=...` in `rappu app` output.
fn field(output: &str, name: &str) -> String {
    output
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} in {output}"))
        .to_owned()
}

/// The status of `GET url` with `bearer`.
async fn status(url: &str, bearer: String) -> u16 {
    reqwest::Client::new()
        .get(url)
        .bearer_auth(bearer)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn token(url: &str, id: &str, secret: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{url}/oauth/token"))
        .basic_auth(id, Some(secret))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("grant_type=client_credentials")
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn apps_made_on_the_command_line_work_and_their_revocation_reaches_the_gateway() {
    let config = sim_config();
    let running = Simulator::spawn(config.clone()).await.unwrap();
    let account = config.accounts[0].name.clone();
    let building = running.sim().summary(&account).unwrap().properties[0].buildings[0].id;
    let dir = tempfile::tempdir().unwrap();
    let file = write_config(
        dir.path(),
        &running.base_url(),
        &config,
        // Polling the token endpoint every 25 ms is not what the per-client quota is for.
        "[oauth]\nrefresh_secs = 1\n[rate_limit]\nenabled = false\n",
    );
    let gateway = start(dir.path(), &file, 1).await;

    // Bad input is refused with the reason, nothing stored.
    let refused = Command::new(env!("CARGO_BIN_EXE_rappu"))
        .arg("--config")
        .arg(&file)
        .args([
            "app",
            "create",
            "--name",
            "x",
            "--contact",
            "y",
            "--scope",
            "feeds:read=house:1",
        ])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("neither building nor property"));

    let created = app(
        &file,
        &[
            "create",
            "--name",
            "Huolto-Virtanen työnohjaus",
            "--contact",
            "it@huolto-virtanen.example.fi",
            "--scope",
            &format!("feeds:read=building:{building}"),
            "--origin",
            "https://tyot.huolto-virtanen.example.fi",
        ],
    );
    let (id, secret) = (
        field(&created, "client_id"),
        field(&created, "client_secret"),
    );
    assert!(app(&file, &["list"]).contains(&id));
    let db = std::fs::read(dir.path().join("rappu.db")).unwrap_or_default();
    assert!(!db.windows(secret.len()).any(|w| w == secret.as_bytes()));

    // The running gateway picks the new app up.
    let issued: Value = eventually(10, "a token for the new app", || async {
        let r = token(&gateway.url, &id, &secret).await;
        if r.status() == 200 {
            r.json().await.ok()
        } else {
            // Each refusal counts against the client id's 10 failed authentications a
            // minute: ask at most twice a second while the gateway picks the app up.
            tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            None
        }
    })
    .await;
    let access = issued["access_token"].as_str().unwrap().to_owned();
    let feed_url = format!("{}/api/v1/buildings/{building}/feed", gateway.url);
    let feed = |bearer: String| status(&feed_url, bearer);
    assert_eq!(feed(access.clone()).await, 200);

    // Rotation on the command line: the old secret stops working, the new one works.
    let rotated = field(&app(&file, &["rotate", &id]), "client_secret");
    eventually(10, "the old secret refused", || async {
        (token(&gateway.url, &id, &secret).await.status() == 401).then_some(())
    })
    .await;
    let with_new = token(&gateway.url, &id, &rotated).await;
    assert_eq!(with_new.status(), 200, "{:?}", with_new.text().await);
    eventually(10, "the old token refused", || async {
        (feed(access.clone()).await == 401).then_some(())
    })
    .await;

    // Revocation on the command line.
    let fresh: Value = token(&gateway.url, &id, &rotated)
        .await
        .json()
        .await
        .unwrap();
    let fresh = fresh["access_token"].as_str().unwrap().to_owned();
    assert!(app(&file, &["revoke", &id]).contains("revoked"));
    eventually(10, "the revoked app's token refused", || async {
        (feed(fresh.clone()).await == 401).then_some(())
    })
    .await;
    assert_eq!(token(&gateway.url, &id, &rotated).await.status(), 401);
    assert!(app(&file, &["list"]).contains("REVOKED"));
}

#[tokio::test]
async fn keys_generated_and_retired_on_the_command_line_reach_the_running_gateway() {
    let config = sim_config();
    let running = Simulator::spawn(config.clone()).await.unwrap();
    let account = config.accounts[0].name.clone();
    let dir = tempfile::tempdir().unwrap();
    let file = write_config(
        dir.path(),
        &running.base_url(),
        &config,
        "[auth]\nrevocation_refresh_secs = 1\n[rate_limit]\nenabled = false\n",
    );
    let gateway = start(dir.path(), &file, 1).await;
    let me_url = format!("{}/api/v1/me", gateway.url);
    let me = |bearer: String| status(&me_url, bearer);
    let jwks = || {
        let url = format!("{}/.well-known/jwks.json", gateway.url);
        async move {
            let keys: Value = reqwest::get(url).await.unwrap().json().await.unwrap();
            keys["keys"]
                .as_array()
                .unwrap()
                .iter()
                .map(|k| k["kid"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    let first_token = signed_token(dir.path(), &account, Grant::Admin);
    // Verified now, so the gateway remembers it as verified.
    assert_eq!(me(first_token.clone()).await, 200);
    let listed = rappu(&file, "keys", &["list"]);
    let first = listed.split_whitespace().next().unwrap().to_owned();
    assert!(
        listed.contains("signs") && listed.contains("published"),
        "{listed}"
    );

    // The only key cannot be retired without --force: nothing would sign.
    let refused = run(&file, "keys", &["retire", &first]);
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("no key to sign"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    let unknown = run(&file, "keys", &["retire", "k-no-such-key"]);
    assert!(!unknown.status.success());
    assert_eq!(me(first_token.clone()).await, 200);

    // A new key verifies on the running gateway without a restart (it was published).
    std::thread::sleep(std::time::Duration::from_millis(5));
    let generated = rappu(&file, "keys", &["generate"]);
    let second = generated.split_whitespace().nth(2).unwrap().to_owned();
    assert!(second > first, "{generated}");
    let second_token = signed_token(dir.path(), &account, Grant::Admin);
    eventually(
        10,
        "the new key verifying on the running gateway",
        || async { (me(second_token.clone()).await == 200).then_some(()) },
    )
    .await;
    assert!(jwks().await.contains(&second));

    // Retired: the running gateway refuses the old key's token, remembered or not, and no
    // longer publishes the key.
    let retired = rappu(&file, "keys", &["retire", &first]);
    assert!(retired.contains(&format!("{second} signs")), "{retired}");
    eventually(10, "the retired key's token refused", || async {
        (me(first_token.clone()).await == 401).then_some(())
    })
    .await;
    assert!(!jwks().await.contains(&first));
    assert_eq!(me(second_token.clone()).await, 200);
    let listed = rappu(&file, "keys", &["list"]);
    let line = listed.lines().find(|l| l.starts_with(&first)).unwrap();
    assert!(line.contains("retired"), "{listed}");
    // Retiring twice says so, and a token signed with the retired key's file is refused.
    assert!(rappu(&file, "keys", &["retire", &first]).contains("retired already"));
    assert_eq!(me(first_token).await, 401);
}
