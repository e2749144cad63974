// Third-party apps for the browser tests: registering one through the admin API, its
// tokens, a report for it to work, and web pages on other origins.
import assert from "node:assert/strict";
import http from "node:http";
import { api, token, waitUntil } from "./helpers.mjs";

/** Registers an app as the demo admin; `{client_id, client_secret, app}`. */
export async function registerApp(rappu, scopes, origins = []) {
  const admin = token(rappu.ready, { role: "admin" });
  const answer = await api(rappu, "POST", "/api/v1/admin/apps", {
    bearer: admin,
    body: { name: "Huolto-Virtanen työnohjaus", contact: "it@huolto-virtanen.example.fi", scopes, origins },
  });
  assert.equal(answer.status, 201, JSON.stringify(answer.body));
  return answer.body;
}

/** An access token for `creds` (client credentials with HTTP Basic). */
export async function appToken(rappu, creds) {
  const basic = Buffer.from(`${creds.client_id}:${creds.client_secret}`).toString("base64");
  const response = await fetch(`${rappu.url}/oauth/token`, {
    method: "POST",
    headers: { Authorization: `Basic ${basic}`, "Content-Type": "application/x-www-form-urlencoded" },
    body: "grant_type=client_credentials",
  });
  assert.equal(response.status, 200);
  return response.json();
}

/**
 * Files a fault report as the demo resident and waits until the app (`bearer`, with
 * reports:read over every property) sees it open; its work order.
 */
export async function openWorkOrder(rappu, summary, bearer, title) {
  const resident = token(rappu.ready, { role: "resident" });
  const filed = await api(rappu, "POST", "/api/v1/fault-reports", {
    bearer: resident,
    headers: { "Idempotency-Key": crypto.randomUUID() },
    body: { topic: "common_areas", title, description: "Kolmannen kerroksen lamppu ei syty.",
      location: "Porraskäytävä", master_key_allowed: false, contact_phone: "040 111 2222", photos: [] },
  });
  assert.equal(filed.status, 201, JSON.stringify(filed.body));
  const buildings = summary.properties.flatMap((p) => p.buildings.map((b) => b.id));
  return waitUntil(`the report "${title}" as an open work order`, async () => {
    for (const building of buildings) {
      const page = await api(rappu, "GET", `/api/v1/buildings/${building}/work-orders?state=open&limit=100`, { bearer });
      const order = page.body?.items?.find((o) => o.title === title);
      if (order) return { ...order, building };
    }
    return null;
  }, { timeoutMs: 30_000, everyMs: 250 });
}

/** An HTTP server on a free loopback port serving one empty page: another web origin. */
export async function otherOrigin() {
  const server = http.createServer((_, response) => {
    response.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
    response.end("<!doctype html><html lang=\"fi\"><title>Huolto-Virtanen</title><h1>Työnohjaus</h1></html>");
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const origin = `http://127.0.0.1:${server.address().port}`;
  return { origin, close: () => new Promise((resolve) => server.close(resolve)) };
}
