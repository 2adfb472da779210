#!/usr/bin/env bash
# Compile the Windows installer script with makensis here on Linux, so script errors fail CI.
#
#   packaging/build_windows_nsis.sh                 # over dist/kashop-desktop if built, else a placeholder
#   packaging/build_windows_nsis.sh --placeholder   # always over a placeholder payload (fast syntax check)
#
# The payload here is the *Linux* one-folder build (or a placeholder), so the resulting .exe is
# a compile check, not something to ship: the real installer is built on Windows (see
# packaging/README.md). Warnings are errors (-WX). Output: dist/kashop-desktop-<version>-setup-linux-payload.exe
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="${VENV:-$ROOT/.venv}"
NSI="packaging/windows/kashop-desktop.nsi"

if ! command -v makensis >/dev/null 2>&1; then
    echo "makensis not found: apt-get install -y nsis" >&2
    exit 1
fi

if [[ -x "$VENV/bin/python" ]]; then
    VERSION="$("$VENV/bin/python" -c "from importlib.metadata import version; print(version('kashop-desktop'))")"
else
    VERSION="$(sed -n 's/^version = "\(.*\)"/\1/p' pyproject.toml | head -1)"
fi

PAYLOAD="dist/kashop-desktop"
KIND="linux-payload"
if [[ "${1:-}" == "--placeholder" || ! -d "$PAYLOAD/_internal" ]]; then
    PAYLOAD="$(mktemp -d /tmp/kashop-nsis-payload.XXXXXX)"
    trap 'rm -rf "$PAYLOAD"' EXIT
    mkdir -p "$PAYLOAD/_internal"
    printf 'placeholder for the PyInstaller build\r\n' > "$PAYLOAD/kashop-desktop.exe"
    printf 'placeholder\r\n' > "$PAYLOAD/kashop-desktop-cli.exe"
    printf 'placeholder\r\n' > "$PAYLOAD/_internal/README.txt"
    KIND="placeholder"
fi
mkdir -p dist
OUT="$ROOT/dist/kashop-desktop-$VERSION-setup-$KIND.exe"

t0=$(date +%s.%N)
makensis -V2 -WX -DVERSION="$VERSION" -DPAYLOAD="$PAYLOAD" -DOUTFILE="$OUT" -DCOMPRESSOR=zlib "$NSI"
t1=$(date +%s.%N)
echo "nsis: $OUT (payload: $KIND)"
awk -v b="$(stat -c %s "$OUT")" -v a="$t0" -v c="$t1" 'BEGIN { printf "nsis installer: %.1f MB in %.1f s\n", b/1048576, c-a }'
