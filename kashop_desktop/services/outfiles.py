"""Files the owner names for the desk to write (exports, backups, reports): where they may go.

One rule for every command and dialog that writes a file the user names, so none of them can
overwrite the shop's own files: ``check_output`` refuses a path inside the data folder (the
store and its ``-wal``/``-shm``, vault.json, backups, logs, set-aside files; symlinks resolved, so
a link pointing in is refused too), refuses an existing file unless ``force``, and refuses a
folder, a device or pipe (``/dev/stdout``: a command that can write to standard output takes
``-``), or a missing parent folder. ``write_atomically`` then writes through a temporary file in
the same folder and puts it in place only when complete: a failed or interrupted write never
leaves a half file where the owner's earlier one was, and without ``replace`` a file another
program (or a second export) created there meanwhile is not replaced either. A path through a
symlink is written where the link points (the link stays a link).
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Callable, Iterable
from pathlib import Path

from .. import paths
from ..domain.errors import DomainError


class OutputRefused(DomainError):
    """An output path the desk will not write (``code``: output_in_data_folder, output_exists,
    output_is_folder, output_not_file, output_folder_missing, output_type). The command line exits 2
    (a bad value)."""


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
    if _special(target):
        raise OutputRefused("output_not_file", f"这不是普通文件（设备、管道或套接字），不会写入：{path}",
                            f"not a regular file (a device, pipe or socket); not written: {path}")
    if not resolved.parent.is_dir():
        raise OutputRefused("output_folder_missing", f"文件夹不存在：{resolved.parent}",
                            f"no such folder: {resolved.parent}")
    if (resolved.exists() or target.is_symlink()) and not force:
        raise OutputRefused("output_exists", f"文件已存在：{path}。不会覆盖它：请换一个文件名，或确认覆盖（窗口中用“选择…”，命令行加 --force）",
                            f"the file exists: {path}. It is not overwritten: choose another name, or confirm replacing "
                            "it (“Choose…” in the window, --force on the command line)")
    return resolved


def _special(path: Path) -> bool:
    """Whether ``path`` (symlinks followed) exists and is not a regular file or a folder."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def exists_refusal(target: Path) -> OutputRefused:
    """The refusal for a file that appeared at ``target`` while the desk was writing its own."""
    return OutputRefused("output_exists", f"文件已存在：{target}（写入期间另一个程序或另一次导出建了它）。不会覆盖它：请换一个文件名",
                         f"the file exists: {target} (another program or another export created it meanwhile). "
                         "It is not replaced: choose another name")


#: errno -> (Chinese, English) for the reasons a disk refuses a file most often.
_REASONS = {
    errno.EACCES: ("没有写入权限", "no permission to write there"),
    errno.EPERM: ("没有写入权限", "no permission to write there"),
    errno.ENOSPC: ("磁盘已满", "the disk is full"),
    errno.EROFS: ("磁盘是只读的", "the disk is read-only"),
    errno.ENOENT: ("文件夹不存在", "the folder does not exist"),
}


def unwritable(target: Path, exc: OSError) -> DomainError:
    """DomainError(file_unwritable) for ``target``, the disk's reason in Chinese and English."""
    zh, en = _REASONS.get(exc.errno or 0, (exc.strerror or str(exc), exc.strerror or str(exc)))
    return DomainError("file_unwritable", f"无法写入文件：{target}（{zh}）", f"cannot write file: {target} ({en})")


def os_error(exc: BaseException) -> OSError | None:
    """The OSError behind ``exc``: itself, or one a library wrapped (XlsxWriter's
    FileCreateError carries it as its argument)."""
    if isinstance(exc, OSError):
        return exc
    for inner in (*getattr(exc, "args", ()), exc.__cause__, exc.__context__):
        if isinstance(inner, OSError):
            return inner
    return None


def write_atomically(target: Path, write: Callable[[Path], None], *, replace: bool = False) -> Path:
    """Call ``write(tmp)`` with a temporary path in ``target``'s folder, then put it at
    ``target``: replacing a file there only when ``replace`` (the owner confirmed it), else
    refusing one that appeared meanwhile (OutputRefused output_exists; a hard link does not
    replace, so two writers racing for one new name cannot both win). Raises
    DomainError(file_unwritable) (nothing left behind) when the disk refuses."""
    tmp = target.with_name(f".{target.name}.{os.getpid()}.{os.urandom(3).hex()}.part")
    try:
        write(tmp)
        _put_in_place(tmp, target, replace)
    except OutputRefused:
        tmp.unlink(missing_ok=True)
        raise
    except Exception as exc:
        tmp.unlink(missing_ok=True)
        cause = os_error(exc)
        if cause is None:
            raise
        raise unwritable(target, cause) from exc
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target


#: Errors of a file system that has no hard links (FAT, exFAT, some network shares).
_NO_LINKS = {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS, errno.EMLINK, errno.EXDEV}


def _put_in_place(tmp: Path, target: Path, replace: bool) -> None:
    if replace:
        os.replace(tmp, target)
        return
    try:
        os.link(tmp, target)  # fails if anything is at target now: never replaces
    except FileExistsError:
        raise exists_refusal(target) from None
    except OSError as exc:
        if exc.errno not in _NO_LINKS:
            raise
        if os.path.lexists(target):  # no hard links here: the last look before renaming
            raise exists_refusal(target) from None
        os.replace(tmp, target)
        return
    tmp.unlink()
