"""The desk's log file: one rotating file in the platform log dir (paths.log_dir()).

Nothing secret reaches the file: a filter on the handler masks anything that looks like a
gateway credential (``key=...``, ``"secret": "..."``, PEM blocks, bearer tokens) before the
record is written, so a careless ``log.info("%s", config)`` leaks nothing. The same masking is
used for crash reports (gui/crash.py).
"""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import os
import re
import sys
from pathlib import Path
from typing import Any

from . import paths, version

LOG_FILENAME = "kashop-desktop.log"
MAX_BYTES = 1_000_000
BACKUPS = 5
FORMAT = "%(asctime)s %(levelname)-7s %(name)s [%(threadName)s] %(message)s"
_HANDLER_NAME = "kashop-desktop-file"

# Names whose values are never written: gateway keys, passphrases, signatures, tokens.
_SECRET_WORDS = r"(?:[a-z_]*(?:secret|passw(?:or)?d|passphrase|private_?key|api_?key|apiv3_?key|token|sign(?:ature)?)[a-z_]*|key)"
_KEY_VALUE = re.compile(
    rf"""(?P<name>["']?\b{_SECRET_WORDS}\b["']?\s*[:=]\s*)(?P<quote>["']?)(?P<value>[^"'\s,;&}}]+)""",
    re.IGNORECASE,
)
_PEM = re.compile(r"-----BEGIN [A-Z ]+-----.*?-----END [A-Z ]+-----", re.DOTALL)
_BEARER = re.compile(r"(?P<name>\b(?:Bearer|WECHATPAY2-SHA256-RSA2048)\s+)\S+", re.IGNORECASE)
MASK = "***"


def redact(text: str) -> str:
    """``text`` with every credential-looking value replaced by ``***``."""
    text = _PEM.sub(MASK, text)
    text = _BEARER.sub(lambda m: m.group("name") + MASK, text)
    return _KEY_VALUE.sub(lambda m: m.group("name") + m.group("quote") + MASK, text)


class RedactingFilter(logging.Filter):
    """Masks secrets in the formatted message and in any exception text of a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = redact(message)
        if clean != message:
            record.msg, record.args = clean, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


def log_file(data_dir: str | os.PathLike[str] | None = None) -> Path:
    return paths.log_dir(data_dir) / LOG_FILENAME


def setup_logging(data_dir: str | os.PathLike[str] | None = None, *, level: int = logging.INFO,
                  announce: bool = True) -> Path:
    """Send the root logger to the rotating log file and return its path.

    Idempotent: calling it again (tests, a second window) replaces the file handler instead of
    adding another, so lines are never written twice. ``announce``: write the start line
    (version, Python, platform) now; the window writes it once it is on screen (``announce``).
    """
    path = paths.log_dir(data_dir, create=False) / LOG_FILENAME
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER_NAME]:
        root.removeHandler(old)
        old.close()
    handler = _LogFileHandler(path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8", delay=True)
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.addFilter(RedactingFilter())
    root.addHandler(handler)
    if root.level == logging.NOTSET or root.level > level:
        root.setLevel(level)
    if announce:
        announce_start(path)
    return path


class _LogFileHandler(logging.handlers.RotatingFileHandler):
    """The log file, with its folder (and the data folder holding it) made at the first line
    written: a command that logs nothing, such as one refused for a mistyped file name, leaves
    no folder behind (a later command would take it for a shop's folder)."""

    _said_unwritable = False

    def _open(self) -> Any:
        Path(self.baseFilename).parent.mkdir(parents=True, exist_ok=True)
        return super()._open()

    def handleError(self, record: logging.LogRecord) -> None:
        """A log file that cannot be written (its folder is a file, a full or read-only disk) is
        said once on stderr in one line each language, never as a traceback; the command goes on
        and says what it has to say itself."""
        problem = sys.exc_info()[1]
        if not isinstance(problem, OSError):
            super().handleError(record)
            return
        if not _LogFileHandler._said_unwritable:
            _LogFileHandler._said_unwritable = True
            reason = problem.strerror or type(problem).__name__
            with contextlib.suppress(Exception):
                sys.stderr.write(f"日志文件无法写入（{reason}）：{self.baseFilename}\n"
                                 f"the log file cannot be written ({reason}): {self.baseFilename}\n")


def announce_start(path: Path) -> None:
    """The log's start line: version, Python, platform and the log file."""
    log = logging.getLogger("kashop_desktop")
    if log.isEnabledFor(logging.INFO):  # the version is looked up only when the line is written
        frozen = " (frozen)" if getattr(sys, "frozen", False) else ""
        log.info("kashop-desktop %s%s, Python %s on %s, log %s", version(), frozen, sys.version.split()[0],
                 sys.platform, path)
