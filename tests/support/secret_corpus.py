"""Fake secrets and placeholders, generated at run time (nothing realistic is committed).

``build(folder, seed)`` writes one file per (secret shape, file context) with 20 random
instances each, plus placeholder files, and returns where every secret sits. The unit test and
``bench/secret_scan.py`` both use it.
"""

from __future__ import annotations

import base64
import json
import random
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from supersetctl.secrets import KNOWN_DEFAULT_SECRET_KEYS

ALNUM = string.ascii_letters + string.digits
INSTANCES = 20


@dataclass(frozen=True)
class Secret:
    shape: str
    path: str  # relative to the corpus folder
    line: int
    value: str  # what must never be printed


@dataclass
class Corpus:
    root: Path
    seed: int
    secrets: list[Secret] = field(default_factory=list)
    placeholder_lines: int = 0
    placeholder_files: list[str] = field(default_factory=list)


class Gen:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def s(self, n: int, alphabet: str = ALNUM) -> str:
        return "".join(self.rng.choice(alphabet) for _ in range(n))

    def secret(self, n: int, alphabet: str = ALNUM) -> str:
        """A generated secret: random, with at least one digit (as generators make them)."""
        chars = list(self.s(n - 1, alphabet))
        chars.insert(self.rng.randrange(n), self.rng.choice(string.digits))
        return "".join(chars)

    def hex(self, n: int) -> str:
        return self.s(n, "0123456789abcdef")

    def password(self) -> str:
        # at least one reserved character, so URI rules must cope with them
        core = self.s(self.rng.randint(10, 20), ALNUM + "!@#%^&*()-_=+[]~/?:")
        return self.rng.choice("!@#%") + core + self.rng.choice(string.digits)

    def jwt(self, role: str) -> str:
        def seg(obj: dict[str, object]) -> str:
            return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()

        claims = {"iss": "supabase", "ref": self.s(20).lower(), "role": role}
        claims["iat"] = self.rng.randint(1_600_000_000, 1_800_000_000)
        return f"{seg({'alg': 'HS256', 'typ': 'JWT'})}.{seg(claims)}.{self.s(43, ALNUM + '-_')}"


# Each shape: a value generator, and how to write it in each file context. A context returns
# the file's lines for one instance and the 0-based index of the line holding the secret.
Render = Callable[[str, str], tuple[list[str], int]]


def _one(line: str) -> tuple[list[str], int]:
    return [line], 0


def _pg_value(g: Gen) -> str:
    return g.password()


def _pg_uri(g: Gen, pw: str) -> str:
    driver = g.rng.choice(["", "+psycopg2", "+psycopg", "+asyncpg", "+pg8000"])
    scheme = g.rng.choice(["postgresql", "postgres"])
    enc = quote(pw, safe="") if g.rng.random() < 0.5 else pw
    user = g.rng.choice(["superset_ro", "odoo", "postgres", "analytics"])
    host = g.rng.choice(["db.internal", "10.0.0.5", "private-db-do-user-1.db.ondigitalocean.com"])
    return f"{scheme}{driver}://{user}:{enc}@{host}:25060/odoo?sslmode=require"


def shapes(g: Gen) -> dict[str, tuple[Callable[[], str], dict[str, Render]]]:
    """shape -> (value generator, {file name: render(value, name)})."""

    def pg(ctx: str) -> Render:
        def render(pw: str, _n: str) -> tuple[list[str], int]:
            uri = _pg_uri(g, pw)
            return _one(
                {
                    "py": f'engine = create_engine("{uri}", pool_pre_ping=True)',
                    "yaml": f"sqlalchemy_uri: {uri}",
                    "env": f"DATABASE_URL={uri}",
                    "json": f'{{"sqlalchemy_uri": "{uri}"}},',
                }[ctx]
            )

        return render

    def token(fmt: dict[str, str]) -> dict[str, Render]:
        return {ctx: (lambda v, _n, t=t: _one(t.format(v=v))) for ctx, t in fmt.items()}

    def pem(v: str, _n: str) -> tuple[list[str], int]:
        kind = g.rng.choice(["RSA ", "EC ", "OPENSSH ", ""])
        body = [v] + [g.s(64, ALNUM + "+/") for _ in range(3)]
        return [f"-----BEGIN {kind}PRIVATE KEY-----", *body, f"-----END {kind}PRIVATE KEY-----"], 0

    def pem_json(v: str, _n: str) -> tuple[list[str], int]:
        return _one(f'{{"private_key": "-----BEGIN PRIVATE KEY-----\\n{v}\\n{g.s(64)}\\n"}},')

    defaults = list(KNOWN_DEFAULT_SECRET_KEYS[:4])
    return {
        "pg-uri": (
            lambda: _pg_value(g),
            {"app.py": pg("py"), "provisioning.yaml": pg("yaml"), "dev.env": pg("env"),
             "db.json": pg("json")},
        ),
        "do-token": (
            lambda: f"{g.rng.choice(['dop', 'doo', 'dor'])}_v1_{g.hex(64)}",
            token({"deploy.sh": "export DIGITALOCEAN_ACCESS_TOKEN={v}",
                   "workflow.yml": "        env: {{ DO_TOKEN_FALLBACK: {v} }}",
                   "notes.md": "- the token `{v}` was used by the bot"}),
        ),
        "github-token": (
            lambda: g.rng.choice(
                [f"{p}_{g.s(36)}" for p in ("ghp", "gho", "ghs", "ghu")]
                + [f"github_pat_{g.s(22)}_{g.s(59)}"]
            ),
            token({"ci.yml": "      GH_PAT: {v}", "settings.toml": 'gh = "{v}"',
                   "clone.sh": "git clone https://x-access-token:{v}@github.com/o/r.git"}),
        ),
        "slack-webhook": (
            lambda: f"https://hooks.slack.com/services/T{g.s(10).upper()}/B{g.s(10).upper()}/"
            f"{g.s(24)}",
            token({"alerts.yaml": "webhook_url: {v}", "alerts.json": '{{"url": "{v}"}},',
                   "notify.py": 'requests.post("{v}", json=payload)'}),
        ),
        "slack-token": (
            lambda: f"xox{g.rng.choice('bp')}-{g.rng.randint(10**10, 10**12)}-"
            f"{g.rng.randint(10**10, 10**12)}-{g.s(24)}",
            token({"bot.env": "SLACK_BOT={v}", "bot.py": 'client = WebClient(token="{v}")',
                   "bot.conf": "slack = {v}"}),
        ),
        "supabase-service-role": (
            lambda: g.jwt("service_role"),
            token({"edge.env": "SERVICE={v}", "edge.ts": 'const key = "{v}";',
                   "edge.yaml": "  supabase_key: '{v}'"}),
        ),
        "jwt": (
            lambda: g.jwt("anon"),
            token({"client.js": 'const anon = "{v}";', "client.md": "Header: `Bearer {v}`",
                   "client.toml": 'anon = "{v}"'}),
        ),
        "supabase-key": (
            lambda: g.rng.choice([f"sb_secret_{g.s(32, ALNUM + '_-')}", f"sbp_{g.hex(40)}"]),
            token({"supa.env": "SUPA={v}", "supa.sh": "supabase login --token {v}",
                   "supa.json": '{{"k": "{v}"}},'}),
        ),
        "secret-key": (
            lambda: g.secret(g.rng.randint(32, 64), ALNUM + "+/"),
            token({"superset_config.py": 'SECRET_KEY = "{v}"',
                   "superset.env": "SUPERSET_SECRET_KEY={v}",
                   "Dockerfile": "ENV SUPERSET_SECRET_KEY={v}",
                   "spec.json": '{{"SUPERSET_SECRET_KEY": "{v}"}},'}),
        ),
        "odoo-password": (
            lambda: g.secret(g.rng.randint(12, 24)),
            token({"odoo.conf": "admin_passwd = {v}", "odoo-db.conf": "db_password = {v}",
                   "odoo.py": 'config["admin_passwd"] = "{v}"'}),
        ),
        "private-key": (
            lambda: g.s(64, ALNUM + "+/"),
            {"id_key": pem, "key.pem": pem, "sa.json": pem_json},
        ),
        "password": (
            lambda: g.secret(g.rng.randint(10, 20)),
            token({"app.yaml": "password: {v}", "roles.sql": "CREATE ROLE ro LOGIN PASSWORD '{v}';",
                   "run.sh": "PGPASSWORD={v} psql -h db -U ro odoo",
                   "settings.py": 'DATABASES = {{"password": "{v}"}}'}),
        ),
        "superset-default-key": (
            lambda: g.rng.choice(defaults),
            token({"prod.env": "SUPERSET_SECRET_KEY={v}", "config.py": 'SECRET_KEY = "{v}"',
                   "notes.md": "old key: {v}"}),
        ),
        "do-env": (
            lambda: g.secret(g.rng.randint(16, 40)),
            {
                "do-app-spec.yaml": lambda v, _n: (
                    ["  - key: ODOO_API", "    scope: RUN_TIME", "    type: SECRET",
                     f"    value: {v}"],
                    3,
                ),
                "k8s.yaml": lambda v, _n: (["- name: ODOO_PASSWORD", f"  value: {v}"], 1),
                "app.yaml": lambda v, _n: (["- key: API_TOKEN", "  type: GENERAL",
                                             f'  value: "{v}"'], 2),
            },
        ),
    }  # fmt: skip


def placeholder_lines(g: Gen) -> dict[str, list[str]]:
    """Files full of placeholders and harmless look-alikes: none of their lines is a secret."""
    forms = [
        "${NAME}", "${NAME:?set NAME}", "${NAME?required}", "${NAME:-}", "${NAME:-changeme}",
        "$NAME", "<password>", "<your-token>", "__SET_ME__", "changeme", "CHANGE_ME",
        "CHANGE_ME_IN_PROD", "your-secret-here", "YOUR_API_TOKEN", "xxxxxxxx", "XXXX-XXXX",
        "***", "{{ secret }}", "{{ vault.pg_password }}", "${{ secrets.NAME }}",
    ]  # fmt: skip
    names = ["PGPASSWORD", "SUPERSET_SECRET_KEY", "DIGITALOCEAN_TOKEN", "ODOO_DB_PASSWORD",
             "SLACK_BOT_TOKEN", "SUPABASE_SERVICE_ROLE_KEY", "GITHUB_TOKEN", "API_KEY"]  # fmt: skip
    env, yaml, py, misc = [], [], [], []
    for name in names:
        for form in forms:
            value = form.replace("NAME", name)
            env.append(f"{name}={value}")
            yaml.append(f'{name.lower()}: "{value}"')
            py.append(f'{name} = os.environ.get("{name}", "{value}")')
    for _ in range(INSTANCES):
        ev = f"EV[1:{g.s(32, ALNUM + '+/')}:{g.s(60, ALNUM + '+/')}]"
        misc += [
            f"    value: {ev}",
            f"postgresql+psycopg2://superset_ro:${{PGPASSWORD}}@{g.s(8).lower()}.internal/odoo",
            f"postgresql://superset_ro:<password>@{g.s(8).lower()}:5432/odoo",
            "postgresql://{user}:{password}@{host}:{port}/{db}",
            f"image: ghcr.io/acme/superset@sha256:{g.hex(64)}",
            f"uuid: {g.hex(8)}-{g.hex(4)}-{g.hex(4)}-{g.hex(4)}-{g.hex(12)}",
            f"commit: {g.hex(40)}",
            f"SUPERSET_SECRET_KEY={g.rng.choice(KNOWN_DEFAULT_SECRET_KEYS[:4])}",
            "password_file: /run/secrets/pg",
            "token: ${{ secrets.GITHUB_TOKEN }}",
            "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
            "The password: is read from PGPASSWORD at start-up.",
        ]
    return {
        "placeholders.env": env,
        "placeholders.yaml": yaml,
        "placeholders.py": py,
        # default keys are allowed in an example template, so this file's name matters
        ".env.superset.example": misc,
    }


def build(root: Path, seed: int) -> Corpus:
    g = Gen(random.Random(seed))
    corpus = Corpus(root, seed)
    root.mkdir(parents=True, exist_ok=True)
    for shape, (make, contexts) in shapes(g).items():
        for name, render in contexts.items():
            path = f"{shape}/{name}"
            lines: list[str] = []
            for _ in range(INSTANCES):
                value = make()
                chunk, at = render(value, name)
                corpus.secrets.append(Secret(shape, path, len(lines) + at + 1, value))
                lines.extend(chunk)
                lines.append("")
            (root / shape).mkdir(exist_ok=True)
            (root / path).write_text("\n".join(lines) + "\n", encoding="utf-8")
    for name, lines in placeholder_lines(g).items():
        (root / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
        corpus.placeholder_files.append(name)
        corpus.placeholder_lines += len(lines)
    return corpus
