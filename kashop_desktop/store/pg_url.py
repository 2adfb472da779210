"""A PostgreSQL server store's URL: checked before any connection, shown without its password.

The URL is libpq's (PostgreSQL 15 manual, 34.1.1.2 "Connection URIs"):
``postgresql://user[:password]@host[:port]/dbname[?param=value&...]``, ``postgres://`` being
the same. Characters with a meaning in a URI (``@ : / # ? [ ]``) must be percent-encoded in the
user name and password (``@`` as ``%40``); libpq itself reads an unencoded ``@`` or ``/`` in a
password as the end of the password or the host, and connects somewhere else. The checks here
refuse such a URL with a hint before anything connects, and also what libpq refuses to parse
(a bad percent-encoding, an IPv6 address without its ``]``, an unknown query parameter), and an
``sslmode`` that is not one of libpq's six values.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote

SCHEMES = ("postgresql://", "postgres://")
#: libpq's sslmode values (PostgreSQL 15 manual, 34.1.2 "Parameter Key Words").
SSLMODES = ("disable", "allow", "prefer", "require", "verify-ca", "verify-full")
_RESERVED_IN_USERINFO = set("@/#?[]")


def _split(url: str) -> tuple[str, str, str]:
    """(scheme with ``://``, user information, the rest after its ``@``), the user information
    ending at the last ``@`` (so an unencoded ``@`` in a password stays inside it); ("", "", rest)
    without ``@``."""
    text = url.strip()
    scheme, sep, rest = text.partition("://")
    if not sep:
        return "", "", text
    userinfo, at, host = rest.rpartition("@")
    if not at:
        return scheme + sep, "", rest
    return scheme + sep, userinfo, host


def redact(url: str) -> str:
    """The URL without its password (``postgresql://kashop:***@host/shop``), for messages and logs:
    everything between the user name's ``:`` and the last ``@`` is masked, so a password holding
    an unencoded ``@ / #`` is masked whole; a ``password=`` query parameter is masked too. The
    user name is shown decoded (``店长``, not ``%E5%BA%97%E9%95%BF``) unless decoding it would
    make the text read as another URL (an encoded ``@ : /``)."""
    scheme, userinfo, rest = _split(url)
    if userinfo:
        user, colon, _ = userinfo.partition(":")
        user = _readable_user(user)
        text = f"{scheme}{user}{':***' if colon else ''}@{rest}"
    else:
        text = f"{scheme}{rest}"
    return re.sub(r"(?i)(password=)[^&]*", r"\1***", text)


def _readable_user(user: str) -> str:
    from urllib.parse import unquote

    decoded = unquote(user)
    return user if set(decoded) & set("@:/?#[]") else decoded


def _unencoded_password(url: str) -> tuple[str, str] | None:
    _, userinfo, _ = _split(url)
    if not (_RESERVED_IN_USERINFO & set(userinfo)):
        return None
    where = redact(url)
    return (f"数据库地址 {where} 的用户名或密码里有未编码的 @ / # ? [ ] 字符，本程序无法确定密码在哪里结束。"
            "请把这些字符写成百分号编码（@ 写成 %40，: 写成 %3A，/ 写成 %2F，# 写成 %23，? 写成 %3F），"
            "或者地址里不写密码，改用环境变量 PGPASSWORD 或 ~/.pgpass",
            f"the user name or password in the database URL {where} holds an unencoded @ / # ? [ or ], so where the "
            "password ends cannot be told. Percent-encode them (@ as %40, : as %3A, / as %2F, # as %23, ? as %3F), "
            "or leave the password out of the URL and give it in PGPASSWORD or ~/.pgpass")


def _masked(text: str, url: str) -> str:
    """``text`` (libpq's words, which may quote the URL or a token of it) with the URL shown as
    ``redact`` shows it and the password masked wherever it appears."""
    _, userinfo, _ = _split(url)
    password = userinfo.partition(":")[2]
    text = text.replace(url.strip(), redact(url))
    return text.replace(password, "***") if password else text


def _libpq_problem(url: str) -> tuple[str, str] | None:
    """What libpq refuses in ``url`` (its own English words), or a bad sslmode; None when it parses."""
    from psycopg import ProgrammingError
    from psycopg.conninfo import conninfo_to_dict

    where = redact(url)
    try:
        params = conninfo_to_dict(url.strip())
    except ProgrammingError as exc:
        said = _masked(str(exc).strip(), url)
        return (f"数据库地址 {where} 写得不对（百分号编码、IPv6 地址的方括号或 ? 后面的参数名）：{said}",
                f"the database URL {where} is not valid (percent-encoding, an IPv6 address's brackets or a "
                f"parameter name after ?): {said}")
    mode = params.get("sslmode")
    if mode is not None and mode not in SSLMODES:
        return (f"数据库地址 {where} 的 sslmode={mode} 无效：应为 {' / '.join(SSLMODES)} 之一",
                f"sslmode={mode} in the database URL {where} is not valid: use one of {', '.join(SSLMODES)}")
    port = str(params.get("port") or "")
    if port and not all(p.isdigit() for p in port.split(",")):
        return (f"数据库地址 {where} 的端口不是数字", f"the port in the database URL {where} is not a number")
    if not params.get("dbname"):
        return (f"数据库地址 {where} 没有写数据库名（…/店铺库）", f"the database URL {where} names no database (…/shopdb)")
    return None


def url_problem(url: str) -> tuple[str, str] | None:
    """(zh, en) when ``url`` is not a usable PostgreSQL URL: another scheme, a password with
    unencoded reserved characters, what libpq cannot parse, a bad ``sslmode``, a port that is
    not a number, no database named; else None. The command line refuses it with exit 2."""
    if not url or not url.strip().lower().startswith(SCHEMES):
        where = redact(url or "")
        return (f"数据库地址 {where} 无效：应以 postgresql://（或 postgres://）开头，例如 postgresql://用户@主机/店铺库",
                f"the database URL {where} is not valid: it must start with postgresql:// (or postgres://), "
                "e.g. postgresql://user@host/shopdb")
    return _unencoded_password(url) or _libpq_problem(url)


#: libpq's default port (PostgreSQL 15 manual, 34.1.2 "Parameter Key Words": ``port``).
DEFAULT_PORT = 5432
#: The sslmode libpq uses when none is given (PostgreSQL 15 manual, 34.1.2: ``sslmode``).
DEFAULT_SSLMODE = "prefer"


@dataclass(frozen=True)
class ServerParts:
    """A server store's address as the owner fills it in: ``host`` (name or address), ``port``
    (1-65535), ``dbname``, ``user`` and ``sslmode`` (one of ``SSLMODES``); never the password.
    ``has_password`` says whether the URL it was read from carried one. ``sslrootcert``: the
    root certificate file that verifies the server's certificate (``verify-ca`` /
    ``verify-full``), ``system`` for the system's trusted roots (libpq 16+), empty for libpq's
    default (``~/.postgresql/root.crt``)."""

    host: str
    port: int
    dbname: str
    user: str
    sslmode: str = DEFAULT_SSLMODE
    has_password: bool = False
    sslrootcert: str = ""


def compose(parts: ServerParts, password: str | None = None) -> str:
    """The libpq URL for ``parts`` (``postgresql://user[:password]@host:port/dbname?sslmode=``),
    every component percent-encoded (RFC 3986, as libpq decodes it) so any character is safe in
    a user name, password or database name; an IPv6 address is put in brackets. The URL holds
    ``password`` only when one is given: the saved choice is composed without it."""
    user = quote(parts.user, safe="")
    secret = f":{quote(password, safe='')}" if password else ""
    host = parts.host.strip()
    host = f"[{host}]" if ":" in host and not host.startswith("[") else quote(host, safe="[]:")
    url = f"postgresql://{user}{secret}@{host}:{int(parts.port)}/{quote(parts.dbname, safe='')}"
    query = [] if parts.sslmode == DEFAULT_SSLMODE else [f"sslmode={parts.sslmode}"]
    if parts.sslrootcert:
        query.append(f"sslrootcert={quote(parts.sslrootcert, safe='/')}")
    return f"{url}?{'&'.join(query)}" if query else url


def parts_of(url: str) -> ServerParts:
    """The address in ``url`` (as libpq reads it: defaults for what it leaves out, port 5432,
    sslmode prefer, the user and database named by the URL or empty). Raises ValueError for a
    URL that ``url_problem`` refuses."""
    if url_problem(url) is not None:
        raise ValueError("not a usable PostgreSQL URL")
    from psycopg.conninfo import conninfo_to_dict

    params = conninfo_to_dict(url.strip())
    port = str(params.get("port") or DEFAULT_PORT).split(",")[0]
    return ServerParts(host=str(params.get("host") or params.get("hostaddr") or "localhost"),
                       port=int(port), dbname=str(params.get("dbname") or ""), user=str(params.get("user") or ""),
                       sslmode=str(params.get("sslmode") or DEFAULT_SSLMODE), has_password=bool(params.get("password")),
                       sslrootcert=str(params.get("sslrootcert") or ""))


def without_password(url: str) -> str:
    """``url`` with no password at all (not masked: removed), for a URL kept on disk."""
    scheme, userinfo, rest = _split(url)
    if not userinfo:
        return url.strip()
    user = userinfo.partition(":")[0]
    return re.sub(r"(?i)([?&])password=[^&]*&?", r"\1", f"{scheme}{user}@{rest}").rstrip("?&")


def server_name(url: str) -> str:
    """The server as people name it: ``host:port/dbname`` (no user, no password); the redacted
    URL when ``url`` cannot be read."""
    try:
        parts = parts_of(url)
    except ValueError:
        return redact(url)
    host = f"[{parts.host}]" if ":" in parts.host else parts.host
    return f"{host}:{parts.port}/{parts.dbname}"
