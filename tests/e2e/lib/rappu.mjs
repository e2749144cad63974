// Helpers for Rappu's browser tests: start the real gateway on a free port with a fresh data
// directory, and launch Debian's Chromium through playwright-core.
//
//   const rappu = await startRappu();  // { url, ready, stop(), halt(), restart(), pause(), resume() }
//   const browser = await launchBrowser();     // a playwright-core Browser; close() cleans up
//
// Environment: RAPPU_BIN (default $CARGO_TARGET_DIR/debug/rappu, else target/debug/rappu),
// RAPPU_WEB_DIR (default web/dist), CHROMIUM (default /usr/bin/chromium).
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

/** The workspace root. */
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
/** Where tests write screenshots (git-ignored). */
export const SCREENSHOTS = path.join(ROOT, "tests/e2e/screenshots");

/** Variables for this harness and scripts/, not configuration for the gateway. */
const HARNESS_VARIABLES = [
  "RAPPU_BIN", "RAPPU_WEB_DIR", "RAPPU_E2E_LOG", "RAPPU_WASM_TOOLCHAIN", "RAPPU_CACHE_DIR",
  "RAPPU_RUSTUP_TIMEOUT", "RAPPU_WEB_BUDGET_GZIP", "RAPPU_WEB_CONSOLE_BUDGET_GZIP",
];

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts `rappu serve` on 127.0.0.1:0 with a fresh data directory and waits until it writes
 * its ready file (`{"url": "http://127.0.0.1:PORT", ...}`).
 *
 * The gateway can be stopped and started again on the same port with the same data
 * directory (its signing keys, sessions and stores survive), as a browser sees a gateway
 * that goes down and comes back: `await rappu.halt()`, then `await rappu.restart()`.
 *
 * @param {object} [opts]
 * @param {string} [opts.bin] the gateway binary (RAPPU_BIN, else the cargo target dir's debug/rappu)
 * @param {string} [opts.webDir] the built web app (RAPPU_WEB_DIR, else web/dist)
 * @param {string[]} [opts.args] more arguments for `rappu serve`
 * @param {Record<string, string>} [opts.env] more environment variables
 * @param {number} [opts.timeoutMs] how long to wait for the ready file (default 30 s)
 * @returns {Promise<{url: string, ready: object, dataDir: string, stop: () => Promise<void>,
 *   halt: () => Promise<void>, restart: () => Promise<object>, pause: () => Promise<void>,
 *   resume: () => Promise<void>, output: () => string}>}
 */
export async function startRappu(opts = {}) {
  const targetDir = process.env.CARGO_TARGET_DIR || "target";
  const bin = path.resolve(ROOT, opts.bin || process.env.RAPPU_BIN || path.join(targetDir, "debug/rappu"));
  const webDir = path.resolve(ROOT, opts.webDir || process.env.RAPPU_WEB_DIR || "web/dist");
  if (!fs.existsSync(bin)) throw new Error(`${bin} not found: run cargo build -p rappu-gateway`);
  if (!fs.existsSync(path.join(webDir, "index.html"))) {
    throw new Error(`${webDir}/index.html not found: run scripts/build-web`);
  }
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "rappu-e2e-"));
  const dataDir = path.join(tmp, "data");
  const readyFile = path.join(tmp, "ready.json");
  fs.mkdirSync(dataDir);
  // The gateway reads RAPPU_* variables as configuration and refuses unknown ones: keep the
  // harness's and the build scripts' own variables away from it.
  const env = { ...process.env };
  for (const name of HARNESS_VARIABLES) delete env[name];

  // Keep the gateway's output (of every run) to explain a failure; print it when asked to.
  let output = "";
  const keep = (chunk) => {
    output = (output + chunk).slice(-40_000);
    if (process.env.RAPPU_E2E_LOG) process.stderr.write(chunk);
  };

  /** One run of the process; resolves once it is ready. */
  const launch = async (addr) => {
    fs.rmSync(readyFile, { force: true });
    const args = [
      "serve",
      "--addr", addr,
      "--data-dir", dataDir,
      "--web-dir", webDir,
      "--ready-file", readyFile,
      ...(opts.args ?? []),
    ];
    const child = spawn(bin, args, {
      cwd: tmp,
      // Files run side by side: the metrics listener on a free port too.
      env: { RAPPU_METRICS__ADDR: "127.0.0.1:0", ...env, ...opts.env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    const run = { child, exited: null };
    run.exit = new Promise((resolve) => {
      child.on("exit", (code, signal) => {
        run.exited = { code, signal };
        resolve(run.exited);
      });
      child.on("error", (error) => {
        run.exited = { error };
        resolve(run.exited);
      });
    });
    run.kill = async () => {
      if (run.exited === null) {
        // A paused process must run again to handle SIGTERM.
        child.kill("SIGCONT");
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 5_000);
        await run.exit;
        clearTimeout(timer);
      }
    };
    // The gateway writes the file once it listens: poll with a deadline, and give up early
    // if the process dies.
    const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
    while (true) {
      if (run.exited !== null) {
        throw new Error(`rappu exited before it was ready (${JSON.stringify(run.exited)}):\n${output}`);
      }
      if (Date.now() > deadline) {
        await run.kill();
        throw new Error(`rappu wrote no ready file within the deadline:\n${output}`);
      }
      try {
        run.ready = JSON.parse(fs.readFileSync(readyFile, "utf8"));
        break;
      } catch {
        await delay(25);
      }
    }
    if (typeof run.ready.url !== "string") {
      await run.kill();
      throw new Error(`ready file has no url: ${JSON.stringify(run.ready)}`);
    }
    return run;
  };

  let run;
  try {
    run = await launch("127.0.0.1:0");
  } catch (error) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw error;
  }
  const url = run.ready.url.replace(/\/$/, "");
  const port = new URL(url).port;
  let stopped = false;
  const rappu = {
    url,
    ready: run.ready,
    dataDir,
    bin,
    output: () => output,
    /**
     * Freezes the process (SIGSTOP): its connections stay open but nothing answers, as
     * with a hung server or a network that silently drops packets. `resume()` thaws it.
     */
    pause: async () => {
      run.child.kill("SIGSTOP");
    },
    /** Thaws a paused process (SIGCONT). */
    resume: async () => {
      run.child.kill("SIGCONT");
    },
    /** Stops the process; the data directory stays for `restart()`. */
    halt: async () => {
      await run.kill();
    },
    /**
     * Starts the gateway again on the same address with the same data (stopping it first
     * if it runs); resolves with the new ready file, also kept as `rappu.ready`.
     */
    restart: async () => {
      await run.kill();
      // The port was just released; a socket that lingers refuses the bind for a moment.
      for (let attempt = 1; ; attempt++) {
        try {
          run = await launch(`127.0.0.1:${port}`);
          break;
        } catch (error) {
          if (attempt >= 5 || !/address|in use|bind/i.test(String(error))) throw error;
          await delay(200 * attempt);
        }
      }
      rappu.ready = run.ready;
      return run.ready;
    },
    /** Stops the process and removes its files. */
    stop: async () => {
      if (stopped) return;
      stopped = true;
      await run.kill();
      fs.rmSync(tmp, { recursive: true, force: true });
    },
  };
  return rappu;
}

/**
 * Launches Debian's Chromium headless with a fresh profile; the flags keep it off the
 * network (this machine's closed network refuses Chromium's background connections).
 * `browser.close()` also removes the profile.
 */
export async function launchBrowser() {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), "rappu-chromium-"));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    locale: "fi-FI",
    viewport: { width: 1280, height: 800 },
  });
  return {
    context,
    newPage: () => context.newPage(),
    close: async () => {
      await context.close();
      fs.rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/**
 * Collects what must not happen on a page: console errors, uncaught exceptions, CSP
 * violations (reported by the page's own `securitypolicyviolation` events), failed requests
 * and HTTP errors. Call before the first `goto`.
 */
export async function watchPage(page) {
  const problems = [];
  await page.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener("securitypolicyviolation", (event) => {
      window.__cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI || "inline"}`);
    });
  });
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console error: ${message.text()}`);
  });
  page.on("pageerror", (error) => problems.push(`uncaught: ${error.message}`));
  page.on("requestfailed", (request) =>
    problems.push(`request failed: ${request.url()} ${request.failure()?.errorText}`));
  page.on("response", (response) => {
    if (response.status() >= 400) problems.push(`HTTP ${response.status()}: ${response.url()}`);
  });
  return {
    /** Everything seen so far, CSP violations included. */
    async problems() {
      const csp = await page.evaluate(() => window.__cspViolations ?? []);
      return [...problems, ...csp.map((v) => `CSP violation: ${v}`)];
    },
  };
}

/**
 * Whether a problem from `watchPage` is the expected answer to a browser without a session:
 * `GET /api/v1/me` (the portal asks who is signed in), the display's feed and event stream
 * before pairing, a phone without a caretaker session, and the console lines Chromium
 * writes for them.
 */
export function expected401(problem) {
  return (
    /^HTTP 401: .*\/api\/v1\/(me|display\/feed|display\/events|displays\/pairing\/caretaker)$/.test(problem) ||
    /^console error: Failed to load resource: the server responded with a status of 401/.test(problem) ||
    /^console error: EventSource's response has a status 401/.test(problem)
  );
}
