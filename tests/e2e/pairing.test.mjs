// Pairing a stairwell display like a TV app, in real browsers against the real gateway:
// an unpaired screen shows a code and a QR code (and nothing a passer-by could act on);
// an operator enters the code through the admin API and the screen becomes the display
// within 2 s; unpaired remotely, it shows a new code; a caretaker opens their link on a
// phone, scans the screen's QR code, picks the building and staircase, and the screen is
// the display again within 2 s. axe-core on the screen and on the phone.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { api, axeSerious, screenshot, token } from "./lib/helpers.mjs";
import { expected401, launchBrowser, startRappu, watchPage } from "./lib/rappu.mjs";

const SCREEN = { width: 1080, height: 1920 };
const PHONE = { width: 360, height: 780 };

/**
 * Everything but the 401s of a screen before pairing (and after unpairing), its pairing
 * polls cut short on purpose, and its event stream closed when it was unpaired.
 */
const unexpected = (problems) =>
  problems.filter((p) => !expected401(p) &&
    !/(displays\/pairing\/poll|display\/events) net::ERR_ABORTED/.test(p));

describe("pairing a display", { timeout: 180_000 }, () => {
  let rappu;
  let screenBrowser;
  let phoneBrowser;
  let screen;
  let watch;
  let admin;
  let building;
  let staircase;
  const timings = {};

  before(async () => {
    [rappu, screenBrowser, phoneBrowser] = await Promise.all([
      startRappu(), launchBrowser(), launchBrowser(),
    ]);
    admin = token(rappu.ready, { role: "admin" });
    const display = rappu.ready.credentials.find((c) => c.grant.role === "display" && c.grant.staircase);
    building = display.grant.building;
    staircase = display.grant.staircase;
  });

  after(async () => {
    console.log(`pairing latency: ${JSON.stringify(timings)}`);
    await screenBrowser?.close();
    await phoneBrowser?.close();
    await rappu?.stop();
  });

  /** The code the screen shows now (waits for a new one when `other` is given). */
  const shownCode = async (other) => {
    const code = screen.locator(".pairing-code");
    await screen.waitForFunction(
      (previous) => {
        const c = document.querySelector(".pairing-code")?.dataset.code;
        return c && c !== previous;
      },
      other ?? null,
      { timeout: 20_000 },
    );
    return code.getAttribute("data-code");
  };

  test("1. an unpaired screen shows a code and a QR code, and no instructions", async () => {
    screen = await screenBrowser.newPage();
    await screen.setViewportSize(SCREEN);
    watch = await watchPage(screen);
    await screen.goto(`${rappu.url}/display`);
    const code = await shownCode();
    assert.match(code, /^[ABCDEFGHJKMNPQRSTUVWXYZ2-9]{8}$/);
    const shown = await screen.locator(".pairing-code").innerText();
    assert.ok(shown.replace(/\s/g, "").endsWith(`${code.slice(0, 4)}\u2011${code.slice(4)}`), shown);
    const text = await screen.locator("main").innerText();
    assert.doesNotMatch(text, /rappu |enroll|curl|komen|command|http/i, "no operator instructions");
    // The QR code is an image the browser may still be decoding when the code is shown.
    await screen.waitForFunction(() => {
      const img = document.querySelector(".pairing-qr");
      return img?.complete && img.naturalWidth > 0;
    }, null, { timeout: 5_000 });
    // The code and the QR stay on one line and on screen.
    const box = await screen.locator(".pairing-code").boundingBox();
    assert.ok(box.x >= 0 && box.x + box.width <= SCREEN.width);
    assert.deepEqual(await axeSerious(screen, "pairing screen"), []);
    await screenshot(screen, "display-pairing", { fullPage: false });
    // Nothing of the pairing reaches web storage: the screen's secret is an HttpOnly cookie.
    const cookies = await screenBrowser.context.cookies();
    const secret = cookies.find((c) => c.name === "rappu_pairing");
    assert.ok(secret?.httpOnly, "an HttpOnly pairing cookie");
    const stored = await screen.evaluate(() => JSON.stringify({ ...localStorage, ...sessionStorage }));
    assert.ok(!stored.includes(secret.value));
  });

  test("2. an operator enters the code: the screen is the display within 2 s", async () => {
    const code = await shownCode();
    const started = Date.now();
    const answer = await api(rappu, "POST", "/api/v1/admin/displays/pairings", {
      bearer: admin,
      body: { code: `${code.slice(0, 4)}-${code.slice(4)}`.toLowerCase(), building, label: "Testinäyttö" },
    });
    assert.equal(answer.status, 201, JSON.stringify(answer.body));
    await screen.locator(".display[data-state=live] .board-page .apt").first().waitFor({ timeout: 2_000 });
    timings.admin = Date.now() - started;
    assert.ok(timings.admin <= 2_000, `${timings.admin} ms`);
    const session = (await screenBrowser.context.cookies()).find((c) => c.name === "rappu_session");
    assert.ok(session?.httpOnly, "the display's session is an HttpOnly cookie");

    // Unpaired remotely: the display drops the board and shows a new code.
    const removed = await api(rappu, "DELETE", `/api/v1/admin/displays/${answer.body.id}`, { bearer: admin });
    assert.equal(removed.status, 204);
    await screen.locator(".pairing-code").waitFor({ timeout: 15_000 });
    assert.equal(await screen.locator(".board-page .apt").count(), 0, "no names after unpairing");
  });

  test("3. a caretaker pairs it from a phone: link, QR code, building and staircase", async () => {
    const code = await shownCode();
    const link = await api(rappu, "POST", "/api/v1/admin/displays/caretaker-links", {
      bearer: admin,
      body: { buildings: [building], label: "Huolto Oy Testi" },
    });
    assert.equal(link.status, 201);
    const phone = await phoneBrowser.newPage();
    await phone.setViewportSize(PHONE);
    const phoneWatch = await watchPage(phone);
    await phone.goto(link.body.url);
    await phone.getByRole("heading", { level: 1, name: "Näytön käyttöönotto" }).waitFor();
    await phone.locator("#code").waitFor();
    assert.equal(new URL(phone.url()).search, "", "the link's code left the address bar");
    // The screen's QR code opens the page with the code filled in.
    const qrTarget = `${rappu.url}/display/pair?code=${code}`;
    await phone.goto(qrTarget);
    await phone.locator("#code").waitFor();
    assert.equal(await phone.locator("#code").inputValue(), code);
    assert.deepEqual(await axeSerious(phone, "caretaker pairing"), []);
    // One building: chosen already. Pick the staircase.
    assert.equal(await phone.locator("#building").inputValue(), String(building));
    await phone.locator("#staircase").selectOption(String(staircase));
    await phone.locator("#label").fill("A-rappu");
    await screenshot(phone, "pair-phone");
    const started = Date.now();
    await phone.getByRole("button", { name: "Ota näyttö käyttöön" }).click();
    await screen.locator(".display[data-state=live] .board-page .apt").first().waitFor({ timeout: 2_000 });
    timings.caretaker = Date.now() - started;
    await phone.locator(".notice-success").waitFor();
    assert.match(await phone.locator(".notice-success").innerText(), /otettu käyttöön/);
    // The display shows that staircase only.
    const shown = await screen.$$eval(".board-page .stair h2", (hs) => hs.map((h) => h.textContent));
    assert.equal(new Set(shown.map((h) => h.split("-")[0])).size, 1, `one staircase: ${shown}`);
    const listed = await api(rappu, "GET", "/api/v1/admin/displays", { bearer: admin });
    assert.equal(listed.body.length, 1);
    assert.equal(listed.body[0].paired_by, "caretaker:Huolto Oy Testi");

    // A wrong code is told on its field.
    await phone.locator("#code").fill("ABCD-EFGH");
    await phone.getByRole("button", { name: "Ota näyttö käyttöön" }).click();
    await phone.locator("#code-error").waitFor();
    assert.match(await phone.locator("#code-error").innerText(), /Mikään näyttö ei näytä tätä koodia/);
    assert.deepEqual(unexpected(await phoneWatch.problems()).filter((p) => !/422/.test(p)), []);
    assert.deepEqual(unexpected(await watch.problems()), []);
    await phone.close();
  });
});
