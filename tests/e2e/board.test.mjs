// The stairwell board laid out for real buildings: generated feeds of 6, 30, 96 and 200
// apartments served to the real display app (the gateway serves the app; the test answers
// its feed requests), in portrait 1080×1920 and landscape 1920×1080. Every name of the
// feed must be visible, whole, on some page (measured text boxes, not just the DOM), rows
// at least 24 px tall, the 30-apartment building on one page, the 200-apartment one in at
// most 4; the announcements area and the QR code on screen; axe-core clean. Screenshots of
// every size, orientation and page go to tests/e2e/screenshots/.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { generatedFeed, SIZES } from "./lib/buildings.mjs";
import { axeSerious, screenshot } from "./lib/helpers.mjs";
import { launchBrowser, startRappu, watchPage } from "./lib/rappu.mjs";

const ORIENTATIONS = [
  ["portrait", 1080, 1920],
  ["landscape", 1920, 1080],
];

/** Answers the display's API calls from `feed` (the app and everything else are real). */
async function serveFeed(page, feed) {
  const body = JSON.stringify(feed);
  await page.route("**/api/v1/display/feed", (route) =>
    route.fulfill({
      status: 200,
      contentType: "application/json",
      headers: { ETag: '"generated"', "Cache-Control": "no-store" },
      body,
    }));
  // An open stream that asks the browser not to reconnect for ten minutes.
  await page.route("**/api/v1/display/events", (route) =>
    route.fulfill({ status: 200, contentType: "text/event-stream", body: "retry: 600000\n\n" }));
  await page.route("**/api/v1/display/session", (route) =>
    route.fulfill({
      status: 200,
      contentType: "application/json",
      body: JSON.stringify({ building: feed.building.id, expires_at: "2027-01-01T00:00:00Z", renewed: false }),
    }));
}

/**
 * Shows each board page in turn (as the page timer would) and measures it: every row's
 * apartment number, its names' text, whether the names' box lies whole inside its column,
 * the board and the screen without being cut (scrollWidth/scrollHeight), and row heights.
 */
async function measurePages(page) {
  return page.evaluate(() => {
    const pages = [...document.querySelectorAll(".board-page")];
    const board = document.querySelector(".board").getBoundingClientRect();
    const out = [];
    for (const [i, shown] of pages.entries()) {
      for (const p of pages) p.hidden = p !== shown;
      const rows = [...shown.querySelectorAll(".apt")].map((row) => {
        const names = row.querySelector(".apt-names");
        const box = names.getBoundingClientRect();
        const column = row.closest(".board-column").getBoundingClientRect();
        const inside = (outer, inner) =>
          inner.left >= outer.left - 0.5 && inner.right <= outer.right + 0.5 &&
          inner.top >= outer.top - 0.5 && inner.bottom <= outer.bottom + 0.5;
        return {
          number: row.dataset.apartment,
          names: names.classList.contains("empty") ? "" : names.textContent,
          whole: inside(column, box) && inside(board, box) &&
            inside({ left: 0, top: 0, right: innerWidth, bottom: innerHeight }, box) &&
            names.scrollWidth <= names.clientWidth + 1 && names.scrollHeight <= names.clientHeight + 1,
          height: row.getBoundingClientRect().height,
        };
      });
      out.push({ page: i + 1, rows });
    }
    return out;
  });
}

describe("the board for real buildings", { timeout: 600_000 }, () => {
  let rappu;
  let browser;
  const results = [];

  before(async () => {
    [rappu, browser] = await Promise.all([startRappu(), launchBrowser()]);
  });

  after(async () => {
    if (results.length) console.table(results);
    await browser?.close();
    await rappu?.stop();
  });

  /**
   * Serves `size`'s generated feed to a fresh page of `width` × `height` and checks the
   * board: every name whole on some page, rows of 24 px, the frame on screen, axe; returns
   * what the board did.
   */
  async function check(size, orientation, width, height, name) {
    const { feed } = generatedFeed(size);
    const page = await browser.newPage();
    const watch = await watchPage(page);
    await page.setViewportSize({ width, height });
    await serveFeed(page, feed);
    await page.goto(`${rappu.url}/display`);
    await page.locator(".display[data-state=live] .board-page .apt").first().waitFor();
    // Laid out by measurement (type, columns; the announcements' room), then stable.
    await page.waitForTimeout(500);
    const measured = await measurePages(page);
    const pages = measured.length;

    // Every apartment of the feed, with exactly its names, whole on some page.
    const expected = feed.staircases.flatMap((s) => s.floors.flatMap((f) => f.apartments));
    for (const apartment of expected) {
      const text = apartment.names.join(", ");
      const seen = measured.flatMap((p) => p.rows).filter((r) => r.number === apartment.number);
      assert.ok(seen.length >= 1, `${apartment.number} is on the board`);
      assert.ok(seen.every((r) => r.names === text), `${apartment.number} shows ${text}`);
      assert.ok(seen.some((r) => r.whole), `${apartment.number} (${text}) is whole on some page`);
    }
    const rows = measured.flatMap((p) => p.rows);
    assert.equal(rows.length, expected.length, "every apartment once");
    const lowest = Math.min(...rows.map((r) => r.height));
    assert.ok(lowest >= 24, `rows at least 24 px (lowest ${lowest})`);

    // The frame: the QR code, the date and the announcements on screen.
    const onScreen = (selector) => page.locator(selector).first().evaluate((el) => {
      const r = el.getBoundingClientRect();
      return r.width > 0 && r.height > 0 && r.left >= 0 && r.top >= 0 &&
        r.right <= innerWidth + 0.5 && r.bottom <= innerHeight + 0.5;
    });
    assert.ok(await onScreen(".qr img"), "the QR code is on screen");
    assert.ok(await onScreen(".today"), "the date is on screen");
    if (feed.announcements.length) {
      assert.ok(await onScreen(".info-item.current .info-title"), "an announcement is on screen");
    } else {
      assert.equal(await page.locator(".info").count(), 0, "no empty band");
    }
    const font = await page.locator(".board").evaluate((el) => getComputedStyle(el).fontSize);
    const compact = await page.locator(".display").evaluate((el) => el.classList.contains("compact"));
    results.push({ apartments: size.apartments, orientation, pages, font, "lowest row px": lowest, compact });

    for (const { page: n } of measured) {
      await page.evaluate((n) => {
        for (const p of document.querySelectorAll(".board-page")) p.hidden = p.dataset.page !== String(n);
      }, n);
      await screenshot(page, `${name}${n > 1 ? `-page${n}` : ""}`, { fullPage: false });
    }
    assert.deepEqual(await axeSerious(page, `${name}`), []);
    assert.deepEqual(await watch.problems(), []);
    await page.close();
    return { pages, compact };
  }

  for (const size of SIZES) {
    for (const [orientation, width, height] of ORIENTATIONS) {
      test(`${size.apartments} apartments, ${orientation}`, async () => {
        const { pages, compact } = await check(size, orientation, width, height,
          `display-${size.apartments}-${orientation}`);
        if (size.apartments <= 30) assert.equal(pages, 1, "one page");
        assert.ok(pages <= 4, `at most 4 pages (${pages})`);
        assert.equal(compact, false, "the announcements keep their room");
      });
    }
  }

  test("a long announcement is shown whole, a page of the area at a time", async () => {
    const { feed } = generatedFeed(SIZES[3]);
    const page = await browser.newPage();
    await page.setViewportSize({ width: 1080, height: 1920 });
    await serveFeed(page, feed);
    await page.goto(`${rappu.url}/display`);
    const kind = page.locator(".info-item.current .info-kind");
    await kind.filter({ hasText: "Tiedote 1/5 · Sivu 1/" }).waitFor();
    const pages = Number((await kind.textContent()).match(/Sivu 1\/(\d)/)[1]);
    assert.ok(pages >= 2, "the long text needs more than one page of the area");
    // Every column of the text is one page: all of it is reachable.
    const reach = await page.locator(".info-item.current .info-body").evaluate((body) => {
      const w = body.parentElement.clientWidth;
      return { scroll: body.scrollWidth, w };
    });
    assert.ok(reach.scroll <= pages * (reach.w + 48) + 1, JSON.stringify(reach));
    // The next page comes after 12 s, with the same announcement's title and dates.
    const started = Date.now();
    await kind.filter({ hasText: "Tiedote 1/5 · Sivu 2/" }).waitFor({ timeout: 15_000 });
    assert.ok(Date.now() - started >= 9_000, "each page stays at least 10 s");
    assert.match(await page.locator(".info-item.current .info-dates").innerText(), /Julkaistu/);
    await screenshot(page, "display-200-portrait-announcement-page2", { fullPage: false });
    await page.close();
  });

  test("a staircase too tall for a page takes room from the announcements", async () => {
    const tall = { apartments: 130, staircases: 1, floors: 10, announcements: 5, jobs: 3 };
    const { compact } = await check(tall, "portrait", 1080, 1920, "display-130-one-staircase-portrait");
    assert.equal(compact, true);
  });
});
