"""A server store's URL refused before anything connects (exit 2), the password never shown:
unencoded reserved characters in it, what libpq cannot parse, a bad sslmode."""

from __future__ import annotations

from pathlib import Path

import pytest

from kashop_desktop.cli import main
from kashop_desktop.cli.output import EXIT_USAGE
from kashop_desktop.store.pg_url import redact, url_problem
from tests.pgserver import PASSWORD, PrivateCluster

SECRET = "Kp@ss:w/rd#1"


@pytest.mark.parametrize(("url", "said"), [
    (f"postgresql://kashop:{SECRET}@127.0.0.1:55432/kashop_shop", "%40"),
    ("postgresql://kashop:Wr%ZZong@127.0.0.1/kashop_shop", "percent-encod"),
    ("postgresql://kashop:Wr0ng@[::1:55432/kashop_shop", "IPv6"),
    ("postgresql://kashop@127.0.0.1/kashop_shop?sslmode=requir", "sslmode=requir"),
    ("postgresql://kashop@127.0.0.1/kashop_shop?foo=bar", '"foo"'),
    ("postgresql://kashop:Wr0ng@127.0.0.1:port/kashop_shop", "not a number"),
    ("postgresql://kashop:Wr0ng@127.0.0.1/", "names no database"),
])
def test_a_bad_url_is_a_usage_error_with_the_password_masked_whole(url: str, said: str, tmp_path: Path,
                                                                  capsys: pytest.CaptureFixture[str]) -> None:
    password = url.split("://", 1)[1].rpartition("@")[0].partition(":")[2]
    assert main(["orders", "list", "--data-dir", str(tmp_path / "d"), "--db", url]) == EXIT_USAGE
    err = capsys.readouterr().err
    assert said in err and "Traceback" not in err and "内部错误" not in err
    assert not password or all(part not in err for part in password.split("@"))
    assert not (tmp_path / "d" / "kashop.sqlite3").exists()


def test_a_password_with_reserved_characters_is_masked_whole_and_the_hint_names_pgpassword() -> None:
    url = f"postgresql://kashop:{SECRET}@127.0.0.1:55432/kashop_shop"
    assert redact(url) == "postgresql://kashop:***@127.0.0.1:55432/kashop_shop"
    problem = url_problem(url)
    assert problem is not None and all("PGPASSWORD" in text and SECRET not in text for text in problem)
    encoded = "postgresql://kashop:Kp%40ss%3Aw%2Frd%231@127.0.0.1:55432/kashop_shop?sslmode=require"
    assert url_problem(encoded) is None and url_problem(encoded.replace("postgresql", "postgres")) is None


def test_sslmode_require_on_a_server_without_tls_names_that_cause(pg_cluster: PrivateCluster) -> None:
    from kashop_desktop.domain.errors import StoreUnusable
    from kashop_desktop.store import server

    with pytest.raises(StoreUnusable) as refused:
        server.open_server_store(pg_cluster.new_database() + "?sslmode=require")  # the private cluster has no TLS
    assert refused.value.code == "store_no_tls" and "TLS" in refused.value.zh and "sslmode" in refused.value.en
    assert PASSWORD not in refused.value.en


def test_an_address_filled_in_field_by_field_round_trips_whatever_its_characters() -> None:
    from kashop_desktop.store.pg_url import ServerParts, compose, parts_of, server_name, without_password

    parts = ServerParts("db.shop.lan", 5433, "店铺 shop", "ka@shop", "require")
    url = compose(parts, SECRET)
    assert url_problem(url) is None and SECRET not in url and SECRET not in redact(url)
    assert parts_of(url) == ServerParts("db.shop.lan", 5433, "店铺 shop", "ka@shop", "require", has_password=True)
    assert parts_of(without_password(url)) == parts and compose(parts) == without_password(url)
    assert server_name(url) == "db.shop.lan:5433/店铺 shop"
    ipv6 = ServerParts("::1", 5432, "shop", "kashop")
    assert compose(ipv6) == "postgresql://kashop@[::1]:5432/shop" and parts_of(compose(ipv6)) == ipv6
