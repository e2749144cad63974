//! nginx (the Debian package) serving the gateway's feed bytes as a static file: the
//! reference of part 1. Its own configuration in a temporary prefix, one worker (as in
//! BASELINES), no access log, loopback only, in the foreground as a child process.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::{Context as _, bail};

use crate::procs::Proc;
use crate::stack::{Env, free_port};

/// The URL path nginx serves the file at: the gateway's, so the request lines match.
pub const FEED_PATH: &str = "/api/v1/display/feed";

/// A running nginx.
#[derive(Debug)]
pub struct Nginx {
    /// The master process (its workers are in its process group).
    pub proc: Proc,
    /// The file's URL.
    pub url: String,
    /// nginx's own ETag of the file (for the 304 runs).
    pub etag: String,
}

fn running_as_root() -> bool {
    use std::os::unix::fs::MetadataExt as _;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// Writes `body` to a file and serves it with nginx.
pub async fn start(env: &Env, nginx: &Path, body: &[u8]) -> anyhow::Result<Nginx> {
    let prefix = env.scratch("nginx")?;
    for dir in ["html", "scratch", "logs"] {
        std::fs::create_dir_all(prefix.join(dir))?;
    }
    let file = prefix.join("html/feed.json");
    std::fs::write(&file, body).context("writing the feed file")?;
    let port = free_port()?;
    let p = prefix.display();
    // As root the workers would run as nobody, who cannot enter the private temp directory.
    let user = if running_as_root() {
        "user root;\n"
    } else {
        ""
    };
    let conf = format!(
        "{user}worker_processes 1;
pid {p}/nginx.pid;
error_log {p}/logs/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    tcp_nodelay on;
    keepalive_timeout 65;
    keepalive_requests 1000000;
    client_body_temp_path {p}/scratch/client_body;
    proxy_temp_path {p}/scratch/proxy;
    fastcgi_temp_path {p}/scratch/fastcgi;
    uwsgi_temp_path {p}/scratch/uwsgi;
    scgi_temp_path {p}/scratch/scgi;
    types {{ }}
    default_type application/json;
    server {{
        listen 127.0.0.1:{port};
        location = {FEED_PATH} {{ alias {p}/html/feed.json; }}
    }}
}}
"
    );
    let conf_path = prefix.join("nginx.conf");
    std::fs::write(&conf_path, conf)?;
    let mut command = crate::pin::command(nginx, crate::pin::Role::Server);
    command
        .arg("-p")
        .arg(&prefix)
        .arg("-e")
        .arg(prefix.join("logs/error.log"))
        .arg("-c")
        .arg(&conf_path)
        .args(["-g", "daemon off;"]);
    let mut proc = Proc::spawn("nginx", command, &prefix.join("logs/stdout.log"))?;
    let url = format!("http://127.0.0.1:{port}{FEED_PATH}");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        proc.ensure_running().map_err(|e| {
            let log = std::fs::read_to_string(prefix.join("logs/error.log")).unwrap_or_default();
            e.context(format!("nginx error log:\n{log}"))
        })?;
        if let Ok(response) = env.http.get(&url).send().await {
            let status = response.status();
            let etag = response
                .headers()
                .get("etag")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned);
            let served = response.bytes().await?;
            if status != 200 || served.as_ref() != body {
                bail!(
                    "nginx answers {status} with {} bytes instead of the feed's {}",
                    served.len(),
                    body.len()
                );
            }
            let etag = etag.context("nginx sent no ETag")?;
            return Ok(Nginx { proc, url, etag });
        }
        if Instant::now() > deadline {
            bail!("nginx did not answer within 10 s");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
