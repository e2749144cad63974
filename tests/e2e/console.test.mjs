// The operator's console in a real browser against the real gateway: signed in with a
// one-time link from `rappu admin-link` (an HttpOnly cookie, the code taken off the address
// bar); Displays (a display token in use shows online with its feed version; a screen is
// paired by the code it shows), Tampuuri usage (the SVG chart with a bar per day and the
// budget line, the projection and its euros, by route, 12 months), Upstream health (failed
// calls while Tampuuri is down), Fault reports (a report waiting in the outbox with its
// attempts), Tokens (minted with the role and scope pickers, shown once, revoked). axe-core
// on every page in Finnish and English, screenshots of each; a month of counters written
// into the database shows as a month on the usage page (console-usage-month-*.png, the
// README's picture); the console's program and stylesheet load on /console only.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { after, before, describe, test } from "node:test";
import { api, axeSerious, outageNoise, screenshot, sim, token, waitUntil } from "./lib/helpers.mjs";
import { expected401, launchBrowser, startRappu, watchPage } from "./lib/rappu.mjs";

const DESK = { width: 1280, height: 900 };

/** A one-time console link, as an operator gets it on the server. */
function consoleLink(rappu) {
  const out = execFileSync(rappu.bin, [
    "admin-link", "--data-dir", rappu.dataDir, "--public-url", rappu.url, "--subject", "e2e",
  ], { env: { ...process.env, RAPPU_METRICS__ADDR: "127.0.0.1:0" }, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  const link = out.trim().split("\n").pop();
  assert.match(link, /^http:\/\/127\.0\.0\.1:\d+\/console\/login\?code=[A-Za-z0-9_-]{43}$/);
  return link;
}

describe("the operator's console", { timeout: 240_000 }, () => {
  let rappu;
  let browser;
  let page;
  let watch;
  let display;
  let building;

  before(async () => {
    [rappu, browser] = await Promise.all([startRappu(), launchBrowser()]);
    display = token(rappu.ready, { role: "display" });
    building = rappu.ready.credentials.find((c) => c.grant.role === "display").grant.building;
    // A display in use: its feed polled with its token.
    assert.equal((await api(rappu, "GET", "/api/v1/display/feed", { bearer: display })).status, 200);
    page = await browser.newPage();
    await page.setViewportSize(DESK);
    watch = await watchPage(page);
  });

  after(async () => {
    await browser?.close();
    await rappu?.stop();
  });

  /** Switches the console to `lang` (the switch offers the other language). */
  const setLanguage = async (lang) => {
    const now = await page.evaluate(() => document.documentElement.lang);
    if (now !== lang) await page.locator("button.language-switch").click();
    await page.waitForFunction((l) => document.documentElement.lang === l, lang);
  };

  /** axe and a screenshot of the page in both languages. */
  const checkBothLanguages = async (name, ready) => {
    for (const lang of ["fi", "en"]) {
      await setLanguage(lang);
      await ready();
      assert.deepEqual(await axeSerious(page, `${name} (${lang})`), []);
      await screenshot(page, `console-${name}-${lang}`);
    }
    await setLanguage("fi");
  };

  test("1. without a session the console says how to sign in", async () => {
    await page.goto(`${rappu.url}/console`);
    await page.getByText("rappu admin-link").first().waitFor();
    assert.equal(await page.locator(".console-nav").count(), 0);
    await checkBothLanguages("signed-out", () => page.getByText("rappu admin-link").first().waitFor());
  });

  test("2. a console link signs in once, into an HttpOnly cookie", async () => {
    const link = consoleLink(rappu);
    await page.goto(link);
    await page.waitForURL(`${rappu.url}/console`);
    await page.locator("h1", { hasText: "Näytöt" }).waitFor();
    const cookies = await page.context().cookies();
    const session = cookies.find((c) => c.name === "rappu_session");
    assert.ok(session?.httpOnly && session.sameSite === "Strict", JSON.stringify(cookies));
    assert.equal(await page.evaluate(() => document.cookie), "", "no cookie for scripts");
    // The link is spent.
    const other = await browser.newPage();
    await other.goto(link);
    await other.getByText("Linkki on käytetty").waitFor();
    assert.deepEqual(await axeSerious(other, "spent link (fi)"), []);
    await screenshot(other, "console-login-spent-fi");
    await other.locator("button.language-switch").click();
    await other.waitForFunction(() => document.documentElement.lang === "en");
    assert.deepEqual(await axeSerious(other, "spent link (en)"), []);
    await screenshot(other, "console-login-spent-en");
    await other.locator("button.language-switch").click();
    await other.close();
  });

  test("3. Displays: the display in use is online with its feed version; a screen pairs by its code", async () => {
    const row = page.locator("tbody tr", { hasText: String(building) }).first();
    await row.waitFor();
    assert.match(await row.innerText(), /Paikalla/);
    const feed = await api(rappu, "GET", "/api/v1/display/feed", { bearer: display });
    const version = feed.headers.get("etag").replaceAll('"', "").slice(0, 12);
    assert.ok((await row.innerText()).includes(version), await row.innerText());

    // The screen in a browser of its own: its display session is a `rappu_session` cookie
    // too, which would replace the operator's in a shared cookie jar.
    const screenBrowser = await launchBrowser();
    const screen = await screenBrowser.newPage();
    await screen.goto(`${rappu.url}/display`);
    await screen.waitForFunction(() => document.querySelector(".pairing-code")?.dataset.code);
    const code = await screen.locator(".pairing-code").getAttribute("data-code");
    await page.fill("#pair-code", code);
    await page.fill("#pair-building", String(building));
    await page.fill("#pair-label", "Aula A");
    await page.getByRole("button", { name: "Liitä näyttö" }).click();
    await page.getByText("Näyttö liitetty.").waitFor();
    await page.locator("tbody tr", { hasText: "Aula A" }).waitFor();
    await screen.locator(".board, .apartment-board, main").first().waitFor();
    await screenBrowser.close();

    await checkBothLanguages("displays", () => page.locator("table").first().waitFor());
  });

  test("4. Tampuuri usage: calls per day as an SVG chart with the budget line and the bill", async () => {
    await page.getByRole("link", { name: "Tampuurin käyttö" }).click();
    await page.waitForURL(`${rappu.url}/console/usage`);
    const chart = page.locator(".usage-chart svg");
    await chart.waitFor();
    const bars = await chart.locator("rect.bar").count();
    assert.ok(bars >= 28 && bars <= 31, `${bars} bars`);
    assert.equal(await chart.locator("line.budget").count(), 1);
    const label = await chart.getAttribute("aria-label");
    assert.match(label, /budjetti 40\u202f000/);
    const today = new Date().getUTCDate();
    const made = await chart.locator("rect.bar:not(.projected)").count();
    assert.equal(made, today);
    const figures = await page.locator(".figures").innerText();
    assert.match(figures, /€/);
    // The account mirror's account-wide reads, by route.
    assert.ok(await page.locator("table code", { hasText: "selaa" }).count() >= 1);
    await checkBothLanguages("usage", () => chart.waitFor());
  });

  test("5. Upstream health: the account mirror, and failed calls while Tampuuri is down", async () => {
    await sim(rappu, "PUT", "/_sim/faults", { outage: true });
    // Reads are served from the account mirror: the go-live check calls Tampuuri itself.
    const admin = token(rappu.ready, { role: "admin" });
    await api(rappu, "GET", "/api/v1/admin/upstream/verify", { bearer: admin });
    await page.getByRole("link", { name: "Tampuurin tila" }).click();
    await page.waitForURL(`${rappu.url}/console/upstream`);
    await page.locator("td", { hasText: "503" }).first().waitFor();
    const text = await page.locator("main").innerText();
    assert.match(text, /Katkaisija/);
    assert.match(text, /Rappun kopio tilin tiedoista/);
    assert.match(text, /Asukkaat ja yhteyshenkilöt/);
    await checkBothLanguages("upstream", () => page.locator("table").first().waitFor());
  });

  test("6. Fault reports: a report filed while Tampuuri is down waits with its attempts", async () => {
    const resident = token(rappu.ready, { role: "resident" });
    const filed = await api(rappu, "POST", "/api/v1/fault-reports", {
      bearer: resident,
      headers: { "Idempotency-Key": `console-e2e-${Date.now()}` },
      body: {
        topic: "apartment", title: "Hana vuotaa", description: "Keittiön hana tippuu koko ajan.",
        master_key_allowed: true, contact_phone: "040 123 4567",
      },
    });
    assert.equal(filed.status, 201, JSON.stringify(filed.body));
    await page.getByRole("link", { name: "Vikailmoitukset" }).click();
    await page.waitForURL(`${rappu.url}/console/reports`);
    await waitUntil("the pending report", async () => {
      await page.getByRole("button", { name: "Päivitä" }).click();
      return (await page.locator("tbody tr", { hasText: "Odottaa" }).count()) > 0;
    }, { timeoutMs: 20_000, everyMs: 1_000 });
    await checkBothLanguages("reports", () => page.locator("table").first().waitFor());
    await sim(rappu, "PUT", "/_sim/faults", {});
  });

  test("7. Tokens: minted with the role and scope pickers, shown once, revoked", async () => {
    await page.getByRole("link", { name: "Avaimet" }).click();
    await page.waitForURL(`${rappu.url}/console/tokens`);
    await page.fill("#mint-subject", "Huolto Oy integraatio");
    await page.selectOption("#mint-role", "partner");
    await page.fill("#mint-assignee", "4242");
    await page.fill("#mint-days", "7");
    await page.getByRole("button", { name: "Tee avain" }).click();
    const minted = page.locator(".minted code.token");
    await minted.waitFor();
    const jwt = await minted.innerText();
    assert.match(jwt, /^eyJ/);
    const me = await api(rappu, "GET", "/api/v1/me", { bearer: jwt });
    assert.deepEqual(me.body.grant, { role: "partner", assignee: 4242 });
    const row = page.locator("tbody tr", { hasText: "Huolto Oy integraatio" });
    await row.waitFor();
    assert.ok(!(await page.locator("table").innerText()).includes(jwt), "no token in the list");
    await row.getByRole("button").click();
    await row.getByText("Mitätöity").waitFor();
    await waitUntil("the revocation", async () =>
      (await api(rappu, "GET", "/api/v1/me", { bearer: jwt })).status === 401);
    await checkBothLanguages("tokens", () => page.locator("table").first().waitFor());
  });

  test("8. the usage page over a month of calls (the README's picture)", async (t) => {
    const sqlite = spawnSync("sqlite3", ["-version"]);
    if (sqlite.error) {
      t.skip("sqlite3 is not installed (scripts/setup installs it)");
      return;
    }
    // This month's earlier days and the eleven months before, as the counters would hold
    // them after a building's displays had run: written while the gateway is stopped, then
    // read back through the console like any other month.
    const now = new Date();
    const [year, month, today] = [now.getUTCFullYear(), now.getUTCMonth() + 1, now.getUTCDate()];
    const pad = (n) => String(n).padStart(2, "0");
    const routes = [
      ["POST osapuolet/yhteydet/selaa", 0.34], ["GET kohteet/{id}", 0.22],
      ["POST kohteet/{id}/selaa", 0.18], ["POST ilmoitukset/selaa", 0.16], ["POST uutiset/selaa", 0.1],
    ];
    const rows = [];
    const monthly = new Map();
    for (let day = 1; day < today; day++) {
      const weekday = new Date(Date.UTC(year, month - 1, day)).getUTCDay();
      const calls = (weekday === 0 || weekday === 6 ? 820 : 1280) + ((day * 37) % 140);
      for (const [route, share] of routes) {
        const n = Math.round(calls * share);
        rows.push(`('demo','${year}-${pad(month)}-${pad(day)}','${route}',${n})`);
        monthly.set(route, (monthly.get(route) ?? 0) + n);
      }
    }
    const months = [...monthly].map(([route, n]) => `('demo','${year}-${pad(month)}','${route}',${n})`);
    for (let back = 1; back <= 11; back++) {
      const d = new Date(Date.UTC(year, month - 1 - back, 1));
      const total = 31_000 + ((back * 2_713) % 9_000);
      months.push(`('demo','${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}','POST osapuolet/yhteydet/selaa',${total})`);
    }
    await rappu.halt();
    const sql = [
      rows.length ? `INSERT INTO upstream_calls_daily (account, day, route, calls) VALUES ${rows.join(",")} ON CONFLICT DO UPDATE SET calls = calls + excluded.calls;` : "",
      `INSERT INTO upstream_calls (account, month, route, calls) VALUES ${months.join(",")} ON CONFLICT DO UPDATE SET calls = calls + excluded.calls;`,
    ].join("\n");
    execFileSync("sqlite3", [`${rappu.dataDir}/rappu.db`, sql]);
    await rappu.restart();

    await page.goto(`${rappu.url}/console/usage`);
    const chart = page.locator(".usage-chart svg");
    await chart.waitFor();
    const heights = await chart.locator("rect.bar:not(.projected)").evaluateAll((bars) =>
      bars.map((b) => Number(b.getAttribute("height"))));
    assert.equal(heights.length, today);
    assert.ok(heights.slice(0, -1).every((h) => h > 0), JSON.stringify(heights));
    assert.ok((await page.locator("table").last().locator("tbody tr").count()) >= 12);
    await checkBothLanguages("usage-month", () => chart.waitFor());
  });

  test("9. the console's program loads on /console only; no unexpected errors", async () => {
    const other = await browser.newPage();
    const loaded = [];
    other.on("request", (r) => loaded.push(new URL(r.url()).pathname));
    await other.goto(`${rappu.url}/portal`);
    await other.locator("main").waitFor();
    await other.goto(`${rappu.url}/display`);
    await other.locator("main").waitFor();
    assert.ok(!loaded.some((p) => /rappu-console|\/console-/.test(p)), loaded.join("\n"));
    await other.close();
    // (The gateway was stopped for a moment in test 8: what a page notices of that is noise.)
    const problems = (await watch.problems()).filter((p) => !expected401(p) && !outageNoise(p) &&
      !/HTTP 400: .*admin-login|HTTP 503|status of 503|status of 400/.test(p));
    assert.deepEqual(problems, []);
  });
});
