#!/usr/bin/env node
// Bundles the extension with esbuild:
//   extension/src/extension.ts          -> dist/extension.js    (node, cjs, vscode external)
//   extension/src/adapter/debugAdapter.ts -> dist/debugAdapter.js (node, cjs), when it exists
//   webview/src/main.ts                 -> dist/webview.js      (browser, iife), when it exists
//                                          + dist/webview.css, dist/codicon.ttf
// Usage: node scripts/build.mjs [--watch] [--production]
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const watch = process.argv.includes("--watch");
const production = process.argv.includes("--production");

const common = {
  bundle: true,
  sourcemap: true,
  sourcesContent: false,
  minify: production,
  logLevel: "warning",
  absWorkingDir: repo,
};

const targets = [
  {
    entryPoints: ["extension/src/extension.ts"],
    outfile: "dist/extension.js",
    platform: "node",
    format: "cjs",
    target: "node20",
    external: ["vscode"],
    required: true,
  },
  {
    entryPoints: ["extension/src/adapter/debugAdapter.ts"],
    outfile: "dist/debugAdapter.js",
    platform: "node",
    format: "cjs",
    target: "node20",
    external: ["vscode"],
  },
  {
    entryPoints: ["webview/src/main.ts"],
    outfile: "dist/webview.js",
    platform: "browser",
    format: "iife",
    target: "es2022",
    // The codicon font (@vscode/codicons, imported by the view's CSS) lands beside
    // dist/webview.css as dist/codicon.ttf; the CSS refers to it relatively.
    loader: { ".ttf": "file" },
    assetNames: "[name]",
  },
];

const contexts = [];
for (const { required, ...options } of targets) {
  const entry = options.entryPoints[0];
  if (!existsSync(join(repo, entry))) {
    if (required) throw new Error(`build: ${entry} is missing`);
    console.log(`build: skipped ${options.outfile} (${entry} does not exist yet)`);
    continue;
  }
  if (watch) {
    const ctx = await esbuild.context({ ...common, ...options });
    await ctx.watch();
    contexts.push(ctx);
  } else {
    await esbuild.build({ ...common, ...options });
  }
  console.log(`build: ${entry} -> ${options.outfile}`);
}
if (watch) console.log("build: watching for changes (Ctrl+C to stop)");
