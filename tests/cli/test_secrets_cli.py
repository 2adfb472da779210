"""Where keys are kept, when it goes wrong: a damaged or empty vault.json is an unusable store
(exit 5, nothing written over it), a KASHOP_SECRETS that names no backend, or the keyring on a PC
without one, is a bad setting (exit 2); never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kashop_desktop.services.secrets import VaultStore, VaultUnusable

from .conftest import PARSING_ONLY, once
from .test_cli import Cli, cli  # noqa: F401  (the fixture)

pytestmark = pytest.mark.usefixtures("store_kind")  # on both stores: the file and a PostgreSQL server (tests/conftest.py)


def _run(data_dir: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kashop_desktop", *args, "--data-dir", str(data_dir)],
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONIOENCODING": "utf-8", **env})


@once("the key vault file in the data folder")
@pytest.mark.parametrize("content", [b"", b"{", b'{"salt": "x", "entries": []}', b"\xff\xfe\x00garbage"])
def test_a_damaged_or_empty_vault_is_refused_with_exit_5(cli: Cli, tmp_path: Path, content: bytes) -> None:  # noqa: F811
    cli("products", "add", "点卡", "--type", "卡密", "--price", "10")
    vault = cli.data_dir / "vault.json"
    vault.write_bytes(content)
    source = tmp_path / "in.txt"
    source.write_text("VAULT-0001-ABCDEFGH\n", encoding="utf-8")
    done = _run(cli.data_dir, "codes", "import", str(source), "--product", "点卡")
    assert done.returncode == 5, (done.stdout, done.stderr)
    assert "保险箱" in done.stderr and "vault" in done.stderr and "Traceback" not in done.stderr
    assert vault.read_bytes() == content  # never written over
    with pytest.raises(VaultUnusable):
        VaultStore(vault, "test-passphrase")


@PARSING_ONLY
def test_a_bad_secrets_setting_exits_2(cli: Cli) -> None:  # noqa: F811
    bogus = _run(cli.data_dir, "products", "list", KASHOP_SECRETS="bogus")
    assert bogus.returncode == 2 and "KASHOP_SECRETS" in bogus.stderr and "Traceback" not in bogus.stderr
    keyring = _run(cli.data_dir, "products", "list", KASHOP_SECRETS="keyring",
                   PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring")
    assert keyring.returncode == 2 and "钥匙串" in keyring.stderr and "keyring" in keyring.stderr
