"""kashop-desktop: the order desk for small card shops."""

from __future__ import annotations

from functools import cache

from . import _driver_import

_driver_import.install()  # psycopg only when a server store is opened (see the module)


@cache
def version() -> str:
    """The installed version ("0.0.0+src" from a source tree that is not installed).

    Looked up on first use: importing ``importlib.metadata`` takes about 0.1 s, which a relaunch
    of the desk should not spend before its window shows.
    """
    from importlib import metadata

    try:
        return metadata.version("kashop-desktop")
    except metadata.PackageNotFoundError:
        return "0.0.0+src"


def __getattr__(name: str) -> str:
    if name == "__version__":
        return version()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
