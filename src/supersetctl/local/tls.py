"""A certificate authority of the local stack's own, and the server certificate it signs.

The production rehearsal (``supersetctl up --env staging``) runs PostgreSQL and Redis with TLS
only, like DigitalOcean's managed clusters, and every client verifies the server against this CA
(``sslmode=verify-full``, ``rediss://`` with ``ssl_cert_reqs=required``), the way the deployed
runtime verifies DigitalOcean's CA.

Layout of ``folder``::

    folder/
      ca.pem          the CA certificate (what clients trust; public)
      ca.key          0600, the CA's private key
      server.pem      the server certificate: 127.0.0.1 and localhost, signed by the CA
      server.key      0600, its private key

Made once and reused while the server certificate has more than :data:`RENEW_DAYS` left.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from supersetctl.errors import LocalStackError
from supersetctl.fsutil import atomic_write

CA_DAYS = 3650
SERVER_DAYS = 825
RENEW_DAYS = 30
SERVER_NAMES = ("127.0.0.1", "localhost")


@dataclass(frozen=True)
class TlsFiles:
    """Where the CA and the server certificate live."""

    folder: Path

    @property
    def ca_file(self) -> Path:
        return self.folder / "ca.pem"

    @property
    def ca_key(self) -> Path:
        return self.folder / "ca.key"

    @property
    def cert_file(self) -> Path:
        return self.folder / "server.pem"

    @property
    def key_file(self) -> Path:
        return self.folder / "server.key"

    def ca_pem(self) -> str:
        return self.ca_file.read_text(encoding="ascii")


def _days_left(cert_file: Path, now: dt.datetime) -> float:
    from cryptography import x509

    try:
        cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
    except (OSError, ValueError):
        return -1.0
    return (cert.not_valid_after_utc - now).total_seconds() / 86400


def ensure_ca(folder: Path, *, now: dt.datetime | None = None) -> tuple[TlsFiles, bool]:
    """The CA and server certificate in ``folder``, made when absent or about to expire.

    Returns the files and whether they were (re)made. A new CA means a new server certificate;
    servers started before must restart to use it (``up`` starts them after this step).
    """
    now = now or dt.datetime.now(dt.UTC)
    files = TlsFiles(folder)
    complete = all(
        p.is_file() for p in (files.ca_file, files.ca_key, files.cert_file, files.key_file)
    )
    if (
        complete
        and _days_left(files.ca_file, now) > RENEW_DAYS
        and _days_left(files.cert_file, now) > RENEW_DAYS
    ):
        return files, False
    try:
        _make(files, now)
    except OSError as exc:
        raise LocalStackError(
            f"cannot write the local CA to {folder}: {exc.strerror}",
            hint="check the folder's permissions, or `supersetctl reset` the rehearsal",
        ) from None
    return files, True


def _make(files: TlsFiles, now: dt.datetime) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    def key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
        return key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )

    files.folder.mkdir(parents=True, exist_ok=True)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "supersetctl"),
            x509.NameAttribute(NameOID.COMMON_NAME, "supersetctl local CA"),
        ]
    )
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    alt_names: list[x509.GeneralName] = []
    for name in SERVER_NAMES:
        try:
            alt_names.append(x509.IPAddress(ipaddress.ip_address(name)))
        except ValueError:
            alt_names.append(x509.DNSName(name))
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, SERVER_NAMES[0])]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=SERVER_DAYS))
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), False
        )
        .sign(ca_key, hashes.SHA256())
    )
    atomic_write(files.ca_key, key_pem(ca_key).decode("ascii"), mode=0o600)
    atomic_write(files.key_file, key_pem(key).decode("ascii"), mode=0o600)
    atomic_write(files.cert_file, cert.public_bytes(serialization.Encoding.PEM).decode("ascii"))
    atomic_write(files.ca_file, ca.public_bytes(serialization.Encoding.PEM).decode("ascii"))
