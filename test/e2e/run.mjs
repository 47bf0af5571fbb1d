#!/usr/bin/env node
// Runs the end-to-end tests (test/e2e/*.test.ts): builds the extension,
// bundles the tests with esbuild, then runs them with node's test runner.
// Each test file packages the built extension into a .vsix, installs it into
// a fresh code-server profile (code-server itself is installed into
// .tools/code-server on first use) and drives it in headless Chromium.
// Screenshots: test-results/e2e/. The runner's summary is the last output.
// Usage: node test/e2e/run.mjs [substring filter of test file names]
import { spawnSync } from "node:child_process";
import { readdirSync, rmSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const repo = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const here = join(repo, "test/e2e");
const outDir = join(repo, ".loopscope-tmp/e2e-tests");
const filter = process.argv[2] ?? "";

const build = spawnSync(process.execPath, [join(repo, "scripts/build.mjs")], {
  cwd: repo,
  stdio: ["ignore", "ignore", "inherit"],
});
if (build.status !== 0) process.exit(build.status ?? 1);
// code-server into .tools/code-server on first use (minutes), outside the tests' own time limits.
const install = spawnSync("bash", [join(repo, "scripts/install-code-server.sh")], {
  cwd: repo,
  stdio: ["ignore", "ignore", "inherit"],
});
if (install.status !== 0) process.exit(install.status ?? 1);

const entries = readdirSync(here)
  .filter((f) => f.endsWith(".test.ts") && f.includes(filter))
  .sort()
  .map((f) => join(here, f));
if (entries.length === 0) {
  console.error(`test:e2e: no test files${filter ? ` matching ${JSON.stringify(filter)}` : ""}`);
  process.exit(1);
}
rmSync(outDir, { recursive: true, force: true });
await esbuild.build({
  absWorkingDir: repo,
  entryPoints: entries,
  outdir: outDir,
  outbase: here,
  outExtension: { ".js": ".mjs" },
  bundle: true,
  packages: "external",
  platform: "node",
  format: "esm",
  target: "node20",
  sourcemap: "inline",
  logLevel: "warning",
  plugins: [
    {
      // scripts/code-server.mjs finds the repository from its own location: import it where it is.
      name: "scripts-in-place",
      setup(b) {
        b.onResolve({ filter: /\/scripts\/[^/]+\.mjs$/ }, (args) => ({
          path: resolve(args.resolveDir, args.path),
          external: true,
        }));
      },
    },
  ],
});
const files = entries.map((f) => join(outDir, f.slice(here.length + 1)).replace(/\.ts$/, ".mjs"));
const r = spawnSync(process.execPath, ["--enable-source-maps", "--test", "--test-concurrency=1", ...files], {
  cwd: repo,
  stdio: "inherit",
});
process.exit(r.status ?? 1);
