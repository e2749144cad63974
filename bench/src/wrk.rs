//! wrk: the load generator of part 1. One thread (`-t1`, as in BASELINES), a Lua script
//! whose `done` prints the figures as one JSON line, and a rotation over pre-formatted
//! requests, one per display token, so building requests costs wrk nothing per request but
//! a table lookup. nginx gets the same requests as the gateway.

use std::path::Path;
use std::time::Duration;

use anyhow::{Context as _, bail};
use serde::Deserialize;

/// Marks the line `done` prints.
const MARK: &str = "BENCH_RESULT ";

/// What `done` reports.
#[derive(Debug, Clone, Deserialize)]
pub struct WrkResult {
    /// Completed requests.
    pub requests: u64,
    /// Run length, µs.
    pub duration_us: u64,
    /// Response bytes read.
    pub bytes: u64,
    /// Socket connect errors.
    pub connect: u64,
    /// Socket read errors.
    pub read: u64,
    /// Socket write errors.
    pub write: u64,
    /// Responses that were not 2xx or 3xx.
    pub status: u64,
    /// Requests that timed out (2 s).
    pub timeout: u64,
    /// Median latency, µs.
    pub p50_us: f64,
    /// 99th percentile, µs.
    pub p99_us: f64,
    /// 99.9th percentile, µs.
    pub p999_us: f64,
    /// Slowest request, µs.
    pub max_us: f64,
}

impl WrkResult {
    /// Requests per second.
    pub fn rps(&self) -> f64 {
        if self.duration_us == 0 {
            0.0
        } else {
            self.requests as f64 / (self.duration_us as f64 / 1e6)
        }
    }

    /// Socket errors of every kind.
    pub fn socket_errors(&self) -> u64 {
        self.connect + self.read + self.write + self.timeout
    }

    /// Mean response size in bytes (headers included).
    pub fn bytes_per_response(&self) -> f64 {
        if self.requests == 0 {
            0.0
        } else {
            self.bytes as f64 / self.requests as f64
        }
    }
}

const DONE: &str = r#"
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('BENCH_RESULT {"requests":%d,"duration_us":%d,"bytes":%d,"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,"p50_us":%.1f,"p99_us":%.1f,"p999_us":%.1f,"max_us":%.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9), latency.max))
end
"#;

/// A header value safe inside a single-quoted Lua string.
fn lua_str(value: &str) -> anyhow::Result<String> {
    if value
        .chars()
        .any(|c| c == '\'' || c == '\\' || c.is_control())
    {
        bail!("unexpected character in {value:?}");
    }
    Ok(format!("'{value}'"))
}

/// A script rotating `Authorization: Bearer` over `tokens` (for both servers), with
/// `If-None-Match` when given. The requests are formatted once in `init`.
pub fn token_script(tokens: &[String], if_none_match: Option<&str>) -> anyhow::Result<String> {
    let mut lua = String::from("local tokens = {\n");
    for token in tokens {
        lua.push_str(&format!("  {},\n", lua_str(token)?));
    }
    lua.push_str("}\n");
    lua.push_str(&format!(
        "local etag = {}\n",
        match if_none_match {
            Some(etag) => lua_str(etag)?,
            None => "nil".into(),
        }
    ));
    lua.push_str(
        r#"local reqs = {}
local n = 0
local i = 0
init = function(args)
  for k, t in ipairs(tokens) do
    local h = { ["Authorization"] = "Bearer " .. t }
    if etag then h["If-None-Match"] = etag end
    reqs[k] = wrk.format("GET", nil, h)
  end
  n = #reqs
end
request = function()
  i = i + 1
  if i > n then i = 1 end
  return reqs[i]
end
"#,
    );
    lua.push_str(DONE);
    Ok(lua)
}

/// Runs `wrk -t1 -c<connections> -d<duration> --latency -s <script> <url>`.
pub async fn run(
    wrk: &Path,
    url: &str,
    script: &Path,
    connections: u32,
    duration: Duration,
) -> anyhow::Result<WrkResult> {
    let output = tokio::process::Command::from(crate::pin::command(wrk, crate::pin::Role::Load))
        .args(["-t1", &format!("-c{connections}")])
        .arg(format!("-d{}s", duration.as_secs().max(1)))
        .arg("--latency")
        .arg("-s")
        .arg(script)
        .arg(url)
        .kill_on_drop(true)
        .output()
        .await
        .context("running wrk")?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout.lines().find_map(|l| l.strip_prefix(MARK));
    match line {
        Some(json) if output.status.success() => {
            serde_json::from_str(json).with_context(|| format!("reading wrk's result {json:?}"))
        }
        _ => bail!(
            "wrk failed ({}):\n{stdout}\n{}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        ),
    }
}
