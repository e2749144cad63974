// Turns wasm-bindgen's output into web/dist: content-hashed assets, a boot module, index.html
// from web/index.html, precompressed .gz and .br siblings, and a size report.
//
// usage: node scripts/lib/package-web.mjs --bindgen DIR --web DIR --out DIR [--budget BYTES]
//   --bindgen  wasm-bindgen's (and wasm-opt's) output, one directory per program:
//              display/rappu-display.js, display/rappu-display_bg.wasm, portal/rappu-portal...
//   --web      the web crate: index.html (template) and static/ (app.css, favicon.svg)
//   --out      the dist directory to replace (built beside it, then swapped in)
//   --budget   fail when a page's first load exceeds this many gzip bytes
//   --console-budget  the same for the operator's console (a desktop page for admins, not a
//              screen's or a resident's phone's: a budget of its own)
//
// Layout (the gateway serves /assets/* as immutable, console.html for /console/... and
// index.html for every other page):
//   index.html
//   console.html                    the operator's console: its own boot module and console.css
//   assets/rappu-display-<hash>.js  assets/rappu-display-<hash>_bg.wasm    the stairwell display
//   assets/rappu-pair-<hash>.js     assets/rappu-pair-<hash>_bg.wasm       a caretaker's pairing page
//   assets/rappu-portal-<hash>.js   assets/rappu-portal-<hash>_bg.wasm     landing page, portal
//   assets/rappu-console-<hash>.js  assets/rappu-console-<hash>_bg.wasm   the operator's console
//   assets/boot-<hash>.js           picks the program for the page's path (not the console's)
//   assets/console-boot-<hash>.js   starts the console's program
//   assets/app-<hash>.css  assets/console-<hash>.css  assets/favicon-<hash>.svg
//                                   (+ .gz and .br when smaller)
//   sw.js                           the display's service worker (its shell list is this build's)
//
// A page's first load is index.html, the CSS, the favicon, the boot module and one program
// (its glue and its wasm); the console's is console.html, both stylesheets, the favicon, its
// boot module and its program. The report prints both and checks each against its budget.
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import zlib from "node:zlib";
import { gzipAsync as zopfliGzip } from "@gfx/zopfli";

const { values: args } = parseArgs({
  options: {
    bindgen: { type: "string" },
    web: { type: "string" },
    out: { type: "string" },
    budget: { type: "string" },
    "console-budget": { type: "string" },
  },
});
for (const name of ["bindgen", "web", "out"]) {
  if (!args[name]) throw new Error(`--${name} is required`);
}

const hash = (bytes) => createHash("sha256").update(bytes).digest("hex").slice(0, 16);
const read = (...parts) => fs.readFileSync(path.join(...parts));

/** The programs, by the path prefix boot.js loads them for. */
const PROGRAMS = ["display", "pair", "portal", "console"];
for (const app of PROGRAMS) {
  if (fs.existsSync(path.join(args.bindgen, app, "snippets"))) {
    // Inline JS snippets would be imported by relative, unhashed paths: not handled yet.
    throw new Error("wasm-bindgen emitted snippets/: teach scripts/lib/package-web.mjs to hash them");
  }
}

/** name -> bytes, in load order. */
const assets = new Map();
/** Adds an asset under `<stem>-<hash><suffix>` and returns its absolute URL. */
function addAsset(stem, suffix, bytes) {
  const name = `${stem}-${hash(bytes)}${suffix}`;
  assets.set(name, bytes);
  return `/assets/${name}`;
}

const urls = {};
urls.css = addAsset("app", ".css", read(args.web, "static", "app.css"));
urls.favicon = addAsset("favicon", ".svg", read(args.web, "static", "favicon.svg"));
// The console's own stylesheet: the other pages never load it.
urls.consoleCss = addAsset("console", ".css", read(args.web, "static", "console.css"));
/** Per program: the URLs of its glue and its wasm. */
const programs = {};
for (const app of PROGRAMS) {
  const name = `rappu-${app}`;
  programs[app] = {
    js: addAsset(name, ".js", read(args.bindgen, app, `${name}.js`)),
    wasm: addAsset(name, "_bg.wasm", read(args.bindgen, app, `${name}_bg.wasm`)),
  };
}
/** The programs index.html's boot module chooses from: not the console, which has a page of
 * its own (console.html), so the other pages' boot module does not grow with it. */
const { console: consoleProgram, ...pagePrograms } = programs;
// A module, not inline script: the CSP allows scripts from the gateway's origin only. The
// wasm download starts at once, beside the glue's; the glue instantiates it when both are in.
// The path rules match the app's Route::bundle (web/src/app.rs).
const boot = `// Starts Rappu's web app: the stairwell display's program on /display and
// /display/enroll, the caretaker's pairing page on /display/pair, the portal's (with the
// landing page) everywhere else.
const programs = ${JSON.stringify(pagePrograms)};
const path = location.pathname;
const program = /^\\/display\\/pair\\/?$/.test(path) ? programs.pair
  : /^\\/display(\\/enroll)?\\/?$/.test(path) ? programs.display : programs.portal;
const wasm = fetch(program.wasm);
import(program.js)
  .then(({ default: init }) => init({ module_or_path: wasm }))
  .catch((error) => {
    const message = document.createElement("p");
    message.textContent = "Rappu ei käynnistynyt tässä selaimessa. (Rappu could not start in this browser.)";
    document.body.append(message);
    throw error;
  });
`;
// console.html's: the console's program only.
const consoleBoot = `// Starts Rappu's operator's console (console.html, served for /console/...).
const wasm = fetch(${JSON.stringify(consoleProgram.wasm)});
import(${JSON.stringify(consoleProgram.js)})
  .then(({ default: init }) => init({ module_or_path: wasm }))
  .catch((error) => {
    const message = document.createElement("p");
    message.textContent = "Rappu ei käynnistynyt tässä selaimessa. (Rappu could not start in this browser.)";
    document.body.append(message);
    throw error;
  });
`;
urls.consoleBoot = addAsset("console-boot", ".js", Buffer.from(consoleBoot));
urls.boot = addAsset("boot", ".js", Buffer.from(boot));

// The display's service worker (web/src/offline.rs registers it for /display): the app
// shell of this build, so a screen that reloads or powers up while the gateway is down
// still starts (the last board itself is in the page's localStorage). Pages: the network
// first (a new deployment at once), the kept shell when the gateway does not answer
// within 4 s. Hashed assets: the kept copy. The portal's QR code: the network first, the
// kept copy offline. Everything else (the API) is left to the network.
const shell = ["/display", urls.css, urls.favicon, urls.boot, programs.display.js, programs.display.wasm];
const portalQr = "/api/v1/display/portal-qr.svg";
const serviceWorker = `// Rappu's display service worker, written by scripts/lib/package-web.mjs.
const CACHE = "rappu-display-${hash(Buffer.from(shell.join("\n")))}";
const SHELL = ${JSON.stringify(shell)};
const QR = "${portalQr}";
const PAGE_TIMEOUT_MS = 4000;

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(CACHE)
      .then((cache) => cache.addAll([...SHELL, QR]))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys
        .filter((key) => key.startsWith("rappu-display-") && key !== CACHE)
        .map((key) => caches.delete(key))))
      .then(() => self.clients.claim()),
  );
});

/** The network's answer, kept under \`key\`; the kept one when the network fails or is slow. */
function networkFirst(request, key, timeoutMs) {
  const network = fetch(request).then((response) => {
    if (response.ok) {
      const copy = response.clone();
      caches.open(CACHE).then((cache) => cache.put(key, copy));
    }
    return response;
  });
  const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error("timeout")), timeoutMs));
  return Promise.race([network, timeout])
    .catch(() => caches.match(key).then((kept) => kept || network));
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    // Every page path answers the same index.html.
    event.respondWith(networkFirst(request, "/display", PAGE_TIMEOUT_MS));
  } else if (url.pathname.startsWith("/assets/")) {
    event.respondWith(caches.match(request).then((kept) => kept || fetch(request)));
  } else if (url.pathname === QR) {
    event.respondWith(networkFirst(request, QR, PAGE_TIMEOUT_MS));
  }
});
`;

const template = read(args.web, "index.html").toString("utf8");
/** The template with `values` filled in. */
const render = (values) => template.replace(/\{\{(\w+)\}\}/g, (whole, key) => {
  if (!(key in values)) throw new Error(`web/index.html: unknown placeholder ${whole}`);
  return values[key];
});
const html = render(urls);
// The console's page: its own boot module, and its stylesheet after the app's.
const appCss = `<link rel="stylesheet" href="${urls.css}">`;
const consoleHtml = render({ ...urls, boot: urls.consoleBoot }).replace(
  appCss,
  `${appCss}\n  <link rel="stylesheet" href="${urls.consoleCss}">`,
);
if (!consoleHtml.includes(urls.consoleCss)) throw new Error("web/index.html: no stylesheet link to follow");

// Build beside the old dist, then swap, so a running gateway never sees a half-written tree.
const out = path.resolve(args.out);
const next = `${out}.next`;
const old = `${out}.old`;
fs.rmSync(next, { recursive: true, force: true });
fs.mkdirSync(path.join(next, "assets"), { recursive: true });
const files = [
  ["index.html", Buffer.from(html)],
  ["console.html", Buffer.from(consoleHtml)],
  ["sw.js", Buffer.from(serviceWorker)],
];
for (const [name, bytes] of assets) files.push([`assets/${name}`, bytes]);

const sizes = new Map();
// gzip by Zopfli (a deflate encoder that searches harder: ~4 % smaller than zlib's level 9
// on the wasm, the same format for every browser), once per build.
const gzipped = await Promise.all(
  files.map(([, bytes]) =>
    bytes.length > 1024 ? zopfliGzip(bytes, { numiterations: 15 }) : zlib.gzipSync(bytes, { level: 9 }),
  ),
);
for (const [index, [name, bytes]] of files.entries()) {
  const gz = Buffer.from(gzipped[index]);
  const br = zlib.brotliCompressSync(bytes, {
    params: {
      [zlib.constants.BROTLI_PARAM_QUALITY]: 11,
      [zlib.constants.BROTLI_PARAM_SIZE_HINT]: bytes.length,
      [zlib.constants.BROTLI_PARAM_MODE]: name.endsWith(".wasm")
        ? zlib.constants.BROTLI_MODE_GENERIC
        : zlib.constants.BROTLI_MODE_TEXT,
    },
  });
  fs.writeFileSync(path.join(next, name), bytes);
  // Only when smaller: ServeDir falls back to the plain file when a variant is missing.
  if (gz.length < bytes.length) fs.writeFileSync(path.join(next, `${name}.gz`), gz);
  if (br.length < bytes.length) fs.writeFileSync(path.join(next, `${name}.br`), br);
  sizes.set(name, {
    raw: bytes.length,
    gzip: Math.min(gz.length, bytes.length),
    br: Math.min(br.length, bytes.length),
  });
}

fs.rmSync(old, { recursive: true, force: true });
if (fs.existsSync(out)) fs.renameSync(out, old);
fs.renameSync(next, out);
fs.rmSync(old, { recursive: true, force: true });

// The report: every file, then each page's first load (the common files and one program).
const common = ["index.html", ...[urls.css, urls.favicon, urls.boot].map((u) => u.slice(1))];
const row = (label, s) =>
  `  ${label.padEnd(44)} ${String(s.raw).padStart(9)} ${String(s.gzip).padStart(9)} ${String(s.br).padStart(9)}`;
const sum = (names) => {
  const t = { raw: 0, gzip: 0, br: 0 };
  for (const name of names) {
    const size = sizes.get(name);
    if (!size) throw new Error(`no size for ${name}`);
    for (const key of ["raw", "gzip", "br"]) t[key] += size[key];
  }
  return t;
};
const lines = [`web/dist (bytes)${" ".repeat(31)}      raw      gzip    brotli`];
for (const [name, size] of sizes) lines.push(row(name, size));
lines.push("  first load (index.html, css, favicon, boot.js and one program; the console: console.html, its boot module and console.css):");
const pageBudget = args.budget ? Number(args.budget) : 0;
const consoleBudget = args["console-budget"] ? Number(args["console-budget"]) : pageBudget;
let over = [];
const consoleCommon = ["console.html", ...[urls.css, urls.favicon, urls.consoleBoot, urls.consoleCss].map((u) => u.slice(1))];
for (const app of PROGRAMS) {
  const page = app === "console" ? consoleCommon : common;
  const files = [...page, programs[app].js.slice(1), programs[app].wasm.slice(1)];
  const total = sum(files);
  const wasm = sizes.get(programs[app].wasm.slice(1));
  lines.push(row(`  ${app} page, total`, total));
  lines.push(row(`    of which wasm`, wasm));
  const budget = app === "console" ? consoleBudget : pageBudget;
  if (budget) {
    lines.push(`    budget: ${total.gzip} of ${budget} gzip bytes (${Math.round((100 * total.gzip) / budget)} %)`);
    if (total.gzip > budget) over.push(`${app}: ${total.gzip}`);
  }
}
console.log(lines.join("\n"));
if (over.length) {
  console.error(`error: over the first-load budget (${pageBudget} gzip bytes; console ${consoleBudget}): ${over.join(", ")}`);
  process.exit(1);
}
