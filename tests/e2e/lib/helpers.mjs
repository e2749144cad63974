// Helpers for the browser tests beside the browser: the gateway's API with a demo bearer
// token, the simulator's admin API, waiting for a condition, axe-core, screenshots.
import assert from "node:assert/strict";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { SCREENSHOTS } from "./rappu.mjs";

const require = createRequire(import.meta.url);
const AXE = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The demo token of the first credential whose grant matches (e.g. `{role: "partner"}`). */
export function token(ready, grant) {
  const found = ready.credentials.find((c) =>
    Object.entries(grant).every(([key, value]) => c.grant[key] === value));
  assert.ok(found, `no demo credential with ${JSON.stringify(grant)}`);
  return found.token;
}

/** Calls the gateway with a bearer token; returns `{status, headers, body}` (JSON or text). */
export async function api(rappu, method, pathname, { bearer, body, headers = {} } = {}) {
  const response = await fetch(`${rappu.url}${pathname}`, {
    method,
    headers: {
      ...(bearer ? { Authorization: `Bearer ${bearer}` } : {}),
      ...(body === undefined ? {} : { "Content-Type": "application/json" }),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, headers: response.headers, body: parsed };
}

/** Calls the simulator's admin API (`/_sim/...`) of the gateway's embedded simulator. */
export async function sim(rappu, method, pathname, body) {
  const response = await fetch(`${rappu.ready.simulator_url}${pathname}`, {
    method,
    headers: body === undefined ? {} : { "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  assert.ok(response.ok, `${method} ${pathname}: ${response.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

/** Polls `check` (async, returns a truthy value when done) until it is or `timeoutMs` passes. */
export async function waitUntil(what, check, { timeoutMs = 15_000, everyMs = 100 } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      last = await check();
      if (last) return last;
    } catch (error) {
      last = error;
    }
    await delay(everyMs);
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${last})`);
}

/**
 * Runs axe-core on the page (WCAG 2.0/2.1 A and AA, plus best practices) and returns the
 * violations of impact serious or critical, as readable lines; the rest is logged.
 */
export async function axeSerious(page, label) {
  // Evaluated through DevTools, so the page's CSP (no inline scripts) does not apply.
  if (!(await page.evaluate(() => Boolean(window.axe)))) await page.evaluate(AXE);
  const result = await page.evaluate(() =>
    window.axe.run(document, {
      runOnly: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"],
    }));
  const lines = (v) =>
    `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`;
  const minor = result.violations.filter((v) => !["serious", "critical"].includes(v.impact));
  if (minor.length) console.log(`axe, ${label}, minor:\n  ${minor.map(lines).join("\n  ")}`);
  return result.violations.filter((v) => ["serious", "critical"].includes(v.impact)).map(lines);
}

/** Writes a full-page screenshot to tests/e2e/screenshots/<name>.png. */
export async function screenshot(page, name, { fullPage = true } = {}) {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage });
  return file;
}

/** Console errors and failed requests that a stopped gateway is expected to cause. */
export function outageNoise(problem) {
  return /ERR_CONNECTION_REFUSED|ERR_CONNECTION_RESET|ERR_EMPTY_RESPONSE|ERR_ABORTED|Failed to load resource|net::ERR_|EventSource/.test(
    problem,
  );
}
