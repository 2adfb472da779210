#!/usr/bin/env bash
# Set everything up, build the demo shop and open the desk on it.
# Without a display, run it under Xvfb (installed by setup.sh):
#   xvfb-run -a -s "-screen 0 1600x1000x24" ./scripts/run-demo.sh
# or offscreen (nothing visible; useful for a smoke check):
#   QT_QPA_PLATFORM=offscreen .venv/bin/kashop-desktop --smoke
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
# The desk's own modules as bytecode, so a relaunch does not compile them again (about half a
# second): Python would write it on the first run, but not where PYTHONDONTWRITEBYTECODE is set.
# Only changed files are compiled; when nothing changed this is a quick look at their times.
.venv/bin/python -m compileall -q kashop_desktop >/dev/null 2>&1 || true
DATA_DIR="${KASHOP_DATA_DIR:-$PWD/demo-data}"
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ] && [ "${QT_QPA_PLATFORM:-}" != "offscreen" ]; then
  echo "No display found. Run it under Xvfb:"
  echo "  xvfb-run -a -s \"-screen 0 1600x1000x24\" $0"
  echo "or check it offscreen:"
  echo "  QT_QPA_PLATFORM=offscreen .venv/bin/kashop-desktop --smoke"
  exit 2
fi
exec .venv/bin/kashop-desktop demo --data-dir "$DATA_DIR"
