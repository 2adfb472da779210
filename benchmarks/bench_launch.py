"""Relaunch of the demo: from the command starting to the desk window shown on screen.

    python benchmarks/bench_launch.py [--runs N] [--before CHECKOUT] [--data-dir DIR]

Runs ``scripts/run-demo.sh`` (a relaunch: the demo shop is built once beforehand and reused)
under its own Xvfb display and polls the X server (``xwininfo -root -tree``, every 10 ms) until a
window titled with the app's name is mapped; the figure is the wall time from starting the
command to that moment, the median (and worst) over N runs. The process is then ended.
``--before`` measures another checkout (with its own ``.venv``) the same way, as the baseline.
Target (issue 12): a relaunch opens the window within 2 s. Prints the load average beside the
figures: the machine is shared, so a busy one shows slower figures than an idle one.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_S = 2.0
TITLE = "kashop"


def start_xvfb() -> tuple[subprocess.Popen[bytes], str]:
    """An Xvfb of 1366x768 on a free display number."""
    for number in range(140, 200):
        if not Path(f"/tmp/.X11-unix/X{number}").exists() and not Path(f"/tmp/.X{number}-lock").exists():
            display = f":{number}"
            proc = subprocess.Popen(["Xvfb", display, "-screen", "0", "1366x768x24", "-nolisten", "tcp"],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                if subprocess.run(["xwininfo", "-root"], env={**os.environ, "DISPLAY": display},
                                  capture_output=True).returncode == 0:
                    return proc, display
                time.sleep(0.05)
            proc.kill()
    raise SystemExit("no free X display for Xvfb")


def window_shown(display: str) -> bool:
    tree = subprocess.run(["xwininfo", "-root", "-tree"], env={**os.environ, "DISPLAY": display},
                          capture_output=True, text=True).stdout
    return any(TITLE in line and "(has no name)" not in line for line in tree.splitlines())


def one_launch(checkout: Path, display: str, data_dir: Path) -> float:
    env = {**os.environ, "DISPLAY": display, "KASHOP_DATA_DIR": str(data_dir), "KASHOP_SECRETS": "vault"}
    env.pop("QT_QPA_PLATFORM", None)
    started = time.perf_counter()
    proc = subprocess.Popen([str(checkout / "scripts" / "run-demo.sh")], env=env, cwd=checkout,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        while proc.poll() is None:
            if window_shown(display):
                return time.perf_counter() - started
            time.sleep(0.01)
        raise SystemExit(f"run-demo.sh ended (status {proc.returncode}) before a window was shown")
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def measure(checkout: Path, display: str, data_dir: Path, runs: int) -> list[float]:
    one_launch(checkout, display, data_dir)  # builds the shop (first launch), warms the file cache
    return [one_launch(checkout, display, data_dir) for _ in range(runs)]


def report(label: str, figures: list[float]) -> None:
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"{label:<34} median {statistics.median(figures):.2f} s, worst {max(figures):.2f} s "
          f"({len(figures)} runs)   target <= {TARGET_S:.1f} s   load {load}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--before", type=Path, help="another checkout to measure beside this one")
    parser.add_argument("--data-dir", type=Path, help="the demo shop's folder (default: a fresh temporary one)")
    args = parser.parse_args()
    if shutil.which("Xvfb") is None or shutil.which("xwininfo") is None:
        print("needs Xvfb and xwininfo (scripts/setup.sh installs them)", file=sys.stderr)
        return 2
    xvfb, display = start_xvfb()
    scratch = tempfile.TemporaryDirectory(prefix="kashop-launch-")
    try:
        checkouts = [("this checkout", ROOT)] + ([("before (" + str(args.before) + ")", args.before)]
                                                 if args.before else [])
        for label, checkout in checkouts:
            data_dir = (args.data_dir or Path(scratch.name)) / label.split()[0]
            report(f"relaunch to window shown, {label}", measure(checkout.resolve(), display, data_dir, args.runs))
    finally:
        xvfb.terminate()
        xvfb.wait()
        scratch.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
