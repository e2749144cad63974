#!/usr/bin/env bash
# Instructions the gateway spends per cached display-feed request, counted by callgrind:
# deterministic, so two builds can be compared on a busy machine where wall-clock
# benchmarks cannot (scripts/bench part 1 is the wall-clock comparison on a quiet machine).
#
# usage: bench/callgrind/feed-cost.sh RAPPU_BINARY [REQUESTS]
#
# Starts `rappu serve` (demo mode; the display quota raised so the requests are not refused)
# under valgrind --tool=callgrind with instrumentation off,
# warms the display feed (first build, token verified and cached), switches instrumentation on
# for exactly REQUESTS keep-alive GETs of the feed with the display token (200s) and as many
# with If-None-Match (304s), switches it off, and prints instructions per request of each
# kind (KEEP=1 keeps the callgrind files). Extra RAPPU_* settings pass through the
# environment (e.g. RAPPU_LOG__FORMAT=json RAPPU_LOG__ACCESS=true). Background tasks
# (timers, the embedded simulator) run during the window too; they are a few thousand
# instructions a second, well under 0.1 % of the window here. A build from before
# `[metrics]` (a baseline) is run without the metrics setting it would refuse.
set -euo pipefail
bin="$1"
requests="${2:-2000}"
command -v valgrind >/dev/null || { echo "valgrind is missing (apt-get install valgrind)" >&2; exit 1; }
work="$(mktemp -d)"
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
if RAPPU_METRICS__ADDR=127.0.0.1:0 "$bin" check-config >/dev/null 2>&1; then
  export RAPPU_METRICS__ADDR=127.0.0.1:0
fi
RAPPU_RATE_LIMIT__DISPLAY_PER_MINUTE=10000000 RAPPU_RATE_LIMIT__DISPLAY_BURST=10000000 \
  valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$work/cg.%p" \
  "$bin" serve --addr 127.0.0.1:0 --data-dir "$work/data" --web-dir "$work/none" \
  --ready-file "$work/ready.json" >"$work/log" 2>&1 &
pid=$!
for _ in $(seq 600); do [ -s "$work/ready.json" ] && break; sleep 0.2; done
[ -s "$work/ready.json" ] || { cat "$work/log" >&2; exit 1; }
python3 - "$work/ready.json" "$requests" "$pid" <<'PY'
import http.client, json, subprocess, sys, re
ready = json.load(open(sys.argv[1])); n = int(sys.argv[2]); pid = sys.argv[3]
url = ready["url"].removeprefix("http://"); host, port = url.split(":")
token = next(c["token"] for c in ready["credentials"] if c["grant"]["role"] == "display")
conn = http.client.HTTPConnection(host, int(port), timeout=120)
def get(etag=None):
    headers = {"Authorization": f"Bearer {token}"}
    if etag: headers["If-None-Match"] = etag
    conn.request("GET", "/api/v1/display/feed", headers=headers)
    r = conn.getresponse(); r.read(); return r.status, r.getheader("ETag")
for _ in range(50): status, etag = get()
assert status == 200, status
def window(label, etag):
    subprocess.run(["callgrind_control", "--instr=on", pid], check=True, capture_output=True)
    for _ in range(n):
        s, _ = get(etag)
        assert s == (304 if etag else 200), s
    subprocess.run(["callgrind_control", "--instr=off", pid], check=True, capture_output=True)
    out = subprocess.run(["callgrind_control", "--dump=" + label, pid], check=True, capture_output=True, text=True)
window("ok", None)
window("not-modified", etag)
PY
sleep 1
for label in ok not-modified; do
  # callgrind_control --dump=LABEL writes "desc: Trigger: dump LABEL" and the window's
  # instruction count (every thread) as "totals: N".
  file="$(grep -lx "desc: Trigger: dump $label" "$work"/cg.* | head -1 || true)"
  [ -n "$file" ] || { echo "no callgrind dump for $label in $work" >&2; exit 1; }
  total="$(awk '/^totals:/ {print $2; exit}' "$file")"
  echo "$label: $((total / requests)) instructions per request ($total over $requests)"
done
