// Third-party apps over real HTTP: an app registered by the operator gets a token with
// client credentials, another JWT library (npm `jose`) verifies it with the keys Rappu
// publishes, and a web page on the app's own origin calls the API from headless Chromium
// (CORS preflights, a work order taken with a POST) while a page on another origin cannot.
//
// Needs: target/debug/rappu, web/dist, and scripts/setup (Chromium, playwright-core, jose).
// Run: npm run test:e2e
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from "jose";
import { api, sim } from "./lib/helpers.mjs";
import { appToken, openWorkOrder, otherOrigin, registerApp } from "./lib/apps.mjs";
import { launchBrowser, startRappu } from "./lib/rappu.mjs";

describe("third-party apps", { timeout: 180_000 }, () => {
  let rappu;
  let browser;
  let summary;
  let registered;
  let stranger;

  before(async () => {
    const [gateway, chromium, own, other] = await Promise.allSettled([
      startRappu(), launchBrowser(), otherOrigin(), otherOrigin(),
    ]);
    [rappu, browser, registered, stranger] = [gateway.value, chromium.value, own.value, other.value];
    const failed = [gateway, chromium, own, other].find((result) => result.status === "rejected");
    if (failed) throw failed.reason;
    summary = await sim(rappu, "GET", "/_sim/accounts/demo/summary");
  });

  after(async () => {
    await browser?.close();
    await rappu?.stop();
    await registered?.close();
    await stranger?.close();
  });

  test("an issued token verifies with the published keys in another JWT library", async () => {
    const building = summary.properties[0].buildings[0].id;
    const creds = await registerApp(rappu, [{ scope: "feeds:read", buildings: [building] }]);
    const issued = await appToken(rappu, creds);
    const meta = (await api(rappu, "GET", "/.well-known/oauth-authorization-server")).body;
    assert.equal(meta.token_endpoint, `${rappu.url}/oauth/token`);

    const keys = createRemoteJWKSet(new URL(meta.jwks_uri));
    const { payload, protectedHeader } = await jwtVerify(issued.access_token, keys, {
      algorithms: ["EdDSA"],
      typ: "at+jwt",
      issuer: meta.rappu_token_issuer,
      audience: meta.rappu_token_audience,
    });
    assert.equal(protectedHeader.alg, "EdDSA");
    assert.equal(payload.client_id, creds.client_id);
    assert.equal(payload.sub, creds.client_id);
    assert.equal(payload.scope, "feeds:read");
    assert.equal(payload.role, "app");
    assert.ok(payload.exp - payload.iat === issued.expires_in);

    // A token signed by another key with the same kid does not verify.
    const { kid } = decodeProtectedHeader(issued.access_token);
    const [head, body] = issued.access_token.split(".");
    const forged = `${head}.${body}.${Buffer.alloc(64, 7).toString("base64url")}`;
    await assert.rejects(jwtVerify(forged, keys, { algorithms: ["EdDSA"] }), /signature/i);
    assert.ok(kid);
  });

  test("a page on the app's origin calls the API across origins; another origin cannot", async () => {
    const building = summary.properties[0].buildings[0].id;
    const outside = summary.properties[1].buildings[0].id;
    const everywhere = summary.properties.map((p) => p.id);
    const creds = await registerApp(rappu, [
      { scope: "feeds:read", buildings: [building] },
      { scope: "reports:read", properties: everywhere },
      { scope: "work-orders:write", properties: everywhere },
    ], [registered.origin]);
    const { access_token: bearer } = await appToken(rappu, creds);
    const order = await openWorkOrder(rappu, summary, bearer, `Porrasvalo ei pala ${Date.now() % 100000}`);

    // Each call carries `Authorization`, so the browser asks first (a CORS preflight) and
    // sends it only when Rappu allows this origin, that header and the method.
    const page = await browser.newPage();
    await page.goto(`${registered.origin}/`);
    const seen = await page.evaluate(async ({ url, bearer, building, outside, id }) => {
      const headers = { Authorization: `Bearer ${bearer}` };
      const feed = await fetch(`${url}/api/v1/buildings/${building}/feed`, { headers });
      const refused = await fetch(`${url}/api/v1/buildings/${outside}/feed`, { headers });
      const taken = await fetch(`${url}/api/v1/work-orders/${id}/receive`, { method: "POST", headers });
      return {
        feed: feed.status,
        etag: feed.headers.get("etag"),
        building: (await feed.json()).building.id,
        refused: refused.status,
        refusedType: (await refused.json()).type,
        taken: taken.status,
        status: (await taken.json()).status,
      };
    }, { url: rappu.url, bearer, building, outside, id: order.id });
    assert.deepEqual(seen, {
      feed: 200, etag: seen.etag, building, refused: 403,
      refusedType: "urn:rappu:problem:out-of-scope", taken: 200, status: "received",
    });
    assert.ok(seen.etag, "ETag is exposed to the page");

    // The same calls from a page on an origin no app lists: the browser blocks them.
    const foreign = await browser.newPage();
    await foreign.goto(`${stranger.origin}/`);
    const blocked = await foreign.evaluate(async ({ url, bearer, building }) => {
      try {
        await fetch(`${url}/api/v1/buildings/${building}/feed`, { headers: { Authorization: `Bearer ${bearer}` } });
        return "answered";
      } catch (error) {
        return error.name;
      }
    }, { url: rappu.url, bearer, building });
    assert.equal(blocked, "TypeError");
    await page.close();
    await foreign.close();

    // Every call was the app's, counted for the operator.
    const usage = await api(rappu, "GET", "/api/v1/admin/usage", {
      bearer: (await import("./lib/helpers.mjs")).token(rappu.ready, { role: "admin" }),
    });
    const lines = usage.body.apps.filter((l) => l.client_id === creds.client_id);
    assert.ok(lines.some((l) => l.route === "POST /api/v1/work-orders/{id}/receive" && l.calls === 1), JSON.stringify(lines));
  });
});
