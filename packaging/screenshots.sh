#!/bin/sh
# Regenerate docs/screenshots/ from the demo shop, on a real (virtual) X server so fonts,
# window decorations and paint timing are the real ones, not the offscreen plugin's.
set -eu
cd "$(dirname "$0")/.."
OUT="${1:-docs/screenshots}"
[ $# -gt 0 ] && shift  # the rest (--small) goes to the script
PY="${PYTHON:-.venv/bin/python}"
mkdir -p "$OUT"
unset QT_QPA_PLATFORM
exec xvfb-run -a -s "-screen 0 1600x1000x24" "$PY" -m kashop_desktop.gui.screenshots "$OUT" "$@"
