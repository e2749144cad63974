// Residents sign in with their email address, end to end: the gateway mails through a real
// SMTP server (aiosmtpd, started here), headless Chromium asks for a link on the portal,
// the test reads the mail from the server, opens the link in the browser and files a fault
// report; a resident with two apartments picks one after opening the link.
//
// Needs: target/debug/rappu, web/dist, and scripts/setup (Chromium, playwright-core,
// axe-core, .tools/venv with aiosmtpd). Run: npm run test:e2e
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { axeSerious, screenshot, sim } from "./lib/helpers.mjs";
import { expected401, launchBrowser, startRappu, watchPage } from "./lib/rappu.mjs";
import { startSmtpSink } from "./lib/smtp.mjs";

const PHONE = { width: 360, height: 780 };

describe("resident sign-in by email", { timeout: 180_000 }, () => {
  let smtp;
  let rappu;
  let browser;
  let summary;

  before(async () => {
    smtp = await startSmtpSink();
    const [gateway, chromium] = await Promise.allSettled([
      startRappu({
        env: {
          RAPPU_EMAIL__SMTP_HOST: "127.0.0.1",
          RAPPU_EMAIL__SMTP_PORT: String(smtp.port),
          RAPPU_EMAIL__SECURITY: "none",
          RAPPU_EMAIL__FROM: "Rappu <rappu@isannointi.example.fi>",
        },
      }),
      launchBrowser(),
    ]);
    rappu = gateway.value;
    browser = chromium.value;
    const failed = [gateway, chromium].find((result) => result.status === "rejected");
    if (failed) throw failed.reason;
    summary = await sim(rappu, "GET", "/_sim/accounts/demo/summary");
  });

  after(async () => {
    await browser?.close();
    await rappu?.stop();
    await smtp?.stop();
  });

  /** Adds a current resident with `email` to `apartment` (or connects party `party`). */
  const addResident = (apartment, email, extra = {}) => sim(rappu, "POST", "/_sim/accounts/demo/connections", {
    KohdeId: apartment, Etunimi: "Aino", Sukunimi: "Sähköposti", Alkaa: "2020-01-01", Sahkoposti: email, ...extra,
  });

  /** A fresh phone-sized page, watched for errors. */
  const phone = async () => {
    const page = await browser.newPage();
    await page.setViewportSize(PHONE);
    const watch = await watchPage(page);
    const problems = async () => (await watch.problems()).filter((p) => !expected401(p));
    return { page, problems };
  };

  /** Asks for a link on the sign-in page and returns the link from the mail. */
  const askForLink = async (page, email) => {
    await page.goto(`${rappu.url}/portal/report`);
    await page.getByRole("heading", { level: 1, name: "Kirjaudu sisään" }).waitFor();
    await page.getByLabel("Sähköpostiosoite").fill(email);
    await page.getByRole("button", { name: "Lähetä kirjautumislinkki" }).click();
    await page.getByRole("status").filter({ hasText: "kirjautumislinkki on matkalla" }).waitFor();
    const mail = await smtp.waitForMail(email);
    const link = /https?:\/\/\S+\/portal\/login\?code=[A-Za-z0-9_-]+/.exec(mail.text)?.[0];
    assert.ok(link, `a sign-in link in the mail's text:\n${mail.text}`);
    assert.ok(mail.html.includes(link.replace(/&/g, "&amp;")), "the same link in the HTML part");
    return { mail, link };
  };

  test("a resident asks for a link, reads the mail, opens the link and files a report", async () => {
    const email = "aino.sahkoposti@example.fi";
    const apartment = summary.residents.plain[0].apartment_id;
    await addResident(apartment, email);
    const { page, problems } = await phone();

    // A wrong address is caught in the page, with the field named.
    await page.goto(`${rappu.url}/portal/report`);
    await page.getByLabel("Sähköpostiosoite").fill("ei-osoite");
    await page.getByRole("button", { name: "Lähetä kirjautumislinkki" }).click();
    await page.locator("#email-error").waitFor();
    assert.equal(await page.getByLabel("Sähköpostiosoite").getAttribute("aria-invalid"), "true");
    assert.deepEqual(await axeSerious(page, "sign-in by email"), []);
    await screenshot(page, "portal-sign-in-email");

    const { mail, link } = await askForLink(page, email);
    assert.match(mail.subject, /kirjautu/i, mail.subject);
    assert.ok(mail.text.includes(summary.properties.find((p) => p.id === summary.residents.plain[0].property_id).name),
      "the mail names the property");
    await screenshot(page, "portal-sign-in-link-sent");

    // The link, opened (as from the mail app): signed in, on my reports.
    await page.goto(link);
    await page.waitForURL(/\/portal\/reports$/, { timeout: 15_000 });
    const session = (await browser.context.cookies()).find((c) => c.name === "rappu_session");
    assert.equal(session?.httpOnly, true);
    assert.equal(session?.sameSite, "Strict");

    // File a report.
    const title = `Eteisen lamppu vilkkuu ${Date.now() % 100000}`;
    await page.getByRole("navigation").getByRole("link", { name: "Uusi vikailmoitus" }).click();
    await page.getByRole("heading", { level: 1, name: "Uusi vikailmoitus" }).waitFor();
    await page.getByLabel("Otsikko").fill(title);
    await page.getByLabel("Kuvaus").fill("Lamppu vilkkuu ja sammuu välillä kokonaan.");
    await page.getByLabel("Puhelinnumero").fill("040 765 4321");
    await page.getByRole("button", { name: "Lähetä vikailmoitus" }).click();
    await page.waitForURL(/\/portal\/reports\/[^/?]+\?filed=1$/, { timeout: 15_000 });
    await page.getByRole("heading", { level: 1, name: title }).waitFor();
    await screenshot(page, "portal-email-resident-filed");

    // The link worked once: opened again it is refused.
    const again = await browser.newPage();
    await again.goto(link);
    await again.getByRole("alert").filter({ hasText: "ei kelpaa" }).waitFor();
    await again.close();
    assert.deepEqual(await problems(), []);
    await page.close();
  });

  test("a resident with two apartments picks one after opening the link", async () => {
    await browser.context.clearCookies();
    const email = "kaksi.kotia@example.fi";
    const [first, second] = [summary.residents.plain[1], summary.residents.plain[3]];
    const added = await addResident(first.apartment_id, email);
    await addResident(second.apartment_id, "", { OsapuoliId: added.Osapuoli.Id });
    const { page } = await phone();
    const { link } = await askForLink(page, email);

    await page.goto(link);
    const choices = page.locator(".choices button");
    await choices.first().waitFor();
    assert.equal(await choices.count(), 2);
    assert.deepEqual(await axeSerious(page, "apartment choice"), []);
    await screenshot(page, "portal-sign-in-pick-apartment");
    await choices.nth(1).click();
    await page.waitForURL(/\/portal\/reports$/, { timeout: 15_000 });
    const me = await page.evaluate(async () => (await fetch("/api/v1/me")).json());
    assert.equal(me.grant.role, "resident");
    assert.ok([first.apartment_id, second.apartment_id].includes(me.grant.apartment));
    await page.close();
  });
});
