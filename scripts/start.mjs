#!/usr/bin/env node
// `npm start` (after `npm run build`, see package.json): Loopscope in a real
// VS Code on this machine with nothing else installed. Installs code-server
// into .tools/code-server when missing (scripts/install-code-server.sh),
// packages the built extension into a .vsix, installs it into a fresh
// extensions folder, starts code-server on 127.0.0.1 with examples/ open, and
// prints the URL. Ctrl+C stops it.
// Usage: node scripts/start.mjs [--port N]      (default 8080, or LOOPSCOPE_PORT; a free one when taken)
import { existsSync } from "node:fs";
import { join } from "node:path";
import {
  EXTENSION_ID,
  REPO,
  ensureCodeServer,
  folderUrl,
  freePort,
  freshProfile,
  installVsix,
  packageVsix,
  startCodeServer,
} from "./code-server.mjs";

function wantedPort() {
  const i = process.argv.indexOf("--port");
  const raw = i >= 0 ? process.argv[i + 1] : process.env.LOOPSCOPE_PORT;
  if (raw === undefined) return 8080;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0 || n > 65535) {
    console.error(`start: --port wants a port number, got ${JSON.stringify(raw)}`);
    process.exit(2);
  }
  return n;
}

async function portIsFree(port) {
  const { createServer } = await import("node:net");
  return new Promise((res) => {
    const s = createServer();
    s.once("error", () => res(false));
    s.listen(port, "127.0.0.1", () => s.close(() => res(true)));
  });
}

for (const f of ["dist/extension.js", "dist/debugAdapter.js", "dist/webview.js"]) {
  if (!existsSync(join(REPO, f))) {
    console.error(`start: ${f} is missing; run npm run build first (npm start does)`);
    process.exit(1);
  }
}

const work = join(REPO, ".tools/start");
const bin = ensureCodeServer();
console.log("start: packaging the extension…");
const vsix = packageVsix(join(work, "loopscope.vsix"));
const profile = freshProfile(join(work, "profile"));
installVsix(bin, profile, vsix);
console.log(`start: installed ${EXTENSION_ID} from ${vsix}`);

let port = wantedPort();
if (!(await portIsFree(port))) {
  const other = await freePort();
  console.log(`start: port ${port} is taken; using ${other}`);
  port = other;
}
const examples = join(REPO, "examples");
const server = await startCodeServer({ bin, profile, port, folder: examples, log: "inherit" });

let stopping = false;
const stop = async (code) => {
  if (stopping) return;
  stopping = true;
  console.log("\nstart: stopping code-server…");
  await server.stop();
  process.exit(code);
};
process.on("SIGINT", () => void stop(0));
process.on("SIGTERM", () => void stop(0));
server.child.once("exit", (code) => {
  if (!stopping) {
    console.error(`start: code-server exited (${code})`);
    process.exit(code ?? 1);
  }
});

console.log(`
Loopscope is running in VS Code (code-server ${"4.100.3"}) with examples/ open:

  ${folderUrl(server.url, examples)}

Open producer_consumer.py and run "Loopscope: Debug Current File with Loopscope"
(the command palette, or the button in the editor title). Ctrl+C stops the server.
`);
