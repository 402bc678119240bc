import { loadDyad } from "../dist/node.js";
import { loadOrtWeb } from "./peers.js";
import { convCase, dyadConvModel, ortConvSession } from "./conv-models.js";
const dyad = await loadDyad();
const { ort } = await loadOrtWeb();
for (const spec of [{ cin: 32, h: 112, w: 112, cout: 64, k: 3 }, { cin: 128, h: 28, w: 28, cout: 128, k: 3 }, { cin: 256, h: 14, w: 14, cout: 256, k: 1 }, { cin: 128, h: 56, w: 56, cout: 128, k: 3, depthwise: true }]) {
  const c = convCase(spec);
  const m = dyadConvModel(dyad, c);
  const { session, feed } = await ortConvSession(ort, c);
  const ops = 2 * spec.h * spec.w * spec.cout * spec.k * spec.k * (spec.depthwise ? 1 : spec.cin);
  const ours = m.run([c.input])[0].data;
  const theirs = (await session.run(feed)).y.data;
  let diff = 0; for (let ch = 0; ch < c.cout; ch++) for (let i = 0; i < spec.h * spec.w; i++) if (((ours[i * c.cout + ch] + 128) & 255) !== theirs[ch * spec.h * spec.w + i]) diff++;
  const time = async (fn) => { for (let i = 0; i < 5; i++) await fn(); const t = []; for (let i = 0; i < 15; i++) { const t0 = performance.now(); await fn(); t.push(performance.now() - t0); } t.sort((a, b) => a - b); return t[7]; };
  const a = await time(() => m.run([c.input])), b = await time(() => session.run(feed));
  console.log(JSON.stringify(spec), `mismatches ${diff}`, `dyad ${a.toFixed(2)}ms ${(ops / a / 1e6).toFixed(1)} GOPS`, `ort ${b.toFixed(2)}ms ${(ops / b / 1e6).toFixed(1)} GOPS`, `ratio ${(b / a).toFixed(2)}`);
}
