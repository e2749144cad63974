// Turns wasm-bindgen's output into web/dist: content-hashed assets, a boot module, index.html
// from web/index.html, precompressed .gz and .br siblings, and a size report.
//
// usage: node scripts/lib/package-web.mjs --bindgen DIR --web DIR --out DIR [--budget BYTES]
//   --bindgen  wasm-bindgen's (and wasm-opt's) output: rappu-web.js, rappu-web_bg.wasm
//   --web      the web crate: index.html (template) and static/ (app.css, favicon.svg)
//   --out      the dist directory to replace (built beside it, then swapped in)
//   --budget   fail when the first load exceeds this many gzip bytes
//
// Layout (the gateway serves /assets/* as immutable and index.html for every other page):
//   index.html
//   assets/rappu-web-<hash>.js  assets/rappu-web-<hash>_bg.wasm  assets/boot-<hash>.js
//   assets/app-<hash>.css  assets/favicon-<hash>.svg      (+ .gz and .br when smaller)
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import zlib from "node:zlib";

const { values: args } = parseArgs({
  options: {
    bindgen: { type: "string" },
    web: { type: "string" },
    out: { type: "string" },
    budget: { type: "string" },
  },
});
for (const name of ["bindgen", "web", "out"]) {
  if (!args[name]) throw new Error(`--${name} is required`);
}

const hash = (bytes) => createHash("sha256").update(bytes).digest("hex").slice(0, 16);
const read = (...parts) => fs.readFileSync(path.join(...parts));

if (fs.existsSync(path.join(args.bindgen, "snippets"))) {
  // Inline JS snippets would be imported by relative, unhashed paths: not handled yet.
  throw new Error("wasm-bindgen emitted snippets/: teach scripts/lib/package-web.mjs to hash them");
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
urls.js = addAsset("rappu-web", ".js", read(args.bindgen, "rappu-web.js"));
urls.wasm = addAsset("rappu-web", "_bg.wasm", read(args.bindgen, "rappu-web_bg.wasm"));
// A module, not inline script: the CSP allows scripts from the gateway's origin only.
const boot = `// Starts Rappu's web app: loads the wasm-bindgen glue, then instantiates the wasm.
import init from ${JSON.stringify(urls.js)};

init({ module_or_path: ${JSON.stringify(urls.wasm)} }).catch((error) => {
  const message = document.createElement("p");
  message.textContent = "Rappu ei käynnistynyt tässä selaimessa. (Rappu could not start in this browser.)";
  document.body.append(message);
  throw error;
});
`;
urls.boot = addAsset("boot", ".js", Buffer.from(boot));

let html = read(args.web, "index.html").toString("utf8");
html = html.replace(/\{\{(\w+)\}\}/g, (whole, key) => {
  if (!(key in urls)) throw new Error(`web/index.html: unknown placeholder ${whole}`);
  return urls[key];
});

// Build beside the old dist, then swap, so a running gateway never sees a half-written tree.
const out = path.resolve(args.out);
const next = `${out}.next`;
const old = `${out}.old`;
fs.rmSync(next, { recursive: true, force: true });
fs.mkdirSync(path.join(next, "assets"), { recursive: true });
const files = [["index.html", Buffer.from(html)]];
for (const [name, bytes] of assets) files.push([`assets/${name}`, bytes]);

const sizes = new Map();
for (const [name, bytes] of files) {
  const gz = zlib.gzipSync(bytes, { level: 9 });
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

// The report: every file of the first load (all of them, today).
const kind = (name) =>
  name.endsWith(".wasm") ? "wasm" : name.endsWith(".js") ? "js" : name.endsWith(".css") ? "css"
    : name.endsWith(".html") ? "html" : "other";
const totals = { raw: 0, gzip: 0, br: 0 };
const byKind = new Map();
for (const [name, size] of sizes) {
  const k = byKind.get(kind(name)) ?? { raw: 0, gzip: 0, br: 0 };
  for (const key of ["raw", "gzip", "br"]) {
    k[key] += size[key];
    totals[key] += size[key];
  }
  byKind.set(kind(name), k);
}
const row = (label, s) =>
  `  ${label.padEnd(40)} ${String(s.raw).padStart(9)} ${String(s.gzip).padStart(9)} ${String(s.br).padStart(9)}`;
const lines = [`web/dist (bytes)${" ".repeat(27)}      raw      gzip    brotli`];
for (const [name, size] of sizes) lines.push(row(name, size));
lines.push("  by kind:");
for (const k of ["wasm", "js", "css", "html", "other"]) {
  if (byKind.has(k)) lines.push(row(`  ${k}`, byKind.get(k)));
}
lines.push(row("first load, total", totals));
const budget = args.budget ? Number(args.budget) : 0;
if (budget) lines.push(`  budget: ${totals.gzip} of ${budget} gzip bytes (${Math.round((100 * totals.gzip) / budget)} %)`);
console.log(lines.join("\n"));
if (budget && totals.gzip > budget) {
  console.error(`error: the first load is ${totals.gzip} gzip bytes, over the budget of ${budget}`);
  process.exit(1);
}
