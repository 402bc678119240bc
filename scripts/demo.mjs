// `npm run demo`: serves the demo page (demo/index.html) with the built package and ../shared's corpora, on
// http://127.0.0.1:8080 (PORT to change it). Build first (`npm ci` does).

import { fileURLToPath } from "node:url";
import { startServer } from "./static-server.mjs";

const root = fileURLToPath(new URL("../", import.meta.url));
const { port } = await startServer({ roots: { main: root, shared: `${root}../shared` }, port: Number(process.env.PORT ?? 8080) });
console.log(`dyad demo: http://127.0.0.1:${port}/main/demo/index.html (Ctrl-C to stop)`);
