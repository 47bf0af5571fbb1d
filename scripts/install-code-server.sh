#!/usr/bin/env bash
# Installs code-server (VS Code in a browser, from the npm registry) into
# .tools/code-server, for `npm start` and the e2e tests. Does nothing when the
# right version is already there. Offline-safe apart from the npm registry:
#   1. as root, code-server's postinstall needs --unsafe-perm;
#   2. its kerberos module builds from source against Debian's libkrb5-dev;
#   3. @vscode/ripgrep's postinstall would download rg: Debian's ripgrep binary is
#      put, tarred, where that package looks for its download cache;
#   4. node-pty's postinstall runs `npx node-gyp`: npm_config_yes=true, and node-gyp
#      uses the local headers (npm_config_nodedir=/usr).
#   5. npm 11 runs no dependency's install script unless package.json's allowScripts
#      allows it (and refuses the allowance from the command line or the environment,
#      which a nested npm inherits): the tools folder's package.json allows code-server's
#      and argon2's; code-server is unpacked first with --ignore-scripts, then the
#      packages its postinstall installs under lib/vscode get an allowScripts of
#      their own (those with install scripts in its shrinkwrap), then `npm rebuild`
#      runs the postinstalls.
# Needs the Debian packages of scripts/install-system-deps.sh (libkrb5-dev, ripgrep).
# Usage: bash scripts/install-code-server.sh        prints the code-server binary's path last
set -euo pipefail

VERSION="4.100.3"          # the newest code-server whose engines allow Node 20 (VS Code 1.100.3)
RIPGREP_PKG_VERSION="1.15.11" # @vscode/ripgrep version code-server 4.100.3 depends on
RIPGREP_ASSET="ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz"

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
prefix="${LOOPSCOPE_CODE_SERVER_DIR:-$repo/.tools/code-server}"
bin="$prefix/node_modules/.bin/code-server"
pkg="$prefix/node_modules/code-server/package.json"
marker="$prefix/.installed" # written last: a half-done install is redone

installed_version() {
  [ -f "$pkg" ] && node -p "require(process.argv[1]).version" "$pkg" 2>/dev/null || true
}

if [ -x "$bin" ] && [ "$(installed_version)" = "$VERSION" ] && [ "$(cat "$marker" 2>/dev/null)" = "$VERSION" ]; then
  echo "code-server: $VERSION present in $prefix" >&2
  echo "$bin"
  exit 0
fi

node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$node_major" != "20" ]; then
  echo "code-server: $VERSION installs only under Node 20 (this is Node $(node -v))" >&2
  exit 1
fi

# Trap 3: hand @vscode/ripgrep the rg binary it would otherwise download.
rg_path="$(command -v rg || true)"
if [ -z "$rg_path" ]; then
  echo "code-server: rg (Debian package ripgrep) is missing; run scripts/install-system-deps.sh" >&2
  exit 1
fi
if ! dpkg-query -W -f='${Status}' libkrb5-dev 2>/dev/null | grep -q "install ok installed"; then
  echo "code-server: libkrb5-dev is missing (its kerberos module builds against it); run scripts/install-system-deps.sh" >&2
  exit 1
fi
tmp="$(node -p 'require("os").tmpdir()')"
cache="$tmp/vscode-ripgrep-cache-$RIPGREP_PKG_VERSION"
mkdir -p "$cache"
if [ ! -s "$cache/$RIPGREP_ASSET" ]; then
  tar czf "$cache/$RIPGREP_ASSET" -C "$(dirname "$rg_path")" rg
fi

echo "code-server: installing $VERSION into $prefix (about 300 MB)" >&2
rm -f "$marker"
mkdir -p "$prefix"
# A package.json of its own, so npm never walks up into the extension's (trap 5: its allowScripts).
cat >"$prefix/package.json" <<'JSON'
{
  "name": "loopscope-tools-code-server",
  "private": true,
  "allowScripts": {
    "code-server": true,
    "argon2": true
  }
}
JSON
(
  cd "$prefix"
  # Traps 1 and 4. npm_config_nodedir keeps node-gyp on the headers of the installed node.
  export npm_config_yes=true
  export npm_config_nodedir="${npm_config_nodedir:-/usr}"
  export npm_config_unsafe_perm=true
  npm install --no-audit --no-fund --ignore-scripts "code-server@$VERSION" >&2
  # Trap 5: allow the install scripts of the native modules code-server's postinstall installs.
  node - "$prefix/node_modules/code-server/lib/vscode" <<'JS'
const fs = require("node:fs");
const path = require("node:path");
for (const dir of [process.argv[2], path.join(process.argv[2], "extensions")]) {
  const pkgFile = path.join(dir, "package.json");
  const wrap = JSON.parse(fs.readFileSync(path.join(dir, "npm-shrinkwrap.json"), "utf8"));
  const allow = {};
  for (const [where, entry] of Object.entries(wrap.packages ?? {})) {
    if (!entry.hasInstallScript || entry.dev || where === "") continue;
    allow[where.slice(where.lastIndexOf("node_modules/") + "node_modules/".length)] = true;
  }
  const pkg = JSON.parse(fs.readFileSync(pkgFile, "utf8"));
  pkg.allowScripts = allow;
  fs.writeFileSync(pkgFile, JSON.stringify(pkg, null, 2) + "\n");
  console.error(`code-server: install scripts allowed in ${dir}: ${Object.keys(allow).join(", ") || "none"}`);
}
JS
  npm rebuild --unsafe-perm --foreground-scripts argon2 code-server >&2
)

if [ ! -x "$bin" ] || [ "$(installed_version)" != "$VERSION" ]; then
  echo "code-server: the install did not leave $bin at version $VERSION" >&2
  exit 1
fi
echo "$VERSION" >"$marker"
echo "code-server: $VERSION installed in $prefix" >&2
echo "$bin"
