"""The rehearsal's CA: made once, reused, renewed before it expires; a real TLS handshake."""

from __future__ import annotations

import datetime as dt
import socket
import ssl
import stat
import threading
from pathlib import Path

from cryptography import x509

from supersetctl.local.tls import RENEW_DAYS, SERVER_DAYS, ensure_ca


def test_the_ca_is_made_once_and_its_keys_are_private(tmp_path: Path) -> None:
    files, made = ensure_ca(tmp_path / "tls")
    assert made
    for key in (files.ca_key, files.key_file):
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
    before = files.ca_file.read_bytes()
    again, made = ensure_ca(tmp_path / "tls")
    assert not made and again.ca_file.read_bytes() == before


def test_a_certificate_about_to_expire_is_renewed(tmp_path: Path) -> None:
    ensure_ca(tmp_path)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=SERVER_DAYS - RENEW_DAYS + 1)
    _, made = ensure_ca(tmp_path, now=later)
    assert made


def test_the_server_certificate_is_for_loopback_and_signed_by_the_ca(tmp_path: Path) -> None:
    files, _ = ensure_ca(tmp_path)
    cert = x509.load_pem_x509_certificate(files.cert_file.read_bytes())
    ca = x509.load_pem_x509_certificate(files.ca_file.read_bytes())
    cert.verify_directly_issued_by(ca)
    names = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert [str(ip) for ip in names.get_values_for_type(x509.IPAddress)] == ["127.0.0.1"]
    assert names.get_values_for_type(x509.DNSName) == ["localhost"]


def test_a_client_trusting_the_ca_completes_a_verified_handshake(tmp_path: Path) -> None:
    files, _ = ensure_ca(tmp_path)
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(files.cert_file, files.key_file)
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def serve() -> None:
        conn, _ = listener.accept()
        with server_ctx.wrap_socket(conn, server_side=True) as tls:
            tls.sendall(b"ok")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    client_ctx = ssl.create_default_context(cafile=str(files.ca_file))
    with (
        socket.create_connection(("127.0.0.1", port), timeout=5) as raw,
        client_ctx.wrap_socket(raw, server_hostname="127.0.0.1") as tls,
    ):
        assert tls.recv(2) == b"ok"
    thread.join(5)
    listener.close()
