// Running the packaged extension in a real VS Code with no VS Code installed:
// code-server (VS Code in the browser, from the npm registry, installed into
// .tools/code-server by scripts/install-code-server.sh) with a fresh profile
// and extensions folder. Used by `npm start` (scripts/start.mjs) and the e2e
// tests (test/e2e). Facts behind the flags: shared notes on real VS Code e2e.
import { execFileSync, spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository: the nearest folder up from here with this file in scripts/ (this module may be bundled elsewhere). */
function findRepo() {
  if (process.env.LOOPSCOPE_REPO) return resolve(process.env.LOOPSCOPE_REPO);
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, "scripts/code-server.mjs")) && existsSync(join(dir, "package.json"))) return dir;
    const up = dirname(dir);
    if (up === dir)
      throw new Error("code-server.mjs: cannot find the repository above " + fileURLToPath(import.meta.url));
    dir = up;
  }
}
export const REPO = findRepo();
export const CODE_SERVER_VERSION = "4.100.3";
const PKG = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8"));
/** publisher.name, as VS Code knows the extension. */
export const EXTENSION_ID = `${PKG.publisher}.${PKG.name}`;

/** Installs code-server when it is not there yet; returns its binary. */
export function ensureCodeServer() {
  const out = execFileSync("bash", [join(REPO, "scripts/install-code-server.sh")], {
    cwd: REPO,
    stdio: ["ignore", "pipe", "inherit"],
    encoding: "utf8",
  });
  const bin = out.trim().split("\n").pop();
  if (!bin || !existsSync(bin)) throw new Error(`code-server: the install script named no binary (${out})`);
  return bin;
}

/** What goes into the package (before .vscodeignore narrows it further). */
const PACKAGED = ["package.json", ".vscodeignore", "README.md", "LICENSE", "CHANGELOG.md", "dist", "runtime", "media"];

/**
 * Packages the built extension (dist/ must be built) into `out` with @vscode/vsce, offline.
 * vsce runs on a copy of the packaged files, so a build running meanwhile in the
 * same tree (another `npm run build`, a watcher) cannot change a file under it.
 */
export function packageVsix(out) {
  const stage = join(dirname(out), "package-stage");
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(stage, { recursive: true });
  for (const f of PACKAGED) {
    if (existsSync(join(REPO, f))) cpSync(join(REPO, f), join(stage, f), { recursive: true });
  }
  rmSync(out, { force: true });
  execFileSync(
    process.execPath,
    [
      join(REPO, "node_modules/@vscode/vsce/vsce"),
      "package",
      "--no-dependencies",
      "--allow-missing-repository",
      "--skip-license",
      // The README's screenshots are relative links to docs/; with no
      // repository URL to prefix, vsce would refuse to package.
      "--no-rewrite-relative-links",
      "--out",
      resolve(out),
    ],
    { cwd: stage, stdio: ["ignore", "pipe", "inherit"] },
  );
  rmSync(stage, { recursive: true, force: true });
  return out;
}

/** Settings for a quiet first start: no welcome page, no telemetry, no update checks, no trust prompt. */
export const QUIET_SETTINGS = {
  "workbench.startupEditor": "none",
  "workbench.tips.enabled": false,
  "workbench.enableExperiments": false,
  "telemetry.telemetryLevel": "off",
  "update.mode": "none",
  "extensions.autoUpdate": false,
  "extensions.autoCheckUpdates": false,
  "extensions.ignoreRecommendations": true,
  "security.workspace.trust.enabled": false,
  "chat.commandCenter.enabled": false,
  "git.openRepositoryInParentFolders": "never",
  "workbench.colorTheme": "Default Dark Modern",
};

/** A fresh profile under `root`: user data with QUIET_SETTINGS (plus `settings`), an empty extensions folder. */
export function freshProfile(root, settings = {}) {
  rmSync(root, { recursive: true, force: true });
  const dirs = {
    root,
    userData: join(root, "user-data"),
    extensions: join(root, "extensions"),
    xdgConfig: join(root, "xdg-config"),
    xdgData: join(root, "xdg-data"),
  };
  for (const d of Object.values(dirs)) mkdirSync(d, { recursive: true });
  mkdirSync(join(dirs.userData, "User"), { recursive: true });
  writeFileSync(
    join(dirs.userData, "User", "settings.json"),
    JSON.stringify({ ...QUIET_SETTINGS, ...settings }, null, 2) + "\n",
  );
  return dirs;
}

function envFor(profile) {
  const env = { ...process.env };
  env.XDG_CONFIG_HOME = profile.xdgConfig;
  env.XDG_DATA_HOME = profile.xdgData;
  env.EXTENSIONS_GALLERY = "{}";
  // code-server prints a password file hint and reads $PASSWORD: neither is wanted with --auth none.
  delete env.PASSWORD;
  delete env.HASHED_PASSWORD;
  return env;
}

/** Installs a .vsix into the profile's extensions folder, as a user's `code --install-extension` would. */
export function installVsix(bin, profile, vsix) {
  const out = execFileSync(
    bin,
    [
      "--user-data-dir",
      profile.userData,
      "--extensions-dir",
      profile.extensions,
      "--install-extension",
      vsix,
      "--force",
    ],
    { env: envFor(profile), encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] },
  );
  if (!/successfully installed/i.test(out)) throw new Error(`code-server --install-extension: ${out}`);
  return out.trim();
}

export function freePort() {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolvePort(port));
    });
  });
}

/**
 * Starts code-server on 127.0.0.1 in a process group of its own; resolves when /healthz answers.
 * `stop()` ends the whole group (a file watcher child outlives the main process otherwise).
 */
export async function startCodeServer({ bin, profile, port, folder, log = "ignore", timeoutMs = 60_000 }) {
  const args = [
    "--bind-addr",
    `127.0.0.1:${port}`,
    "--auth",
    "none",
    "--user-data-dir",
    profile.userData,
    "--extensions-dir",
    profile.extensions,
    "--disable-telemetry",
    "--disable-update-check",
    "--disable-workspace-trust",
    "--disable-getting-started-override",
    "--ignore-last-opened",
  ];
  if (folder) args.push(folder);
  const child = spawn(bin, args, { env: envFor(profile), detached: true, stdio: ["ignore", log, log] });
  let exited = null;
  child.once("exit", (code, signal) => (exited = { code, signal }));
  const stop = async () => {
    if (child.pid === undefined) return;
    for (const sig of ["SIGTERM", "SIGKILL"]) {
      try {
        process.kill(-child.pid, sig);
      } catch {
        return; // the group is gone
      }
      const until = Date.now() + 3000;
      while (Date.now() < until) {
        try {
          process.kill(-child.pid, 0);
        } catch {
          return;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };
  const url = `http://127.0.0.1:${port}/`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (exited !== null) throw new Error(`code-server exited before it answered (${JSON.stringify(exited)})`);
    try {
      const r = await fetch(`${url}healthz`);
      if (r.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`code-server did not answer on ${url} within ${timeoutMs / 1000} s`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { url, pid: child.pid, child, stop };
}

/** The URL that opens `folder` in the workbench. */
export function folderUrl(base, folder) {
  return `${base}?folder=${encodeURIComponent(folder)}`;
}
