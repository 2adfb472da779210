"""A private PostgreSQL 15 cluster for tests and benchmarks, started from Debian's binaries.

``PrivateCluster.start()`` runs ``initdb`` in a temporary folder and ``pg_ctl start`` on a free
loopback port, with fsync off (a throwaway cluster). ``initdb`` refuses to run as root, so as
root the server runs as the ``postgres`` user (``runuser``) on a folder it owns. Logins over
TCP need a password (scram-sha-256), so the tests exercise the password path as a real
server would. ``new_database`` copies a migrated template (``CREATE DATABASE ... TEMPLATE``),
which takes a few milliseconds instead of running every migration per test.
"""

from __future__ import annotations

import contextlib
import glob
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

PASSWORD = "kashop-test-pw"
USER = "kashop"


def binaries() -> Path | None:
    """The newest Debian PostgreSQL bin folder (15 or newer), or None when not installed."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parent.parent.name))
    found = [p for p in found if int(Path(p).parent.parent.name) >= 15]
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PrivateCluster:
    """One throwaway PostgreSQL server; ``url(db)`` gives a libpq URL with the password."""

    def __init__(self) -> None:
        self.bin = binaries()
        if self.bin is None:
            raise RuntimeError("PostgreSQL 15+ is not installed (Debian: apt-get install postgresql); "
                               "./scripts/setup.sh installs it")
        self.root = Path(tempfile.mkdtemp(prefix="kashop-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.as_root = os.geteuid() == 0
        self._names = itertools.count(1)

    def _run(self, *args: str) -> None:
        cmd = list(args)
        if self.as_root:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=self.root)

    def start(self) -> PrivateCluster:
        pwfile = self.root / "pw"
        pwfile.write_text(PASSWORD + "\n")
        if self.as_root:
            shutil.chown(self.root, "postgres", "postgres")
            shutil.chown(pwfile, "postgres", "postgres")
        assert self.bin is not None
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", USER, "--pwfile", str(pwfile),
                  "--auth-host=scram-sha-256", "--auth-local=trust", "-E", "UTF8", "--locale=C", "--no-sync")
        self.start_server()
        return self

    def start_server(self) -> None:
        """Start the server on the cluster (again, after ``stop_server``)."""
        assert self.bin is not None
        options = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.root / "log"),
                  "-w", "start")

    def stop_server(self) -> None:
        """Stop the server, keeping the cluster (a server that went away; ``start_server`` again)."""
        assert self.bin is not None
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def stop(self) -> None:
        assert self.bin is not None
        with contextlib.suppress(subprocess.CalledProcessError):
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)

    def url(self, database: str = "postgres", *, password: bool = True) -> str:
        secret = f":{PASSWORD}" if password else ""
        return f"postgresql://{USER}{secret}@127.0.0.1:{self.port}/{database}"

    def execute(self, sql: str) -> None:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as con:
            con.execute(sql)

    def drop_database(self, url: str) -> None:
        """Drop the database at ``url``, ending what is still connected to it (threads a test
        started keep their connections until they end)."""
        self.execute(f"DROP DATABASE IF EXISTS {url.rsplit('/', 1)[1]} WITH (FORCE)")

    def new_database(self, template: str | None = None, prefix: str = "shop") -> str:
        """A new empty database (or a copy of ``template``); returns its URL."""
        import psycopg

        name = f"{prefix}_{os.getpid()}_{next(self._names)}"
        with psycopg.connect(self.url(), autocommit=True) as con:
            if template:
                # CREATE DATABASE ... TEMPLATE refuses while anything is connected to the template
                # ("source database is being accessed by other users"); nothing a test runs may use
                # the template itself, so a connection still on it (one the template's builder let
                # go but the collector has not closed yet) is ended first.
                con.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                            "WHERE datname = %s AND pid <> pg_backend_pid()", (template,))
            con.execute(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else ""))
        return self.url(name)
