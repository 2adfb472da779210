#!/usr/bin/env bash
# Set everything up, then run the whole check: ruff, mypy, import-linter contracts, pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
export QT_QPA_PLATFORM=offscreen
# Byte-compile the package once: the CLI tests start hundreds of processes, each of which would
# otherwise compile it again where the environment says not to write bytecode.
.venv/bin/python -m compileall -q kashop_desktop >/dev/null || true
echo "== ruff";          .venv/bin/ruff check kashop_desktop tests benchmarks
echo "== mypy";          .venv/bin/mypy kashop_desktop
echo "== import-linter"; .venv/bin/lint-imports
# Two processes where there are two cores (pytest-xdist), a test file kept whole in one of them so a
# module's ready-made shop is built once; KASHOP_TEST_WORKERS=1 runs it in one process.
WORKERS="${KASHOP_TEST_WORKERS:-$( [ "$(nproc 2>/dev/null || echo 1)" -ge 2 ] && echo 2 || echo 1 )}"
PARALLEL=()
[ "$WORKERS" -gt 1 ] && PARALLEL=(-n "$WORKERS" --dist loadfile)
echo "== pytest";        .venv/bin/pytest -p no:cacheprovider "${PARALLEL[@]}" "$@"
