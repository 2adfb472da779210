"""The password prompt on a real terminal (a pseudo-terminal): end of input is a message and exit 2."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from kashop_desktop.domain.roles import OWNER_NAME, Role
from kashop_desktop.services import operators
from kashop_desktop.services.desk import Desk

pytestmark = [pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX"),
              pytest.mark.usefixtures("store_kind")]  # on both stores: the file and a PostgreSQL server


def _on_terminal(data_dir: Path, *args: str) -> tuple[int, str, str]:
    """Run the CLI on a fresh pseudo-terminal, answer its first prompt with Ctrl+D (end of input):
    (exit status, the first prompt, everything the terminal showed)."""
    master, slave = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k not in ("KASHOP_OPERATOR_PASSWORD", "KASHOP_NEW_PASSWORD")}
    env["PYTHONIOENCODING"] = "utf-8"
    proc = subprocess.Popen([sys.executable, "-m", "kashop_desktop", *args, "--data-dir", str(data_dir)],
                            env=env, preexec_fn=lambda: os.login_tty(slave), close_fds=True, pass_fds=(slave,))
    os.close(slave)
    seen = b""
    try:
        while b"password" not in seen:
            chunk = os.read(master, 1024)  # blocks until the prompt is written
            assert chunk, seen
            seen += chunk
        prompt = seen.decode("utf-8", "replace")
        os.write(master, b"\x04")
        code = proc.wait(timeout=120)
        while True:
            try:
                chunk = os.read(master, 4096)
            except OSError:  # the terminal closed with the process
                break
            if not chunk:
                break
            seen += chunk
    finally:
        os.close(master)
    return code, prompt, seen.decode("utf-8", "replace")


def test_ctrl_d_at_the_password_prompt_is_exit_2_with_a_message(data_dir: Path) -> None:
    desk = Desk.open(data_dir)
    operators.set_password(desk, OWNER_NAME, "owner-secret")
    operators.add(desk, "小王", Role.CLERK, "clerk-secret")
    desk.close()
    code, _, text = _on_terminal(data_dir, "orders", "list", "--operator", "小王")
    assert code == 2, text
    assert "end of input" in text and "Traceback" not in text and "EOFError" not in text
    code, prompt, text = _on_terminal(data_dir, "operators", "passwd", "小王", "--operator", "小王")
    assert code == 2, text
    assert "new password" not in prompt  # who is working is asked before the new password
    assert "end of input" in text and "Traceback" not in text
