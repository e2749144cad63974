//! The deployment files in `ops/` are valid: the systemd unit passes `systemd-analyze
//! verify` (with `ExecStart` pointed at the binary just built) and the nginx front config
//! passes `nginx -t` (inside a minimal `nginx.conf`, with a throw-away certificate).
//!
//! `scripts/setup` installs nginx (systemd-analyze comes with Debian's systemd) and
//! `scripts/test` sets `RAPPU_REQUIRE_DEPLOY_TOOLS=1`, so there a missing tool fails;
//! elsewhere the check is skipped with a note.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::path::{Path, PathBuf};
use std::process::Command;

fn ops() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../ops")
}

/// `program`, if it runs here; a panic when it is required.
fn tool(program: &str, version_arg: &str) -> Option<PathBuf> {
    let candidates = [
        PathBuf::from(program),
        Path::new("/usr/sbin").join(program),
        Path::new("/usr/bin").join(program),
    ];
    let found = candidates
        .into_iter()
        .find(|p| Command::new(p).arg(version_arg).output().is_ok());
    if found.is_none() {
        assert!(
            std::env::var_os("RAPPU_REQUIRE_DEPLOY_TOOLS").is_none(),
            "{program} is required (scripts/setup installs it)"
        );
        eprintln!("note: {program} not installed; that deployment file was not checked");
    }
    found
}

#[test]
fn the_systemd_unit_passes_systemd_analyze_verify() {
    let Some(analyze) = tool("systemd-analyze", "--version") else {
        return;
    };
    let unit = std::fs::read_to_string(ops().join("systemd/rappu.service")).unwrap();
    assert!(unit.contains("ExecStart=/usr/bin/rappu "));
    for hardening in [
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "DynamicUser=yes",
        "CapabilityBoundingSet=\n",
        "SystemCallFilter=@system-service",
        "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX",
    ] {
        assert!(unit.contains(hardening), "the unit lacks {hardening:?}");
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rappu.service");
    let binary = env!("CARGO_BIN_EXE_rappu");
    std::fs::write(&path, unit.replace("/usr/bin/rappu", binary)).unwrap();
    let out = Command::new(analyze)
        .arg("verify")
        .arg(&path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    // Only what concerns the unit itself: a host without systemd running may add notes
    // about its own units.
    let about_unit: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("rappu.service"))
        .collect();
    assert!(
        out.status.success() && about_unit.is_empty(),
        "systemd-analyze verify:\n{stderr}"
    );
}

#[test]
fn the_nginx_front_config_passes_nginx_t() {
    let Some(nginx) = tool("nginx", "-v") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let status = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .args(["-subj", "/CN=rappu.example.fi", "-keyout"])
        .arg(d.join("key.pem"))
        .arg("-out")
        .arg(d.join("cert.pem"))
        .output()
        .expect("openssl")
        .status;
    assert!(status.success(), "a test certificate");
    let site = std::fs::read_to_string(ops().join("nginx/rappu.conf"))
        .unwrap()
        .replace(
            "/etc/ssl/rappu/fullchain.pem",
            &d.join("cert.pem").display().to_string(),
        )
        .replace(
            "/etc/ssl/rappu/privkey.pem",
            &d.join("key.pem").display().to_string(),
        );
    for needed in [
        "proxy_buffering off",
        "client_max_body_size 36m",
        "X-Forwarded-For $proxy_add_x_forwarded_for",
        "proxy_read_timeout 1h",
    ] {
        assert!(site.contains(needed), "the config lacks {needed:?}");
    }
    std::fs::write(d.join("rappu.conf"), site).unwrap();
    let main = format!(
        "pid {d}/nginx.pid;\nerror_log {d}/error.log;\nevents {{}}\nhttp {{\n    access_log off;\n    client_body_temp_path {d};\n    include {d}/rappu.conf;\n}}\n",
        d = d.display()
    );
    std::fs::write(d.join("nginx.conf"), main).unwrap();
    let out = Command::new(nginx)
        .arg("-t")
        .arg("-p")
        .arg(d)
        .arg("-c")
        .arg(d.join("nginx.conf"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "nginx -t:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
