"""测试连接 against a server that offers TLS (a private cluster with a certificate made here):
require encrypts, verify-full checks the certificate against the root file chosen, and a root
that did not issue it is named as a certificate problem."""

from __future__ import annotations

import datetime
import ipaddress
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from kashop_desktop.services import store_choice
from kashop_desktop.services.store_choice import ServerParts
from tests.pgserver import PASSWORD, USER, PrivateCluster


def _name(common: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common)])


def make_root(folder: Path, common: str) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(_name(common)).issuer_name(_name(common))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    (folder / f"{common}.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key, cert


def make_server_cert(folder: Path, root_key: ec.EllipticCurvePrivateKey, root: x509.Certificate) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(_name("127.0.0.1")).issuer_name(root.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1)).not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(root_key, hashes.SHA256()))
    (folder / "server.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (folder / "server.key").write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                                          serialization.PrivateFormat.TraditionalOpenSSL,
                                                          serialization.NoEncryption()))


class TlsCluster(PrivateCluster):
    """A private cluster with ssl=on and a certificate for 127.0.0.1 issued by ``roots/shop-root``."""

    def start_server(self) -> None:
        assert self.bin is not None
        tls = self.root / "tls"
        if not tls.exists():
            tls.mkdir()
            make_server_cert(tls, *make_root(tls, "shop-root"))
            (tls / "server.key").chmod(0o600)
            if self.as_root:
                for path in (tls, tls / "server.key", tls / "server.crt"):
                    shutil.chown(path, "postgres", "postgres")
        options = (f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off "
                   f"-c ssl=on -c ssl_cert_file={tls / 'server.crt'} -c ssl_key_file={tls / 'server.key'}")
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.root / "log"),
                  "-w", "start")


@pytest.fixture(scope="module")
def tls_cluster() -> Iterator[TlsCluster]:
    cluster = TlsCluster()
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop()


def test_tls_modes_against_a_server_that_offers_tls(tls_cluster: TlsCluster, tmp_path: Path) -> None:
    name = tls_cluster.new_database().rsplit("/", 1)[1]
    root = tls_cluster.root / "tls" / "shop-root.crt"
    make_root(tmp_path, "other-root")

    def tried(mode: str, rootcert: str = "") -> object:
        parts = ServerParts("127.0.0.1", tls_cluster.port, name, USER, mode, sslrootcert=rootcert)
        return store_choice.try_url(parts, PASSWORD)

    found = tried("require")
    assert getattr(found, "code", "") == "empty" and getattr(found, "tls", False)
    assert not getattr(tried("disable"), "tls", True)
    checked = tried("verify-full", str(root))
    assert getattr(checked, "code", "") == "empty" and getattr(checked, "tls", False)
    wrong = tried("verify-full", str(tmp_path / "other-root.crt"))
    assert getattr(wrong, "code", "") == "store_tls_certificate"
    assert "根证书" in getattr(wrong, "zh", "") and "root certificate" in getattr(wrong, "en", "")
    assert PASSWORD not in getattr(wrong, "zh", "") + getattr(wrong, "en", "")
