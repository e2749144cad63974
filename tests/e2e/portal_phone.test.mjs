// The resident portal as a phone really uses it, in a real browser against the real
// gateway: a 12 MB camera photo taken sideways (EXIF orientation 6) is resized in the
// browser to at most 2 megapixels, upright and without EXIF, and the resident sees it in
// the report afterwards; a text file named .jpg is refused at once; 44 px tap targets; 200 %
// text at 320 px wide; the draft kept across a reload and gone after sending; the phone
// filled in from Tampuuri; plural forms; a report number that never breaks; state names
// that say what they mean. axe-core on every page.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { api, axeSerious, screenshot, sim, waitUntil } from "./lib/helpers.mjs";
import { expected401, launchBrowser, startRappu, watchPage } from "./lib/rappu.mjs";

const PHONE = { width: 360, height: 780 };

/**
 * A camera-like JPEG: 4000 × 3000 pixels of noise (about 12 MB at quality 0.98), made by
 * the browser's encoder, with an EXIF segment saying "rotate 90° clockwise to view"
 * (orientation 6) inserted after the start marker.
 */
async function cameraJpeg(page) {
  const base64 = await page.evaluate(async () => {
    const canvas = new OffscreenCanvas(4000, 3000);
    const context = canvas.getContext("2d");
    const image = context.createImageData(4000, 3000);
    let seed = 12345;
    for (let i = 0; i < image.data.length; i += 4) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      image.data[i] = seed & 0xff;
      image.data[i + 1] = (seed >>> 8) & 0xff;
      image.data[i + 2] = (seed >>> 16) & 0xff;
      image.data[i + 3] = 255;
    }
    context.putImageData(image, 0, 0);
    const blob = await canvas.convertToBlob({ type: "image/jpeg", quality: 0.98 });
    const bytes = new Uint8Array(await blob.arrayBuffer());
    let text = "";
    for (let i = 0; i < bytes.length; i += 0x8000) {
      text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    }
    return btoa(text);
  });
  const jpeg = Buffer.from(base64, "base64");
  // APP1 "Exif": a big-endian TIFF header and one IFD entry, Orientation (0x0112) = 6, and
  // a GPS-like comment that must not survive.
  const tiff = Buffer.from([
    0x4d, 0x4d, 0x00, 0x2a, 0x00, 0x00, 0x00, 0x08, // MM, 42, first IFD at 8
    0x00, 0x01, // one entry
    0x01, 0x12, 0x00, 0x03, 0x00, 0x00, 0x00, 0x01, 0x00, 0x06, 0x00, 0x00, // orientation 6
    0x00, 0x00, 0x00, 0x00, // no next IFD
  ]);
  const payload = Buffer.concat([Buffer.from("Exif\0\0"), tiff, Buffer.from("GPSLatitude 60.17N")]);
  const length = Buffer.alloc(2);
  length.writeUInt16BE(payload.length + 2);
  const app1 = Buffer.concat([Buffer.from([0xff, 0xe1]), length, payload]);
  return Buffer.concat([jpeg.subarray(0, 2), app1, jpeg.subarray(2)]);
}

describe("the portal on a phone", { timeout: 300_000 }, () => {
  let rappu;
  let browser;
  let page;
  let watch;
  let phone;
  let reportUrl;
  const title = `Ikkunan karmi lahonnut ${Date.now() % 100000}`;

  before(async () => {
    [rappu, browser] = await Promise.all([startRappu(), launchBrowser()]);
    page = await browser.newPage();
    await page.setViewportSize(PHONE);
    watch = await watchPage(page);
  });

  after(async () => {
    await browser?.close();
    await rappu?.stop();
  });

  const heading = () => page.getByRole("heading", { level: 1 });
  const problems = async () => (await watch.problems()).filter((p) => !expected401(p));

  test("1. the form starts with the phone Tampuuri has, and its controls are 44 px targets", async () => {
    const residents = (await api(rappu, "GET", "/api/v1/auth/demo-residents")).body;
    phone = "040 700 1234";
    await sim(rappu, "PATCH", `/_sim/accounts/demo/parties/${residents[0].party}`, { Matkapuhelin: phone });
    await page.goto(`${rappu.url}/portal/report`);
    await page.locator(".choices button").first().click();
    await heading().filter({ hasText: "Uusi vikailmoitus" }).waitFor();
    await waitUntil("the phone to be filled in", async () =>
      (await page.locator("#contact_phone").inputValue()) === phone);
    for (const selector of [".radio input", ".checkbox input", ".radio label", ".checkbox > label"]) {
      const boxes = await page.locator(selector).evaluateAll((els) =>
        els.map((el) => { const r = el.getBoundingClientRect(); return [r.width, r.height]; }));
      assert.ok(boxes.length > 0, selector);
      for (const [w, h] of boxes) {
        assert.ok(h >= 44 && w >= 44, `${selector} is ${w}×${h}`);
      }
    }
    assert.deepEqual(await problems(), []);
  });

  test("2. a text file named .jpg is refused at once; a 12 MB sideways photo is resized upright", async () => {
    const picker = page.getByLabel("Valokuvat");
    await picker.setInputFiles({ name: "kuva.jpg", mimeType: "image/jpeg", buffer: Buffer.from("Tämä ei ole kuva.\n") });
    await page.locator("#photos-error").filter({ hasText: "kuva.jpg: Tiedosto ei ole valokuva" }).waitFor({ timeout: 5_000 });
    assert.equal(await page.locator(".photo-list li").count(), 0, "nothing was taken");

    const camera = await cameraJpeg(page);
    assert.ok(camera.length > 6_000_000, `a camera-sized file (${camera.length} bytes)`);
    const started = Date.now();
    await picker.setInputFiles({ name: "IMG_2041.jpg", mimeType: "image/jpeg", buffer: camera });
    const preview = page.locator(".photo-list img");
    await preview.waitFor({ timeout: 30_000 });
    console.log(`a ${(camera.length / 1e6).toFixed(1)} MB photo resized in ${Date.now() - started} ms`);
    const shown = await preview.evaluate((img) => [img.naturalWidth, img.naturalHeight]);
    assert.ok(shown[0] < shown[1], `upright: ${shown}`);
    assert.ok(shown[0] * shown[1] <= 2_000_000, `at most 2 MP: ${shown}`);
    assert.equal(await page.locator(".photo-name").innerText(), "IMG_2041.jpg");
    assert.match(await page.locator(".photo-size").innerText(), /kB$/);
    assert.equal(await page.locator("#photos-error").count(), 0, "the earlier refusal is gone");
    assert.deepEqual(await axeSerious(page, "form with a photo"), []);
    await screenshot(page, "portal-photo-resized");
  });

  test("3. the draft survives a reload and is gone once sent", async () => {
    await page.getByLabel("Otsikko").fill(title);
    await page.getByLabel("Kuvaus").fill("Makuuhuoneen ikkunan karmi on lahonnut ja vetää.");
    await page.getByLabel("Yleisissä tiloissa").check();
    await page.reload();
    await heading().filter({ hasText: "Uusi vikailmoitus" }).waitFor();
    assert.equal(await page.getByLabel("Otsikko").inputValue(), title);
    assert.equal(await page.getByLabel("Yleisissä tiloissa").isChecked(), true);
    assert.equal(await page.locator("#contact_phone").inputValue(), phone);
    await page.locator(".photo-list img").waitFor();
    const stored = await page.evaluate(() => Object.keys(sessionStorage).join(","));
    assert.equal(stored, "rappu.portal.draft", "the draft, in this tab only");

    await page.getByRole("button", { name: "Lähetä vikailmoitus" }).click();
    await page.waitForURL(/\/portal\/reports\/[^/?]+\?filed=1$/, { timeout: 15_000 });
    reportUrl = page.url().replace(/\?.*$/, "");
    assert.equal(await page.evaluate(() => sessionStorage.getItem("rappu.portal.draft")), null);
    // The resident's own photo, upright, without EXIF, served to them.
    const photo = page.locator(".report-photos img");
    await photo.waitFor();
    await page.waitForFunction(() => document.querySelector(".report-photos img")?.complete);
    const size = await photo.evaluate((img) => [img.naturalWidth, img.naturalHeight]);
    assert.ok(size[0] < size[1] && size[0] * size[1] <= 2_000_000, `${size}`);
    const bytes = await page.evaluate(async (src) => {
      const r = await fetch(src);
      return [r.status, new TextDecoder("latin1").decode(await r.arrayBuffer()).includes("Exif")];
    }, await photo.getAttribute("src"));
    assert.deepEqual(bytes, [200, false], "no EXIF left");
    await page.locator(".status-meaning").waitFor();
    assert.match(await page.locator(".status-meaning").innerText(), /tallessa|perillä/);
    assert.deepEqual(await axeSerious(page, "report with photos"), []);
  });

  test("4. plural forms, state names with their meaning, and a report number that never breaks, at 200 % text and 320 px", async () => {
    await page.getByRole("link", { name: "Omat ilmoitukset" }).click();
    await page.locator(".report-list li").first().waitFor();
    assert.match(await page.locator("main").innerText(), /Yhteensä 1 ilmoitus\./);
    await page.goto(reportUrl);
    // Delivered: Tampuuri's number and the state "waiting for maintenance".
    await page.locator(".report-number").waitFor({ timeout: 30_000 });
    assert.match(await page.locator(".status").innerText(), /Odottaa huoltoa/);
    assert.match(await page.locator(".status-meaning").innerText(), /ei ole vielä ottanut/);

    await page.setViewportSize({ width: 320, height: 640 });
    await page.evaluate(() => { document.documentElement.style.fontSize = "200%"; });
    const layout = await page.evaluate(() => ({
      header: document.querySelector(".portal-header").getBoundingClientRect().bottom,
      h1: document.querySelector("h1").getBoundingClientRect().top,
      wide: document.documentElement.scrollWidth,
      numberLines: document.querySelector(".report-number").getClientRects().length,
      over: [...document.querySelectorAll("body *")].filter((el) => el.getBoundingClientRect().right > 320.5)
        .map((el) => `${el.tagName}.${el.className}`).slice(0, 8),
    }));
    assert.ok(layout.header <= 640 / 2, `the header leaves the first screen to the page (${layout.header} px)`);
    assert.ok(layout.h1 < 640, "the heading is on the first screen");
    assert.ok(layout.wide <= 320, `no sideways scrolling (${layout.wide} px: ${layout.over})`);
    assert.equal(layout.numberLines, 1, "the report number is on one line");
    await screenshot(page, "portal-report-200pct-320px", { fullPage: false });
    await page.goto(`${rappu.url}/portal/report`);
    await heading().filter({ hasText: "Uusi vikailmoitus" }).waitFor();
    await page.evaluate(() => { document.documentElement.style.fontSize = "200%"; });
    const form = await page.evaluate(() => ({
      header: document.querySelector(".portal-header").getBoundingClientRect().bottom,
      wide: document.documentElement.scrollWidth,
      over: [...document.querySelectorAll("body *")].filter((el) => el.getBoundingClientRect().right > 320.5)
        .map((el) => `${el.tagName}.${el.className}#${el.id}`).slice(0, 8),
    }));
    assert.ok(form.header <= 640 / 2, `form page header ${form.header} px`);
    assert.ok(form.wide <= 320, `form page ${form.wide} px wide: ${form.over}`);
    assert.deepEqual(await axeSerious(page, "form at 200 % text"), []);
    await screenshot(page, "portal-form-200pct-320px", { fullPage: false });

    // English: its own plural and state names.
    await page.evaluate(() => { document.documentElement.style.fontSize = ""; });
    await page.setViewportSize(PHONE);
    await page.getByRole("button", { name: "In English" }).click();
    await page.getByRole("link", { name: "My reports" }).click();
    await page.locator(".report-list li").first().waitFor();
    assert.match(await page.locator("main").innerText(), /1 report in all\./);
    assert.match(await page.locator(".report-list .status").innerText(), /Waiting for maintenance/);
    await page.getByRole("button", { name: "Suomeksi" }).click();
    assert.deepEqual(await problems(), []);
  });
});
