// The stairwell display in a real browser against the real gateway and its simulator:
// enrolment, privacy, live updates, both orientations, the offline mark (a gateway that
// hangs with the event stream still open, one that is gone), a reload and a fresh start
// while it is down (the service worker's shell, the last board), and recovery.
//
// Needs: target/debug/rappu (cargo build --bin rappu), web/dist (scripts/build-web), and
// scripts/setup (Chromium, playwright-core, axe-core). Run: npm run test:e2e
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { api, outageNoise, screenshot, sim, token, waitUntil } from "./lib/helpers.mjs";
import { launchBrowser, startRappu, watchPage } from "./lib/rappu.mjs";

/** The protected kinds of resident the simulator's summary lists (sim/README.md). */
const PROTECTED = ["turvakielto", "hidden", "former", "future", "archived"];

/** Every apartment line on the board (all pages), as the display renders it. */
const boardLines = (page) =>
  page.$$eval(".board-page .apt", (rows) =>
    rows.map((row) => ({
      number: row.dataset.apartment,
      names: row.querySelector(".apt-names:not(.empty)")?.textContent ?? "",
    })));

/**
 * The board once its layout has settled: the same lines read on three polls 400 ms apart.
 * After a resize the board measures itself again and lays its pages out anew, so a single
 * read can catch the layout of the size before.
 */
async function settledBoard(page) {
  let previous;
  let same = 0;
  return waitUntil("the board's layout to settle", async () => {
    const lines = JSON.stringify(await boardLines(page));
    same = lines === previous ? same + 1 : 0;
    previous = lines;
    return same >= 2 ? JSON.parse(lines) : undefined;
  }, { everyMs: 400 });
}

describe("stairwell display", { timeout: 240_000 }, () => {
  let rappu;
  let browser;
  let page;
  let watch;
  let building;
  let displayToken;
  /** Surnames given to protected residents: must never show. */
  const secret = [];
  /** A current resident's new surname: must show. */
  let visible;
  let visibleParty;

  before(async () => {
    const [gateway, chromium] = await Promise.allSettled([startRappu(), launchBrowser()]);
    rappu = gateway.value;
    browser = chromium.value;
    const failed = [gateway, chromium].find((result) => result.status === "rejected");
    if (failed) throw failed.reason;
    const display = rappu.ready.credentials.find(
      (c) => c.grant.role === "display" && c.grant.staircase === undefined);
    assert.ok(display, "the demo has a display credential for a whole building");
    building = display.grant.building;
    displayToken = token(rappu.ready, { role: "display", building });
  });

  after(async () => {
    await browser?.close();
    await rappu?.stop();
  });

  test("1. an enrolled display shows the building's apartments and names, never a protected resident's", async () => {
    // Give every protected resident of the building a surname of its own, and one current
    // resident too (the control): the simulator sends its webhooks, the gateway invalidates.
    const summary = await sim(rappu, "GET", "/_sim/accounts/demo/summary");
    const inBuilding = (r) => r.building_id === building;
    const plain = summary.residents.plain.filter(inBuilding);
    assert.ok(plain.length > 0, "the building has current residents");
    const plainParties = new Set(plain.map((r) => r.party_id));
    for (const kind of PROTECTED) {
      const residents = summary.residents[kind].filter(inBuilding);
      assert.ok(residents.length > 0 || kind !== "turvakielto", `the building has a ${kind} resident`);
      for (const r of residents) {
        // A party that is also a current, shown resident elsewhere may rightly appear.
        if (plainParties.has(r.party_id)) continue;
        const name = `Salattu${kind}${r.party_id}`;
        await sim(rappu, "PATCH", `/_sim/accounts/demo/parties/${r.party_id}`, { Sukunimi: name });
        secret.push(name);
      }
    }
    assert.ok(secret.some((n) => n.startsWith("Salattuturvakielto")), "a turvakielto resident is covered");
    assert.ok(secret.some((n) => n.startsWith("Salattuhidden")), "a hidden resident is covered");
    visibleParty = plain[0].party_id;
    visible = `Näkyvä${visibleParty}`;
    await sim(rappu, "PATCH", `/_sim/accounts/demo/parties/${visibleParty}`, { Sukunimi: visible });
    const feed = await waitUntil("the feed to show the renamed current resident", async () => {
      const answer = await api(rappu, "GET", "/api/v1/display/feed", { bearer: displayToken });
      return JSON.stringify(answer.body).includes(visible) && answer.body;
    });
    for (const name of secret) assert.ok(!JSON.stringify(feed).includes(name), `the feed hides ${name}`);

    // Enrol: the one-time link, exchanged for an HttpOnly cookie; the code leaves the URL.
    page = await browser.newPage();
    await page.setViewportSize({ width: 1080, height: 1920 });
    watch = await watchPage(page);
    await page.goto(rappu.ready.display_enrolment_url);
    await page.waitForURL((url) => url.pathname === "/display" && url.search === "");
    await page.locator(".display[data-state=live] .board-page .apt").first().waitFor({ timeout: 15_000 });
    assert.equal(await page.title(), "Porrasnäyttö – Rappu");
    const cookies = await browser.context.cookies();
    const session = cookies.find((c) => c.name === "rappu_session");
    assert.ok(session, "a session cookie");
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, "Strict");
    const stored = await page.evaluate(() => JSON.stringify({ ...localStorage, ...sessionStorage }));
    assert.ok(!stored.includes(session.value), "no session token in web storage");
    assert.ok(!/eyJ[\w-]+\.eyJ/.test(stored), "no token of any kind in web storage");
    assert.equal(await page.evaluate(() => document.cookie.includes("rappu_session")), false);

    // The board: every apartment of the feed, with exactly its names, and nothing secret.
    const expected = feed.staircases.flatMap((s) => s.floors.flatMap((f) => f.apartments))
      .map((a) => ({ number: a.number, names: a.names.join(", ") }));
    const shown = await boardLines(page);
    assert.deepEqual(
      [...shown].sort((a, b) => a.number.localeCompare(b.number, "fi", { numeric: true })),
      [...expected].sort((a, b) => a.number.localeCompare(b.number, "fi", { numeric: true })),
    );
    assert.ok(shown.some((a) => a.names.includes(visible)), "the current resident is named");
    const html = await page.content();
    for (const name of secret) assert.ok(!html.includes(name), `the display never shows ${name}`);
    assert.match(await page.locator(".display-place h1").innerText(), new RegExp(feed.building.property_name));
    assert.match(await page.locator(".display-address").innerText(), new RegExp(feed.building.address.street));
    assert.match(await page.locator(".display-footer").innerText(), /Päivitetty \d\d\.\d\d/);
    if (feed.contacts.maintenance?.phone) {
      assert.match(await page.locator(".maintenance").innerText(), new RegExp(feed.contacts.maintenance.phone));
    }
    assert.equal(await page.locator(".qr img").evaluate((img) => img.complete && img.naturalWidth > 0), true);

    // The code is used up: opening the link again gets a clear message and no session.
    const again = await browser.newPage();
    await again.goto(rappu.ready.display_enrolment_url);
    await again.locator("[data-state=invalid]").waitFor();
    assert.match(await again.locator("main").innerText(), /ei kelpaa/);
    assert.equal(new URL(again.url()).search, "", "the used code left the address bar too");
    await again.close();

    assert.deepEqual(await watch.problems(), []);
  });

  test("2. a change in the simulator reaches the display within 2 s", async () => {
    // A resident's name (webhook OsapuoliTietoMuokkaa) ...
    const renamed = `Muuttanut${visibleParty}`;
    const started = Date.now();
    await sim(rappu, "PATCH", `/_sim/accounts/demo/parties/${visibleParty}`, { Sukunimi: renamed });
    await page.waitForFunction(
      (name) => document.querySelector(".board")?.textContent.includes(name),
      renamed,
      { timeout: 2_000, polling: 50 },
    );
    const nameMs = Date.now() - started;
    // ... and a new announcement (UutinenUusi).
    const title = `Pihatalkoot ${Date.now() % 100000}`;
    const announced = Date.now();
    await sim(rappu, "POST", "/_sim/accounts/demo/announcements", {
      KohdeId: building,
      Otsikko: title,
      Sisalto: "Lauantaina klo 10 pihalla. Tervetuloa!",
    });
    await page.waitForFunction(
      (text) => document.querySelector(".info")?.textContent.includes(text),
      title,
      { timeout: 2_000, polling: 50 },
    );
    const announcementMs = Date.now() - announced;
    console.log(`display update: name ${nameMs} ms, announcement ${announcementMs} ms`);
    assert.ok(nameMs <= 2_000 && announcementMs <= 2_000);
    visible = renamed;
    assert.deepEqual(await watch.problems(), []);
  });

  test("6. screenshots of the display, portrait 1080×1920 and landscape 1920×1080", async () => {
    for (const [name, width, height] of [
      ["display-portrait", 1080, 1920],
      ["display-landscape", 1920, 1080],
    ]) {
      await page.setViewportSize({ width, height });
      // The board measures itself again on resize.
      await page.waitForTimeout(500);
      // Everything fits the screen: nothing visible lies outside it (the board's hidden
      // measuring copy aside, and an announcement's later pages, which wait beside its
      // window).
      const outside = await page.$$eval(".display *", (nodes, [w, h]) =>
        nodes.filter((n) => {
          if (n.closest("[hidden], .board-measure, .info-body")) return false;
          const r = n.getBoundingClientRect();
          return r.width > 0 && (r.right > w + 1 || r.bottom > h + 1);
        }).map((n) => n.className || n.tagName), [width, height]);
      assert.deepEqual(outside, [], `${name}: everything is on screen`);
      await screenshot(page, name, { fullPage: false });
    }
    await page.setViewportSize({ width: 1080, height: 1920 });
  });

  test("3. a gateway that hangs with the event stream open is marked offline within 15 s", async () => {
    await page.locator(".display[data-state=live]").waitFor();
    const before = await settledBoard(page);
    // Frozen: connections (the event stream too) stay open, nothing answers.
    const frozen = Date.now();
    await rappu.pause();
    try {
      await page.locator(".display[data-state=offline] .offline").waitFor({ timeout: 15_000 });
      const latency = Date.now() - frozen;
      console.log(`offline mark ${latency} ms after the gateway stopped answering (stream open)`);
      assert.ok(latency <= 15_000);
      assert.deepEqual(await boardLines(page), before, "the last board stays");
    } finally {
      await rappu.resume();
    }
    await page.locator(".display[data-state=live]").waitFor({ timeout: 20_000 });
  });

  test("4. the display keeps its content while the gateway is down, also across a reload and a fresh start, and recovers by itself", async () => {
    // The service worker controls the page (it has kept the app shell).
    await page.waitForFunction(() => navigator.serviceWorker?.controller?.state === "activated",
      undefined, { timeout: 15_000 });
    const before = await settledBoard(page);
    assert.ok(before.length > 0);
    const stopped = Date.now();
    await rappu.halt();
    // The stream drops; the display notices, keeps the board and marks itself offline.
    await page.locator(".display[data-state=offline] .offline").waitFor({ timeout: 15_000 });
    console.log(`offline mark ${Date.now() - stopped} ms after the gateway stopped`);
    assert.match(await page.locator(".offline").innerText(), /Ei yhteyttä klo \d\d\.\d\d alkaen/);
    assert.deepEqual(await boardLines(page), before);
    await screenshot(page, "display-offline", { fullPage: false });

    // A reload while the gateway is down: the shell from the service worker, the last
    // board from storage, the offline mark.
    await page.reload();
    await page.locator(".display[data-state=offline] .board-page .apt").first().waitFor({ timeout: 15_000 });
    assert.deepEqual(await boardLines(page), before, "the last board after a reload");
    assert.equal(await page.locator(".qr img").evaluate((img) => img.complete && img.naturalWidth > 0), true,
      "the QR code is kept too");
    await screenshot(page, "display-offline-reload", { fullPage: false });
    // A fresh start (as after a power cut): a new page of the same browser profile.
    const fresh = await browser.newPage();
    await fresh.setViewportSize({ width: 1080, height: 1920 });
    await fresh.goto(`${rappu.url}/display`);
    await fresh.locator(".display[data-state=offline] .board-page .apt").first().waitFor({ timeout: 15_000 });
    assert.deepEqual(await boardLines(fresh), before, "the last board after a fresh start");
    await fresh.close();
    // A few more failed polls (one every 5 s) change nothing.
    await page.waitForTimeout(6_000);
    assert.deepEqual(await boardLines(page), before);

    await rappu.restart();
    await page.locator(".display[data-state=live]").waitFor({ timeout: 20_000 });
    assert.equal(await page.locator(".offline").count(), 0, "the offline mark is gone");
    // Back with the same session cookie (same data directory, same signing keys). The
    // embedded simulator starts again from its seed, so the board follows today's feed
    // (the test's earlier renames are gone from it).
    const feed = (await api(rappu, "GET", "/api/v1/display/feed", { bearer: displayToken })).body;
    const current = feed.staircases.flatMap((s) => s.floors.flatMap((f) => f.apartments))
      .map((a) => a.names.join(", "));
    await waitUntil("the board to show the feed after the restart", async () =>
      JSON.stringify((await boardLines(page)).map((a) => a.names).sort()) ===
        JSON.stringify([...current].sort()));
    // Live again: a change after the restart arrives through the reopened stream.
    const renamed = `Palannut${visibleParty}`;
    await sim(rappu, "PATCH", `/_sim/accounts/demo/parties/${visibleParty}`, { Sukunimi: renamed });
    await page.waitForFunction(
      (name) => document.querySelector(".board")?.textContent.includes(name),
      renamed,
      { timeout: 5_000, polling: 100 },
    );
    const problems = (await watch.problems()).filter((p) => !outageNoise(p));
    assert.deepEqual(problems, []);
  });
});
