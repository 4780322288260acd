#!/usr/bin/env bash
# Install what the agent console's browser tests need: Debian's chromium, playwright-core
# (npm, no bundled browser download) and axe-core (the accessibility audit). Idempotent:
# does nothing that is already done.
#   HELPLINE_BROWSER_DIR  where playwright-core goes (default: ~/.cache/helpline-browser)
set -euo pipefail

dir="${HELPLINE_BROWSER_DIR:-$HOME/.cache/helpline-browser}"

if ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "install-browser: chromium is missing and this is not root; run as root" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    echo "install-browser: node and npm are needed for playwright-core" >&2
    exit 1
fi

if [ ! -f "$dir/node_modules/playwright-core/package.json" ]; then
    mkdir -p "$dir"
    # No browser download: the test drives Debian's chromium through executablePath.
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --prefix "$dir" --no-audit --no-fund \
        --silent playwright-core@1 >/dev/null
fi

if [ ! -f "$dir/node_modules/axe-core/axe.min.js" ]; then
    mkdir -p "$dir"
    npm install --prefix "$dir" --no-audit --no-fund --silent axe-core@4 >/dev/null
fi

echo "install-browser: chromium $(chromium --version 2>/dev/null | awk '{print $2}'), \
playwright-core and axe-core in $dir"
