// The API document is usable by the people it is for: a TypeScript client is generated
// from openapi/openapi.json with openapi-typescript, a small example app written against it
// with openapi-fetch (tests/typescript/example.ts) is type-checked and compiled by tsc, and
// then run against the real gateway as a registered app.
//
// Needs: target/debug/rappu, web/dist, and scripts/setup (openapi-typescript, openapi-fetch,
// typescript from package-lock.json). Run: npm run test:e2e
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { sim } from "./lib/helpers.mjs";
import { appToken, openWorkOrder, registerApp } from "./lib/apps.mjs";
import { ROOT, startRappu } from "./lib/rappu.mjs";

const run = promisify(execFile);
const DIR = path.join(ROOT, "tests/typescript");
const bin = (name) => path.join(ROOT, "node_modules/.bin", name);

describe("TypeScript client from the API document", { timeout: 180_000 }, () => {
  let rappu;

  before(async () => {
    rappu = await startRappu();
  });

  after(async () => {
    await rappu?.stop();
  });

  test("generates, type-checks and runs an example app", async () => {
    fs.rmSync(path.join(DIR, "generated"), { recursive: true, force: true });
    fs.rmSync(path.join(DIR, "build"), { recursive: true, force: true });
    await run(bin("openapi-typescript"), [
      path.join(ROOT, "openapi/openapi.json"), "-o", path.join(DIR, "generated/rappu-api.d.ts"),
    ]);
    // Type errors fail the test with tsc's own message.
    try {
      await run(bin("tsc"), ["-p", DIR]);
    } catch (error) {
      assert.fail(`tsc:\n${error.stdout}${error.stderr}`);
    }

    const summary = await sim(rappu, "GET", "/_sim/accounts/demo/summary");
    const building = summary.properties[0].buildings[0].id;
    const outside = summary.properties[1].buildings[0].id;
    const everywhere = summary.properties.map((p) => p.id);
    const creds = await registerApp(rappu, [
      { scope: "feeds:read", buildings: [building] },
      { scope: "announcements:read", buildings: [building] },
      { scope: "reports:read", properties: everywhere },
      { scope: "work-orders:write", properties: everywhere },
    ]);
    const { access_token: bearer } = await appToken(rappu, creds);
    await openWorkOrder(rappu, summary, bearer, `Ulko-ovi jumittaa ${Date.now() % 100000}`);

    const example = await import(pathToFileURL(path.join(DIR, "build/example.js")).href);
    const seen = await example.run(rappu.url, creds.client_id, creds.client_secret, building, outside);
    assert.equal(seen.scope, "feeds:read announcements:read reports:read work-orders:write");
    assert.equal(seen.expiresIn, 900);
    assert.equal(seen.property, summary.properties[0].name);
    assert.ok(seen.apartments > 0);
    assert.equal(seen.outsideStatus, 403);
    assert.equal(seen.outsideProblem.type, "urn:rappu:problem:out-of-scope");
    if (seen.openOrders > 0) assert.equal(seen.received?.status, "received");
  });
});
