#!/usr/bin/env bash
# Installs the Debian packages the tests need, only when missing (idempotent):
#   chromium     headless browser for the webview and e2e tests (driven by playwright-core)
#   libkrb5-dev  headers code-server's kerberos module builds against
#   ripgrep      rg, which code-server's @vscode/ripgrep would otherwise download
# Runs apt-get update only when something is missing; does nothing when all are present.
set -euo pipefail

packages=(chromium libkrb5-dev ripgrep)
missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ "${#missing[@]}" -eq 0 ]; then
  echo "system deps: all present (${packages[*]})"
  exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
  echo "system deps: missing ${missing[*]} and apt-get is not available; install them by hand" >&2
  exit 1
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    sudo=(sudo)
  else
    echo "system deps: missing ${missing[*]}; run this script as root (or install sudo)" >&2
    exit 1
  fi
fi

echo "system deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
