"""Each rule: a failing sample (built at run time) and passing samples with placeholders."""

from __future__ import annotations

import base64
import json
import secrets
import string
from pathlib import Path

import pytest

from supersetctl.secrets import KNOWN_DEFAULT_SECRET_KEYS, RULES, scan_text


def _rand(n: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(n))


def _jwt(claims: dict[str, object]) -> str:
    def seg(obj: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

    return f"{seg({'alg': 'HS256', 'typ': 'JWT'})}.{seg(claims)}.{_rand(43)}"


def _pem(kind: str) -> str:
    return "\n".join(
        [
            f"-----BEGIN {kind}PRIVATE KEY-----",
            _rand(64),
            _rand(64),
            f"-----END {kind}PRIVATE KEY-----",
        ]
    )


def rules_of(text: str, path: str) -> list[str]:
    return [f.rule for f in scan_text(text, path)]


HEX = secrets.token_hex(32)
PW = "Pa!@#%" + _rand(10)

FAILING: list[tuple[str, str, str]] = [
    ("app.py", f'URI = "postgresql://superset:{_rand(12)}@db:5432/superset"', "SEC-PG-URI"),
    ("app.py", f'create_engine("postgresql+psycopg://ro:{PW}@h/db")', "SEC-PG-URI"),
    ("app.yaml", f"uri: postgres+asyncpg://ro:{_rand(8)}%21%40@h/db?sslmode=require", "SEC-PG-URI"),
    (
        "app.yaml",
        f"uri: postgresql://ro:{_rand(6)}/#?{_rand(6)}@db.internal:5432/odoo",
        "SEC-PG-URI",
    ),
    (".env", f"REDIS_URL=redis://default:{_rand(16)}@cache:6379/0", "SEC-URI-PASSWORD"),
    (".env", f"DIGITALOCEAN_ACCESS=dop_v1_{HEX}", "SEC-DO-TOKEN"),
    ("ci.sh", f"export T=doo_v1_{HEX}", "SEC-DO-TOKEN"),
    ("x.json", f'{{"token_value": "dor_v1_{HEX}"}}', "SEC-DO-TOKEN"),
    ("x.toml", f'gh = "ghp_{_rand(36)}"', "SEC-GITHUB-TOKEN"),
    ("x.md", f"use github_pat_{_rand(22)}_{_rand(59)} here", "SEC-GITHUB-TOKEN"),
    (
        "x.md",
        f"hook https://hooks.slack.com/services/T{_rand(8)}/B{_rand(8)}/{_rand(24)}",
        "SEC-SLACK-WEBHOOK",
    ),
    ("x.conf", f"bot = xoxb-{secrets.randbelow(10**12)}-{_rand(24)}", "SEC-SLACK-TOKEN"),
    ("x.env", f"ANON={_jwt({'role': 'anon', 'iss': 'supabase'})}", "SEC-JWT"),
    ("x.yaml", f"k: {_jwt({'role': 'service_role'})}", "SEC-SUPABASE-SERVICE-ROLE"),
    ("x.env", f"S=sb_secret_{_rand(32)}", "SEC-SUPABASE-KEY"),
    ("x.env", f"S=sbp_{secrets.token_hex(20)}", "SEC-SUPABASE-KEY"),
    ("superset_config.py", f'SECRET_KEY = "{_rand(40)}"', "SEC-SECRET-KEY"),
    (".env", f"SUPERSET_SECRET_KEY={_rand(40)}", "SEC-SECRET-KEY"),
    ("Dockerfile", f"ENV SUPERSET_SECRET_KEY={_rand(40)}", "SEC-SECRET-KEY"),
    ("odoo.conf", f"admin_passwd = {_rand(16)}", "SEC-ODOO-PASSWORD"),
    ("odoo.conf", f"db_password = {_rand(16)}", "SEC-ODOO-PASSWORD"),
    ("id_rsa", _pem("RSA "), "SEC-PRIVATE-KEY"),
    ("id_ed25519", _pem("OPENSSH "), "SEC-PRIVATE-KEY"),
    (
        "k.json",
        f'{{"private_key": "-----BEGIN PRIVATE KEY-----\\n{_rand(64)}\\n"}}',
        "SEC-PRIVATE-KEY",
    ),
    ("x.yaml", f"password: {_rand(12)}", "SEC-PASSWORD"),
    ("x.env", "POSTGRES_PASSWORD=mysecretpassword", "SEC-PASSWORD"),
    ("x.py", f'connect(password="{_rand(12)}")', "SEC-PASSWORD"),
    ("x.py", f'password = f"{_rand(12)}"', "SEC-PASSWORD"),
    ("x.py", f'os.environ.get("PGPASSWORD", "{_rand(12)}")', "SEC-PASSWORD"),
    ("roles.sql", f"CREATE ROLE ro LOGIN PASSWORD '{_rand(12)}';", "SEC-PASSWORD"),
    ("x.sh", f"PGPASSWORD={_rand(12)} psql -h db", "SEC-PASSWORD"),
    (
        "spec.yaml",
        f"envs:\n  - key: API\n    type: SECRET\n    value: {_rand(20)}\n",
        "SEC-ENV-SECRET",
    ),
    # a digit always: the rule leaves runs of capitals alone (real key ids mix digits in)
    ("x.py", f'AWS = "AKIA{_rand(15, string.ascii_uppercase + string.digits)}7"', "SEC-AWS-KEY"),
    ("x.env", f"STRIPE=sk_live_{_rand(24)}", "SEC-CLOUD-TOKEN"),
    ("x.sh", f"curl --password={_rand(12)} https://api", "SEC-PASSWORD"),
]


@pytest.mark.parametrize(("path", "text", "rule"), FAILING, ids=[f[2] for f in FAILING])
def test_failing_samples(path: str, text: str, rule: str) -> None:
    assert rule in rules_of(text, path)


@pytest.mark.parametrize("key", KNOWN_DEFAULT_SECRET_KEYS)
def test_default_keys_outside_templates(key: str) -> None:
    text = f"SECRET_KEY = {key!r}\n"
    assert "SEC-SUPERSET-DEFAULT-KEY" in rules_of(text, "superset_config.py")
    assert "SEC-SUPERSET-DEFAULT-KEY" not in rules_of(text, "superset_config.example.py")


PASSING: list[tuple[str, str]] = [
    ("app.py", 'URI = "postgresql://superset:${PGPASSWORD}@db:5432/superset"'),
    ("app.py", 'URI = f"postgresql://{user}:{password}@{host}/db"'),
    ("app.py", 'URI = "postgresql://superset@db/superset"'),
    ("x.md", "see http://localhost:8080/users/@me and redis://cache:6379/0?x=@y"),
    ("x.md", "postgresql://ro:${PGPASSWORD}@db/odoo?application_name=a/b@c"),
    ("app.py", "SECRET_KEY = os.environ['SUPERSET_SECRET_KEY']"),
    ("app.py", 'password = "tmp-" + secrets.token_hex(8)'),
    ("app.py", "password: str = field(repr=False)"),
    ("app.py", 'TOKEN_ENV = "DIGITALOCEAN_TOKEN"'),
    (".env", "SUPERSET_SECRET_KEY=${SUPERSET_SECRET_KEY:?set it}"),
    (".env", "PGPASSWORD="),
    (".env", "DATABASE_URL=postgresql://u:<password>@host/db"),
    ("odoo.conf", "db_password = False"),
    (
        "spec.yaml",
        "envs:\n  - key: SUPERSET_SECRET_KEY\n    type: SECRET\n    value: EV[1:abc:def]\n",
    ),
    ("spec.yaml", "envs:\n  - key: PGPASSWORD\n    value: ${PGPASSWORD}\n"),
    ("ci.yml", "token: ${{ secrets.GITHUB_TOKEN }}"),
    ("x.md", "The password: is read from the environment at start."),
    ("x.md", "Set `password: <your password>` in the file."),
    ("x.sql", "CREATE ROLE ro LOGIN PASSWORD :'ro_password';"),
    ("x.yaml", "api_key: __SET_ME__"),
    ("x.yaml", "secret: xxxxxxxx"),
    ("x.yaml", "token: '{{ vault_token }}'"),
    ("x.toml", 'gh = "ghp_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"'),
    ("x.yaml", "sha: sha256:" + "ab" * 32),
    ("x.yaml", "password_file: /run/secrets/pg"),
    ("x.py", 'SECRET = "{x}".format(x=1)  # supersetctl: allow-secret reason=test'),
    ("x.py", "api_key = r'([a-z]{24})'"),
    ("x.json", '"output_token": "NextToken",'),
    ("x.json", '"input_token": "Marker",'),
    ("x.py", "SECRET_KEY = 'aws_secret_access_key'"),
    ("x.yaml", "password: settings.db_password"),
    ("x.py", "key_id = 'AKIA" + "IOSFODNN7EXAMPLE'"),
    ("x.py", "seq = 'ACCA" + "GGATATGCCATTCTAG'"),
    ("x.py", 'password = f"tmp-{suffix}-x"'),
    ("x.py", "token = rf'^{prefix}_\\w+$'"),
    ("x.txt", "# Account SID (AC" + "x" * 32 + ")"),
]


@pytest.mark.parametrize(("path", "text"), PASSING)
def test_passing_samples(path: str, text: str) -> None:
    assert rules_of(text, path) == []


def test_inline_allow_needs_a_reason() -> None:
    secret = _rand(16)
    assert rules_of(f"password: {secret}  # supersetctl: allow-secret reason=fake", "a.yaml") == []
    assert rules_of(f"password: {secret}  # supersetctl: allow-secret", "a.yaml") != []
    above = f"# supersetctl: allow-secret reason=fake\npassword: {secret}\n"
    assert rules_of(above, "a.yaml") == []


def test_finding_never_holds_the_value() -> None:
    secret = _rand(20)
    (finding,) = scan_text(f"password: {secret}", "a.yaml")
    assert secret not in finding.format()
    assert secret not in json.dumps(finding.as_dict())
    assert dict(finding.extra)["fingerprint"]


def test_tuple_targets_are_not_judged_by_the_first_value() -> None:
    # supersetctl: allow-secret reason=the sample this test proves is not a finding
    text = 'salt, rounds, password = b"0123456789abcdef", 4096, make()\n'
    assert rules_of(text, "a.py") == []
    assert rules_of(f'f(user="u", password="{_rand(12)}")\n', "a.py") == ["SEC-PASSWORD"]


def test_every_rule_has_a_failing_sample_and_is_documented() -> None:
    covered = {rule for _, _, rule in FAILING} | {"SEC-SUPERSET-DEFAULT-KEY"}
    assert set(RULES) - covered == {"SEC-ALLOWLIST-STALE"}  # tested in test_allowlist.py
    docs = (Path(__file__).resolve().parents[3] / "docs" / "secrets.md").read_text()
    assert [r for r in RULES if f"`{r}`" not in docs] == []
