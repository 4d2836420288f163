#!/bin/sh
# Installs the browser that the browser tests (tests/browser) and `make screenshots`
# drive through Playwright: Debian's `chromium` package at /usr/bin/chromium.
# Playwright's own browser download (`playwright install`) is never used: the
# machines this project runs on reach package registries only.
#
# Idempotent: does nothing when /usr/bin/chromium is already there.
# Exits non-zero, saying why, when the browser cannot be installed.
set -eu

CHROMIUM=/usr/bin/chromium

if [ -x "$CHROMIUM" ]; then
    echo "Chromium is already installed: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "error: $CHROMIUM is missing and apt-get is not available: install Debian's 'chromium' package by hand." >&2
    exit 1
fi

if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    echo "error: $CHROMIUM is missing; installing it needs root, and sudo is not available." >&2
    echo "       Run as root: apt-get update && apt-get install -y --no-install-recommends chromium" >&2
    exit 1
fi

echo "Installing Debian's chromium package (apt-get)…"
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get update || ! $SUDO apt-get install -y --no-install-recommends chromium; then
    echo "error: apt-get could not install the 'chromium' package." >&2
    exit 1
fi

if [ ! -x "$CHROMIUM" ]; then
    echo "error: the 'chromium' package is installed but $CHROMIUM is missing." >&2
    exit 1
fi
echo "Installed: $("$CHROMIUM" --version 2>/dev/null || echo "$CHROMIUM")"
