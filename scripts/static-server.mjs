// A small read-only static file server for the demo page and the browser tests: each top-level path segment
// maps to a folder (`roots`), plus fixed JSON documents (`json`); paths may not leave their folder.

import { createServer } from "node:http";
import { existsSync, readFileSync, statSync } from "node:fs";
import { resolve, sep } from "node:path";

const TYPES = { ".js": "text/javascript", ".mjs": "text/javascript", ".html": "text/html", ".css": "text/css", ".wasm": "application/wasm", ".json": "application/json", ".png": "image/png" };

/** Starts the server on `port` (0: any free one) at 127.0.0.1; resolves to { server, port }. */
export function startServer({ roots, json = {}, port = 0 }) {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://localhost").pathname);
    if (path in json) return void res.writeHead(200, { "content-type": TYPES[".json"] }).end(JSON.stringify(json[path]));
    const [, top, ...rest] = path.split("/");
    const base = roots[top] ? resolve(roots[top]) : null;
    const file = base ? resolve(base, rest.join("/")) : "";
    if (!base || !(file === base || file.startsWith(base + sep)) || !existsSync(file) || !statSync(file).isFile()) return void res.writeHead(404).end();
    res.writeHead(200, { "content-type": TYPES[file.slice(file.lastIndexOf("."))] ?? "application/octet-stream" }).end(readFileSync(file));
  });
  return new Promise((done) => server.listen(port, "127.0.0.1", () => done({ server, port: server.address().port })));
}
