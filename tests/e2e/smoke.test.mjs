// Smoke test of the web app in a real browser, served by the real gateway: the wasm app
// renders, reaches GET /healthz, routes deep links (each of the four programs), and breaks
// no CSP rule.
//
// Needs: target/debug/rappu (cargo build -p rappu-gateway), web/dist (scripts/build-web),
// and scripts/setup (Chromium, playwright-core, axe-core). Run: npm run test:e2e
import assert from "node:assert/strict";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { expected401, launchBrowser, SCREENSHOTS, startRappu, watchPage } from "./lib/rappu.mjs";

/**
 * Problems other than the 401s of a browser without a session, and requests a navigation
 * cuts short (the pairing screen's waiting poll, the sign-in page's list).
 */
const unexpected = (problems) =>
  problems.filter((p) => !expected401(p) && !/^request failed: .* net::ERR_ABORTED$/.test(p));

const require = createRequire(import.meta.url);

describe("web app smoke", { timeout: 120_000 }, () => {
  let rappu;
  let browser;

  before(async () => {
    // Both at once; if one fails, close the other, or its process keeps the test run alive.
    const [gateway, chromium] = await Promise.allSettled([startRappu(), launchBrowser()]);
    rappu = gateway.value;
    browser = chromium.value;
    const failed = [gateway, chromium].find((result) => result.status === "rejected");
    if (failed) throw failed.reason;
  });

  after(async () => {
    await browser?.close();
    await rappu?.stop();
  });

  test("the landing page renders from wasm and shows the gateway's health", async () => {
    const page = await browser.newPage();
    const watch = await watchPage(page);
    const wasm = page.waitForResponse((response) => response.url().endsWith("_bg.wasm"));
    const landing = await page.goto(`${rappu.url}/`);
    // Without the gateway's CSP the "no violation" check below would prove nothing.
    const csp = landing.headers()["content-security-policy"] ?? "";
    assert.match(csp, /script-src 'self' 'wasm-unsafe-eval'/);
    assert.doesNotMatch(csp, /unsafe-inline/);
    assert.equal(landing.headers()["cache-control"], "no-cache");

    // Only the wasm app renders these: index.html has an empty body.
    await page.getByRole("link", { name: /Porrasnäyttö/ }).waitFor();
    await page.getByRole("link", { name: /Asukasportaali/ }).waitFor();
    const health = page.locator(".health[data-state=ok]");
    await health.waitFor({ timeout: 10_000 });
    assert.match(await health.innerText(), /^Palvelu toimii \(versio \d+\.\d+\.\d+.*\)\.$/);

    assert.equal(await page.getAttribute("html", "lang"), "fi");
    assert.equal(await page.title(), "Rappu");
    const wasmHeaders = (await wasm).headers();
    assert.equal(wasmHeaders["content-type"], "application/wasm");
    assert.match(wasmHeaders["cache-control"], /immutable/);

    fs.mkdirSync(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SCREENSHOTS, "landing.png"), fullPage: true });
    assert.deepEqual(await watch.problems(), []);
    await page.close();
  });

  test("deep links and in-app navigation reach the right pages", async () => {
    const page = await browser.newPage();
    const watch = await watchPage(page);
    const heading = page.getByRole("heading", { level: 1 });

    // The display bundle: without a display session it shows a pairing code, and no
    // instructions for people passing by.
    await page.goto(`${rappu.url}/display`);
    await heading.filter({ hasText: "Näyttö odottaa käyttöönottoa" }).waitFor();
    await page.locator(".pairing-code").waitFor();
    assert.doesNotMatch(await page.locator("main").innerText(), /rappu |enroll|komen|http/i);
    assert.equal(await page.title(), "Porrasnäyttö – Rappu");
    assert.ok(await page.evaluate(() => [...document.scripts].every((s) => s.src)), "no inline script");

    await page.goto(`${rappu.url}/portal/reports/5/x`);
    await heading.filter({ hasText: "Sivua ei löytynyt" }).waitFor();

    // Client-side navigation: no new document load.
    await page.getByRole("link", { name: "Etusivulle" }).click();
    await heading.filter({ hasText: "Rappu" }).waitFor();
    await page.getByRole("link", { name: /Asukasportaali/ }).click();
    await heading.filter({ hasText: "Kirjaudu sisään" }).waitFor();
    assert.equal(new URL(page.url()).pathname, "/portal");

    // From the portal's program to the display's: a page load, the other program.
    const displayWasm = page.waitForResponse((r) => /rappu-display-[0-9a-f]+_bg\.wasm$/.test(r.url()));
    await page.goto(`${rappu.url}/`);
    await page.getByRole("link", { name: /Porrasnäyttö/ }).click();
    await displayWasm;
    await heading.filter({ hasText: "Näyttö odottaa käyttöönottoa" }).waitFor();

    // The caretaker's pairing page: its own program; without a caretaker session it says
    // what to do first.
    const pairWasm = page.waitForResponse((r) => /rappu-pair-[0-9a-f]+_bg\.wasm$/.test(r.url()));
    await page.goto(`${rappu.url}/display/pair`);
    await pairWasm;
    await heading.filter({ hasText: "Näytön käyttöönotto" }).waitFor();
    await page.getByText("Tällä puhelimella ei voi ottaa näyttöjä käyttöön").waitFor();

    // The operator's console: a page of its own (console.html) with its program and its
    // stylesheet, under the same policy; without a session it says how to sign in.
    const consoleWasm = page.waitForResponse((r) => /rappu-console-[0-9a-f]+_bg\.wasm$/.test(r.url()));
    const consolePage = await page.goto(`${rappu.url}/console/usage`);
    assert.equal(consolePage.headers()["cache-control"], "no-cache");
    assert.match(consolePage.headers()["content-security-policy"] ?? "", /script-src 'self' 'wasm-unsafe-eval'/);
    await consoleWasm;
    await page.getByText("rappu admin-link").first().waitFor();
    assert.equal(await page.locator('link[rel=stylesheet][href^="/assets/console-"]').count(), 1);

    // Signed out and not enrolled, the gateway answers 401: expected, nothing else.
    assert.deepEqual(unexpected(await watch.problems()), []);
    await page.close();
  });

  test("the landing page has no axe-core accessibility violations", async () => {
    const page = await browser.newPage();
    await page.goto(`${rappu.url}/`);
    await page.locator(".health[data-state=ok]").waitFor();
    // Evaluated through DevTools, so the page's CSP (no inline scripts) does not apply.
    await page.evaluate(fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8"));
    const result = await page.evaluate(() =>
      window.axe.run(document, { runOnly: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] }));
    const violations = result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.length})`);
    assert.deepEqual(violations, []);
    await page.close();
  });
});
