"""Smoke-test a frozen (or installed) kashop-desktop: it starts, paints, and lists its gateways.

    python packaging/smoke_frozen.py [EXECUTABLE]   (default dist/kashop-desktop/kashop-desktop)

1. ``EXE --smoke`` offscreen: must print ``smoke ok <ms>`` and exit 0. Reported: the app's own
   figure (from its ``main`` to the first painted order list) and the wall time from launching
   the process to that line (interpreter unpacking and imports included).
2. ``EXE gateways kinds --json``: the six built-in gateways must be found *through their entry
   points* (a frozen app without the package metadata would still list the built-ins through
   the registry's fallback, so the entry-point list is what proves the metadata was bundled).
3. ``EXE --db postgresql://...`` on a closed port: refused by libpq (exit 5), so psycopg and its
   bundled libpq load in the frozen app.

Standard library only, so it runs with any Python 3 (the build venv's, or the system's inside a
bare Debian for the installed .deb). Exit 0 when both checks pass.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

EXPECTED = {"wallet", "sandbox", "epay_v1", "epay_v2", "alipay", "wechatpay_v3"}
SMOKE_TIMEOUT_S = 120


def environment(home: str) -> dict[str, str]:
    env = dict(os.environ)
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    env["KASHOP_SECRETS"] = "vault"  # never ask the machine's keyring during a smoke run
    env["HOME"] = home  # settings and logs of the smoke run go to a scratch home
    env.pop("KASHOP_DATA_DIR", None)
    env["XDG_DATA_HOME"] = str(Path(home) / "data")
    env["XDG_STATE_HOME"] = str(Path(home) / "state")
    env["XDG_CONFIG_HOME"] = str(Path(home) / "config")
    env["XDG_CACHE_HOME"] = str(Path(home) / "cache")
    return env


def smoke(exe: str, env: dict[str, str]) -> tuple[int, float]:
    """Run ``--smoke``; return (the app's ms, wall ms from launch to the 'smoke ok' line)."""
    started = time.perf_counter()
    proc = subprocess.Popen([exe, "--smoke"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    line_at, app_ms, lines = None, None, []
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.append(line)
        if line.startswith("smoke ok") and line_at is None:
            line_at = time.perf_counter()
            app_ms = int(float(line.split()[2]))
    _out, err = proc.communicate(timeout=SMOKE_TIMEOUT_S)
    if proc.returncode != 0 or line_at is None or app_ms is None:
        sys.stderr.write("".join(lines) + err)
        raise SystemExit(f"FAIL: {exe} --smoke exited {proc.returncode} without 'smoke ok'")
    return app_ms, (line_at - started) * 1000


def gateways(exe: str, env: dict[str, str]) -> tuple[list[str], list[str]]:
    out = subprocess.run([exe, "gateways", "kinds", "--json"], capture_output=True, text=True, env=env,
                         timeout=SMOKE_TIMEOUT_S, check=False)
    if out.returncode != 0:
        sys.stderr.write(out.stdout + out.stderr)
        raise SystemExit(f"FAIL: {exe} gateways kinds --json exited {out.returncode}")
    data = json.loads(out.stdout)
    return sorted(data.get("entry_points", [])), sorted(k["kind"] for k in data.get("kinds", []))


def server_driver(exe: str, env: dict[str, str]) -> str:
    """A server store's driver is bundled: ``--db postgresql://`` on a closed loopback port must be
    refused by libpq itself ("connection to server ... failed", exit 5), not for a missing psycopg."""
    out = subprocess.run([exe, "--db", "postgresql://kashop@127.0.0.1:1/shop", "orders", "list"], capture_output=True,
                         text=True, env=env, timeout=SMOKE_TIMEOUT_S, check=False)
    said = out.stdout + out.stderr
    if out.returncode != 5 or "connection to server" not in said:
        sys.stderr.write(said)
        raise SystemExit(f"FAIL: a server store's driver (psycopg, libpq) does not load: exit {out.returncode}")
    return said.strip().splitlines()[-1]


def main(argv: list[str]) -> int:
    exe = argv[1] if len(argv) > 1 else str(Path(__file__).resolve().parents[1] / "dist/kashop-desktop/kashop-desktop")
    with tempfile.TemporaryDirectory(prefix="kashop-smoke-home-") as home:
        env = environment(home)
        entry_points, kinds = gateways(exe, env)
        print(f"gateways (entry points): {' '.join(entry_points)}")
        missing = EXPECTED - set(entry_points)
        if missing:
            raise SystemExit(f"FAIL: the frozen app does not find these gateways through entry points: "
                             f"{sorted(missing)} (package metadata not bundled?)")
        if EXPECTED - set(kinds):
            raise SystemExit(f"FAIL: gateways that do not load: {sorted(EXPECTED - set(kinds))}")
        print(f"server driver loads: {server_driver(exe, env)[:100]}")
        app_ms, wall_ms = smoke(exe, env)
        print(f"smoke ok: first painted window {app_ms} ms after main(); "
              f"{wall_ms:.0f} ms from process launch (target <= 2000 ms)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
