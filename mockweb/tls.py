"""A certificate authority made on the spot, so the mock web can answer https for any ``.test`` host.

When a client asks the proxy to ``CONNECT site.test:443``, the mock web completes a TLS handshake
with a certificate for ``site.test`` signed by :class:`LocalCA`. Scrapy does not verify
certificates by default (``DOWNLOAD_VERIFY_CERTIFICATES = False``; it only warns when the name does
not match, which it does here), so a crawl needs nothing; a client that verifies (urllib, Chromium
without ``--ignore-certificate-errors``) is given :attr:`LocalCA.cert_path`, the CA in PEM.

Keys are ECDSA P-256: making one costs a millisecond where RSA costs tens. Every host certificate
shares one key (only the certificates differ), and each host's TLS context is built once.
"""

from __future__ import annotations

import datetime
import ipaddress
import ssl
import threading
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

if TYPE_CHECKING:
    from pathlib import Path

#: Certificates are valid from a day before they are made (clocks differ) for this long.
_VALIDITY = datetime.timedelta(days=90)


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "watch mock web"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _pem_key(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _alt_name(host: str) -> x509.GeneralName:
    """A DNS name, or an IP address when ``host`` is one (a certificate names them apart)."""
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


class LocalCA:
    """A CA whose certificate is written to ``directory``, issuing server contexts per host name.

    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     ca = LocalCA(pathlib.Path(folder))
    ...     context = ca.server_context("blog.test")
    ...     print(ca.cert_path.read_text().splitlines()[0], context is ca.server_context("blog.test"))
    -----BEGIN CERTIFICATE----- True
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.timezone.utc)
        self._not_before = now - datetime.timedelta(days=1)
        self._not_after = now + _VALIDITY
        public_key = self._key.public_key()
        self._certificate = (
            self._builder(_name("watch mock web CA"), public_key)
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=False, content_commitment=False, key_encipherment=False,
                    data_encipherment=False, key_agreement=False, key_cert_sign=True,
                    crl_sign=True, encipher_only=False, decipher_only=False,
                ),
                critical=True,
            )
            .sign(self._key, hashes.SHA256())
        )  # fmt: skip
        self.cert_path = directory / "ca.pem"
        self.cert_path.write_bytes(self._certificate.public_bytes(serialization.Encoding.PEM))
        # One key for every host: the certificates differ, the key need not.
        self._host_key = ec.generate_private_key(ec.SECP256R1())
        self._host_key_path = directory / "host-key.pem"
        self._host_key_path.write_bytes(_pem_key(self._host_key))
        self._contexts: dict[str, ssl.SSLContext] = {}
        self._lock = threading.Lock()

    def _builder(self, subject: x509.Name, public_key: ec.EllipticCurvePublicKey) -> x509.CertificateBuilder:
        return (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(_name("watch mock web CA"))
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(self._not_before)
            .not_valid_after(self._not_after)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        )

    def server_context(self, host: str) -> ssl.SSLContext:
        """The TLS server context presenting a certificate for ``host`` (made once per host)."""
        host = host.lower()
        with self._lock:
            context = self._contexts.get(host)
            if context is None:
                context = self._contexts[host] = self._make_context(host)
            return context

    def _make_context(self, host: str) -> ssl.SSLContext:
        public_key = self._host_key.public_key()
        ca_key_id = x509.AuthorityKeyIdentifier.from_issuer_public_key(self._key.public_key())
        certificate = (
            self._builder(_name(host), public_key)
            .add_extension(x509.SubjectAlternativeName([_alt_name(host)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(ca_key_id, critical=False)
            .sign(self._key, hashes.SHA256())
        )
        # ssl loads certificates only from files.
        path = self.directory / f"{len(self._contexts)}.pem"
        path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(path, self._host_key_path)
        return context
