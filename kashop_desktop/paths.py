"""Every path the desk uses comes from here: platformdirs, overridden by --data-dir or KASHOP_DATA_DIR."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "kashop-desktop"
ENV_DATA_DIR = "KASHOP_DATA_DIR"
DB_FILENAME = "kashop.sqlite3"


def data_dir(override: str | os.PathLike[str] | None = None, *, create: bool = True) -> Path:
    """The data dir: explicit override, else $KASHOP_DATA_DIR, else the platform's user data dir
    (made when missing, unless ``create`` is False). Raises StoreUnusable ``store_missing`` when
    that path is a file."""
    chosen = override or os.environ.get(ENV_DATA_DIR) or platformdirs.user_data_dir(APP_NAME, appauthor=False)
    path = Path(chosen).expanduser().resolve()
    if path.exists() and not path.is_dir():
        from .domain.errors import StoreUnusable

        raise StoreUnusable(
            "store_missing",
            f"数据文件夹 {path} 是一个文件，不是文件夹：请检查 --data-dir 是否写错（它应指向店铺的数据文件夹）",
            f"the data folder {path} is a file, not a folder: check --data-dir for a typo (it names the "
            f"shop's data folder)", str(path))
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path


def db_path(override: str | os.PathLike[str] | None = None) -> Path:
    return data_dir(override) / DB_FILENAME


def backups_dir(override: str | os.PathLike[str] | None = None) -> Path:
    path = data_dir(override) / "backups"
    path.mkdir(parents=True, exist_ok=True)
    return path


def log_dir(override: str | os.PathLike[str] | None = None, *, create: bool = True) -> Path:
    """Logs live beside the data when a data dir is given, else in the platform log dir (made
    when missing, with the data dir, unless ``create`` is False)."""
    if override or os.environ.get(ENV_DATA_DIR):
        path = data_dir(override, create=create) / "logs"
    else:
        path = Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))
    if create:
        path.mkdir(parents=True, exist_ok=True)
    return path
