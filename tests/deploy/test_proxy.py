"""The reverse-proxy snippets in deploy/: nginx takes its file as it is (where nginx is installed),
and both pass only Slack's path to the internet."""

from __future__ import annotations

import datetime
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
NGINX = DEPLOY / "nginx-paybot.conf"
CADDY = DEPLOY / "Caddyfile"


def self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for paybot.example.com, standing in for the one certbot gets."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "paybot.example.com")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "fullchain.pem", folder / "privkey.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


@pytest.mark.skipif(shutil.which("nginx") is None, reason="nginx is not installed here")
def test_nginx_takes_the_snippet(tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    site = NGINX.read_text()
    site = site.replace("/etc/letsencrypt/live/paybot.example.com/fullchain.pem", str(cert))
    site = site.replace("/etc/letsencrypt/live/paybot.example.com/privkey.pem", str(key))
    site = site.replace("/var/log/nginx/paybot.access.log", str(tmp_path / "access.log"))
    (tmp_path / "paybot.conf").write_text(site)
    (tmp_path / "nginx.conf").write_text(
        f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\n"
        f"events {{}}\nhttp {{ include {tmp_path}/paybot.conf; }}\n"
    )
    checked = subprocess.run(
        ["nginx", "-t", "-p", str(tmp_path), "-c", str(tmp_path / "nginx.conf")],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert checked.returncode == 0, checked.stderr
    assert "[warn]" not in checked.stderr, checked.stderr


def test_only_slack_s_path_is_passed_to_the_internet() -> None:
    nginx = NGINX.read_text()
    locations = re.findall(r"location ([^{]+)\{([^}]*)\}", nginx)
    public = [where.strip() for where, body in locations if "deny all" not in body]
    assert public == ["= /slack/events", "/"]
    assert "return 404" in dict((w.strip(), b) for w, b in locations)["/"]
    assert "/healthz /readyz /metrics" in CADDY.read_text()
    assert "not remote_ip private_ranges" in CADDY.read_text()
