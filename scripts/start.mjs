#!/usr/bin/env node
// `npm start` builds first (see package.json), then explains how to run the built
// extension. A later change turns this into launching code-server with it loaded.
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..");
if (!existsSync(join(repo, "dist/extension.js"))) {
  console.error("start: dist/extension.js is missing; the build did not run");
  process.exit(1);
}
console.log(`Loopscope is built into ${join(repo, "dist")}.

To try it in VS Code:
  code --extensionDevelopmentPath=${repo}
then open a Python file and run "Loopscope: Debug Current File with Loopscope" from the command palette.

To install it: npm run package, then
  code --install-extension ${join(repo, "loopscope-0.1.0.vsix")}`);
