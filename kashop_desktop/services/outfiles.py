"""Files the owner names for the desk to write (exports, backups, reports): where they may go.

One rule for every command and dialog that writes a file the user names, so none of them can
overwrite the shop's own files: ``check_output`` refuses a path inside the data folder (the
store and its ``-wal``/``-shm``, vault.json, backups, logs, set-aside files; symlinks resolved, so
a link pointing in is refused too), refuses an existing file unless ``force``, and refuses a
folder or a missing parent folder. ``write_atomically`` then writes through a temporary file in
the same folder and renames it into place only when complete: a failed or interrupted write
never leaves a half file where the owner's earlier one was.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path

from .. import paths
from ..domain.errors import DomainError


class OutputRefused(DomainError):
    """An output path the desk will not write (``code``: output_in_data_folder, output_exists,
    output_is_folder, output_folder_missing, output_type). The command line exits 2 (a bad value)."""


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.relative_to(folder)
    except ValueError:
        return False
    return True


def protected_folders(data_dir: Path) -> list[Path]:
    """The folders no user-named output may be written into: the data folder (resolved) and the
    log folder."""
    import platformdirs

    return [data_dir.resolve(), Path(platformdirs.user_log_dir(paths.APP_NAME, appauthor=False)).resolve()]


def check_output(data_dir: Path, path: Path, *, force: bool = False,
                 suffixes: Iterable[str] | None = None) -> Path:
    """The resolved path where a user-named output may be written.

    ``suffixes`` (lower case, with the dot) limits the file types. Raises OutputRefused:
    output_in_data_folder (the path, or where a symlink points, is inside the data or log
    folder), output_exists (a file is there and ``force`` is False), output_is_folder,
    output_folder_missing, output_type.
    """
    target = Path(os.path.abspath(path.expanduser()))
    resolved = target.resolve()
    for folder in protected_folders(data_dir):
        if _inside(resolved, folder) or _inside(target, folder):
            raise OutputRefused(
                "output_in_data_folder",
                f"不能写到数据文件夹里：{path}（那里是店铺的数据文件、保险箱、备份和日志，覆盖它们会丢数据）。请换一个位置",
                f"will not write into the data folder: {path} (the shop's store, vault, backups and logs are "
                "there; overwriting them loses data). Choose another place")
    if suffixes is not None and resolved.suffix.lower() not in set(suffixes):
        listed = " / ".join(sorted(set(suffixes)))
        raise OutputRefused("output_type", f"只能写 {listed} 文件：{path.name}", f"only {listed} files: {path.name}")
    if resolved.is_dir():
        raise OutputRefused("output_is_folder", f"这是一个文件夹，请给出文件名：{path}",
                            f"this is a folder; give a file name: {path}")
    if not resolved.parent.is_dir():
        raise OutputRefused("output_folder_missing", f"文件夹不存在：{resolved.parent}",
                            f"no such folder: {resolved.parent}")
    if (resolved.exists() or target.is_symlink()) and not force:
        raise OutputRefused("output_exists", f"文件已存在：{path}。不会覆盖它：请换一个文件名，或确认覆盖（窗口中用“选择…”，命令行加 --force）",
                            f"the file exists: {path}. It is not overwritten: choose another name, or confirm replacing "
                            "it (“Choose…” in the window, --force on the command line)")
    return resolved


def write_atomically(target: Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp)`` with a temporary path in ``target``'s folder, then rename it to
    ``target``. Raises DomainError(file_unwritable) (nothing left behind) when writing fails."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{os.urandom(3).hex()}.part")
    try:
        write(tmp)
        os.replace(tmp, target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise DomainError("file_unwritable", f"无法写入文件：{target}（{exc.strerror}）",
                          f"cannot write file: {target} ({exc.strerror})") from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target
