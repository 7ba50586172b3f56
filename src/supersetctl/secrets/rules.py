"""Our secret rules, in one place: what each one matches and how a value is judged.

A rule looks at one line (a few look at the lines after it) and yields :class:`Hit` values: the
rule id, where the secret sits in the line, and the secret itself (used only to decide and to
fingerprint; never printed). The placeholder policy of
:mod:`supersetctl.secrets.placeholders` is applied by every rule.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import unquote

from supersetctl.secrets.names import is_secret_name, name_tokens
from supersetctl.secrets.placeholders import is_placeholder

# Superset's public default SECRET_KEYs (CVE-2023-27524), as the running app sees them. Listed
# so that they are refused anywhere outside an example template and at runtime.
KNOWN_DEFAULT_SECRET_KEYS: tuple[str, ...] = (
    "CHANGE_ME_TO_A_COMPLEX_RANDOM_SECRET",  # supersetctl: allow-secret reason=public default
    "thisISaSECRET_1234",  # supersetctl: allow-secret reason=public default, listed to refuse it
    "TEST_NON_DEV_SECRET",  # supersetctl: allow-secret reason=public default, listed to refuse it
    "YOUR_OWN_RANDOM_GENERATED_SECRET_KEY",  # supersetctl: allow-secret reason=public default
    "\x02\x01thisismyscretkey\x01\x02\\e\\y\\y\\h",  # supersetctl: allow-secret reason=public
)

RULES: dict[str, str] = {
    "SEC-PG-URI": "PostgreSQL/SQLAlchemy URI with an inline password",
    "SEC-URI-PASSWORD": "URI with an inline password",
    "SEC-DO-TOKEN": "DigitalOcean API token",
    "SEC-GITHUB-TOKEN": "GitHub token",
    "SEC-SLACK-WEBHOOK": "Slack incoming webhook URL",
    "SEC-SLACK-TOKEN": "Slack token",
    "SEC-JWT": "JSON Web Token",
    "SEC-SUPABASE-SERVICE-ROLE": "Supabase service_role key (bypasses row-level security)",
    "SEC-SUPABASE-KEY": "Supabase secret key or access token",
    "SEC-SECRET-KEY": "Flask/Superset SECRET_KEY in plain text",
    "SEC-SUPERSET-DEFAULT-KEY": "Superset's public default SECRET_KEY (CVE-2023-27524)",
    "SEC-ODOO-PASSWORD": "Odoo admin_passwd/db_password in plain text",
    "SEC-PRIVATE-KEY": "private key (PEM/OpenSSH)",
    "SEC-PASSWORD": "password or secret assigned in plain text",
    "SEC-ENV-SECRET": "secret environment variable with a plaintext value",
    "SEC-AWS-KEY": "AWS access key",
    "SEC-CLOUD-TOKEN": "third-party API key or token",
    "SEC-ALLOWLIST-STALE": "allowlist entry that matches nothing",
}

FIXES: dict[str, str] = {
    "SEC-SUPERSET-DEFAULT-KEY": "generate one: openssl rand -base64 42",
    "SEC-SECRET-KEY": "read it from the environment: SUPERSET_SECRET_KEY=${SUPERSET_SECRET_KEY}",
    "SEC-ENV-SECRET": "commit the EV[...] value DigitalOcean returns, or a ${VAR} placeholder",
    "SEC-ALLOWLIST-STALE": "remove the entry",
}
DEFAULT_FIX = "move it to the environment (a ${VAR} placeholder here) and rotate it"


@dataclass(frozen=True)
class Hit:
    rule: str
    line: int  # 0-based index into the scanned lines
    start: int  # offset of the secret in that line
    end: int
    value: str


@dataclass(frozen=True)
class Context:
    path: str
    lines: Sequence[str]
    code: bool  # a programming language file: unquoted values are expressions
    example: bool  # an example template (.example, .sample, .template)
    shapes: bool = True  # the text holds a token-shape hint: worth running _simple per line


CODE_SUFFIXES = frozenset(
    [
        ".py",
        ".pyi",
        ".js",
        ".mjs",
        ".cjs",
        ".ts",
        ".tsx",
        ".jsx",
        ".go",
        ".rb",
        ".java",
        ".kt",
        ".rs",
        ".cs",
        ".php",
        ".scala",
        ".swift",
    ]
)
EXAMPLE_MARKERS = frozenset({"example", "examples", "sample", "template", "tmpl", "dist"})


def make_context(path: str, lines: Sequence[str], text: str | None = None) -> Context:
    p = PurePosixPath(path)
    parts = p.name.lower().split(".")
    example = any(part in EXAMPLE_MARKERS for part in parts[1:]) or parts[0] in EXAMPLE_MARKERS
    shapes = text is None or _SHAPE_HINT.search(text) is not None
    return Context(path, lines, p.suffix.lower() in CODE_SUFFIXES, example, shapes)


# --- names -------------------------------------------------------------------------------

_SECRET_KEY_NAMES = frozenset({"secret_key", "superset_secret_key", "flask_secret_key"})
_ODOO_NAMES = frozenset({"admin_passwd", "db_password"})


def _rule_for_name(name: str) -> str:
    if name.lower() in _SECRET_KEY_NAMES:
        return "SEC-SECRET-KEY"
    if name in _ODOO_NAMES:
        return "SEC-ODOO-PASSWORD"
    return "SEC-PASSWORD"


# --- values ------------------------------------------------------------------------------

_NON_VALUES = frozenset(
    [
        "none",
        "null",
        "nil",
        "true",
        "false",
        "yes",
        "no",
        "on",
        "off",
        "~",
        "undefined",
        "str",
        "string",
        "int",
        "bool",
        "bytes",
        "secretstr",
        "optional",
        "required",
        "empty",
        "unset",
        "n/a",
        "tbd",
        "todo",
        "read",
        "write",
    ]
)
_ENV_NAME = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[A-Z][A-Z_]{2,}")
_UNQUOTED_END = re.compile(r"[\s,;\"'`]")
_REGEX_HINT = re.compile(r"[\[(][^\])]*[\])][{*+?]|\\[dwsbDWS]|\(\?")
_TRAILER = re.compile(r"\s*(?:(?:#|//|--|;|<!--).*)?[,;)}\]]*\s*(?:(?:#|//|<!--).*)?$")


@dataclass(frozen=True)
class Value:
    text: str
    start: int
    end: int
    quoted: bool
    rest: str  # what follows the value on the line


def read_value(line: str, pos: int) -> Value | None:
    """The literal that starts at ``pos``: a quoted string, or a bare token."""
    prefix = re.match(r"[bBrRuUfF]{0,2}(?=[\"'])", line[pos:])
    if prefix:
        pos += prefix.end()
    if pos >= len(line):
        return None
    quote = line[pos]
    if quote in "\"'":
        i = pos + 1
        while i < len(line):
            if line[i] == "\\":
                i += 2
                continue
            if line[i] == quote:
                return Value(line[pos + 1 : i], pos + 1, i, True, line[i + 1 :])
            i += 1
        return None  # unterminated: a multi-line string, not judged
    end, depth = pos, 0
    while end < len(line):
        ch = line[end]
        if ch in "{[(":
            depth += 1
        elif ch in "}])":
            if depth == 0:
                break
            depth -= 1
        elif depth == 0 and _UNQUOTED_END.match(ch):
            break
        end += 1
    if end == pos:
        return None
    return Value(line[pos:end], pos, end, False, line[end:])


def plausible_secret(value: str, name: str = "") -> bool:
    """Whether an assigned value could be a secret (and is not a placeholder)."""
    v = value.strip()
    if len(v) < 4 or is_placeholder(v) or v.lower() in _NON_VALUES:
        return False
    if _ENV_NAME.fullmatch(v) or (name and v.lower() == name.lower()) or _label(v):
        return False
    return bool(re.search(r"[A-Za-z0-9]", v))


_LABEL_SHAPE = re.compile(r"[A-Za-z]+(?:[._-][A-Za-z]+)*")
_LABEL_WORDS = frozenset({"token", "password", "passwd", "pass", "pwd", "secret", "key"})
_PASCAL_WORD = re.compile(r"[A-Z][a-z]{2,9}")  # Marker, Default


def _label(value: str) -> bool:
    """A name, not a secret: ``settings.db_password``, ``NextToken``, ``aws_secret_access_key``.

    Letters only (no digit), and a dotted path, one capitalised word, or an identifier of
    several words one of which names a secret. A flat lowercase word such as
    ``mysecretpassword`` stays a possible secret.
    """
    if not _LABEL_SHAPE.fullmatch(value):
        return False
    if "." in value or _PASCAL_WORD.fullmatch(value):
        return True
    words = set(name_tokens(value))
    return len(words) > 1 and bool(words & _LABEL_WORDS)


# --- the rules ---------------------------------------------------------------------------

_DO_TOKEN = re.compile(r"\bdo[por]_v1_[a-f0-9]{64}\b")
_GITHUB = re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,251}|github_pat_[A-Za-z0-9_]{22,247})\b")
_SLACK_HOOK = re.compile(
    r"https://hooks\.slack\.com/(?:services|workflows|triggers)/(?P<body>[A-Za-z0-9_/+-]{16,})"
)
_SLACK_TOKEN = re.compile(r"\b(?:xox[abposre]|xapp)-(?P<body>[A-Za-z0-9-]{10,})")
_SUPABASE = re.compile(r"\b(?:sb_secret_(?P<a>[A-Za-z0-9_-]{20,})|sbp_(?P<b>[A-Za-z0-9]{32,}))")
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*")
_URI = re.compile(
    r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*)://(?P<user>[^\s:/@'\"`<>]*):"
    r"(?P<pw>[^\s/'\"`]*)@(?P<host>[^\s@/?#'\"`<>:,;()]*)"
)
# database schemes: their passwords may hold an unencoded "/" (web URLs are not judged so)
_DB_URI = re.compile(
    r"(?P<scheme>\b(?i:postgres|postgresql|pgsql|psql|cockroachdb|redshift|mysql|mariadb|mssql"
    r"|oracle|redis|rediss|mongodb|mongodb\+srv|amqp|amqps|clickhouse|snowflake|trino|presto)"
    r"(?:\+[A-Za-z0-9_]+)?)://(?P<user>[^\s:/@'\"`<>]*):"
    r"(?P<pw>[^\s'\"`]*/[^\s'\"`]*)@(?P<host>[^\s@/?#'\"`<>:,;()]*)"
)
_PG_SCHEMES = re.compile(r"(?i)(?:postgres|postgresql|pgsql|psql|cockroachdb|redshift)(?:\+.*)?")
_PEM = re.compile(
    r"-----BEGIN (?:(?:RSA|DSA|EC|OPENSSH|ENCRYPTED|PGP|SSH2 ENCRYPTED) )?"
    r"PRIVATE KEY(?: BLOCK)?-----"
)
_PEM_BODY = re.compile(r"[A-Za-z0-9+/=]{16,}")
_ASSIGN = re.compile(
    r"(?<![A-Za-z0-9_])(?P<name>[A-Za-z_][A-Za-z0-9_.-]*)[\"'\]]*(?P<pre>\s*)"
    r"(?P<sep>:=|=>|==|=|:)(?P<post>\s*)"
)
_ASSIGN_HINT = re.compile(r"(?i)pass|pwd|secret|token|key")
_GETENV = re.compile(
    r"(?:getenv|environ\.get|env\.get|get_env|setdefault)\(\s*[\"'](?P<name>[A-Za-z_][\w.-]*)"
    r"[\"']\s*,\s*"
)
_SQL_PASSWORD = re.compile(r"(?i)\bpassword\s+(?=[EeNn]?')")
_ENV_ITEM = re.compile(
    r"^(?P<indent>\s*)(?:-\s+)?(?:key|name):\s*[\"']?(?P<name>[A-Za-z_]\w*)[\"']?\s*$"
)
_ENV_FIELD = re.compile(r"^\s*(?P<field>value|type):\s*")

_DEFAULT_KEY_FORMS = (
    *KNOWN_DEFAULT_SECRET_KEYS[:4],
    "\\2\\1thisismyscretkey\\1\\2\\e\\y\\y\\h",  # supersetctl: allow-secret reason=public
    "thisismyscretkey",  # supersetctl: allow-secret reason=public default, listed to refuse it
)
_DEFAULT_KEYS = re.compile("|".join(re.escape(k) for k in _DEFAULT_KEY_FORMS))
# a cheap whole-file test: no hint, no token shape (each rule still checks every line)
_SHAPE_HINT = re.compile(
    r"do[por]_v1_|gh[pousr]_|github_pat_|hooks\.slack\.com|xox[abposre]-|xapp-|sb_secret_|sbp_"
    r"|eyJ|" + _DEFAULT_KEYS.pattern
)


def _b64json(segment: str) -> object:
    try:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
        return json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return None


def _example_default(ctx: Context, value: str) -> bool:
    """A public default key in an example template: documented as the value to replace."""
    return ctx.example and _DEFAULT_KEYS.fullmatch(value) is not None


def _simple(ctx: Context, i: int, line: str) -> Iterator[Hit]:
    if not ctx.shapes:
        return
    for m in _DO_TOKEN.finditer(line):
        yield Hit("SEC-DO-TOKEN", i, m.start(), m.end(), m.group())
    for m in _GITHUB.finditer(line):
        body = m.group().split("_", 2)[-1] if m.group().startswith("github_pat_") else m.group()[4:]
        if not is_placeholder(body):
            yield Hit("SEC-GITHUB-TOKEN", i, m.start(), m.end(), m.group())
    for m in _SLACK_HOOK.finditer(line):
        last = m["body"].rstrip("/").rsplit("/", 1)[-1]
        if len(last) >= 8 and not is_placeholder(last) and not is_placeholder(m["body"]):
            yield Hit("SEC-SLACK-WEBHOOK", i, m.start(), m.end(), m.group())
    for m in _SLACK_TOKEN.finditer(line):
        if not is_placeholder(m["body"]) and re.search(r"\d", m["body"]):
            yield Hit("SEC-SLACK-TOKEN", i, m.start(), m.end(), m.group())
    for m in _SUPABASE.finditer(line):
        if not is_placeholder(m["a"] or m["b"] or ""):
            yield Hit("SEC-SUPABASE-KEY", i, m.start(), m.end(), m.group())
    for m in _JWT.finditer(line):
        head, payload = m.group().split(".")[:2]
        header, claims = _b64json(head), _b64json(payload)
        if not isinstance(header, dict) or not isinstance(claims, dict):
            continue
        rule = "SEC-SUPABASE-SERVICE-ROLE" if claims.get("role") == "service_role" else "SEC-JWT"
        yield Hit(rule, i, m.start(), m.end(), m.group())
    if not ctx.example:
        for m in _DEFAULT_KEYS.finditer(line):
            yield Hit("SEC-SUPERSET-DEFAULT-KEY", i, m.start(), m.end(), m.group())


def _placeholder_then_at(pw: str) -> bool:
    """``${PW}@host/db?x=a@b``: a placeholder password, then an "@" further on."""
    first = pw.split("@", 1)[0]
    return "@" in pw and first[:1] in "${<%" and first != "" and is_placeholder(first)


def _uris(ctx: Context, i: int, line: str) -> Iterator[Hit]:
    if "://" not in line:
        return
    for m in _URI.finditer(line):
        pw = m["pw"]
        if not plausible_secret(pw, m["user"]) or not plausible_secret(unquote(pw), m["user"]):
            continue
        if pw.startswith("{") or _placeholder_then_at(pw):
            continue
        rule = "SEC-PG-URI" if _PG_SCHEMES.fullmatch(m["scheme"]) else "SEC-URI-PASSWORD"
        yield Hit(rule, i, m.start("pw"), m.end("pw"), unquote(pw))
    for m in _DB_URI.finditer(line):
        pw = m["pw"]
        if re.match(r"\d*/", pw) or not plausible_secret(pw, m["user"]):
            continue  # host:port/path, not a password
        if pw.startswith("{") or _placeholder_then_at(pw):
            continue
        rule = "SEC-PG-URI" if _PG_SCHEMES.fullmatch(m["scheme"]) else "SEC-URI-PASSWORD"
        yield Hit(rule, i, m.start("pw"), m.end("pw"), unquote(pw))


_TUPLE_HEAD = re.compile(r"\s*(?:[A-Za-z_*][\w.]*\s*,\s*)+")


def _tuple_target(line: str, start: int) -> bool:
    """Whether the name at ``start`` is a later target of ``a, b = ...`` (outside brackets)."""
    return _TUPLE_HEAD.fullmatch(line[:start]) is not None


def _assignments(ctx: Context, i: int, line: str) -> Iterator[Hit]:
    if not _ASSIGN_HINT.search(line):
        return
    for m in _ASSIGN.finditer(line):
        name = m["name"].rsplit(".", 1)[-1].lstrip("-")
        if m["sep"] == "==" or not is_secret_name(name):
            continue
        if m["sep"] == ":" and (
            m["pre"] or (not m["post"] and not line[m.end() :].startswith(("'", '"')))
        ):
            continue  # a URL scheme, a time, a psql :'variable', a key without a space
        if _tuple_target(line, m.start()):
            continue  # a, password = x, y: the first value is not the password's
        value = read_value(line, m.end())
        if value is None:
            continue
        tight = m["sep"] == "=" and not m["pre"] and not m["post"]
        if value.quoted:
            if value.rest.lstrip().startswith(("+", "%", "*")):
                continue  # concatenation: built at run time
            prefix = line[m.end() : value.start - 1].lower()
            if "f" in prefix and "{" in value.text:
                continue  # an f-string: built at run time
            if "r" in prefix and _REGEX_HINT.search(value.text):
                continue  # a raw-string regex pattern
            if " " in value.text.strip() and _rule_for_name(name) == "SEC-PASSWORD":
                continue  # prose, not a password
        else:
            if ctx.code:
                continue  # an expression, not a literal
            if not tight and not _TRAILER.fullmatch(value.rest):
                continue  # prose: more words follow
        if plausible_secret(value.text, name) and not _example_default(ctx, value.text):
            yield Hit(_rule_for_name(name), i, value.start, value.end, value.text)
    for m in _GETENV.finditer(line):
        value = read_value(line, m.end())
        ok = value and value.quoted and is_secret_name(m["name"])
        if ok and value and plausible_secret(value.text, m["name"]):
            yield Hit(_rule_for_name(m["name"]), i, value.start, value.end, value.text)
    for m in _SQL_PASSWORD.finditer(line):
        value = read_value(line, m.end() + (0 if line[m.end()] == "'" else 1))
        if value and value.quoted and plausible_secret(value.text):
            yield Hit("SEC-PASSWORD", i, value.start, value.end, value.text)


def _private_keys(ctx: Context, i: int, line: str) -> Iterator[Hit]:
    if "PRIVATE KEY" not in line:
        return
    for m in _PEM.finditer(line):
        after = line[m.end() :]
        body = None
        inline = re.match(r"(?:\\r)?\\n(?P<b>[A-Za-z0-9+/=]{16,})", after)
        if inline:
            body = inline["b"]
        else:
            for nxt in ctx.lines[i + 1 : i + 5]:
                s = nxt.strip().strip("\"'")
                if _PEM_BODY.fullmatch(s):
                    body = s
                    break
        if body and not is_placeholder(body):
            yield Hit("SEC-PRIVATE-KEY", i, m.start(), m.end(), body)


def _env_blocks(ctx: Context, i: int, line: str) -> Iterator[Hit]:
    """``- key: NAME`` / ``value: ...`` (App Platform spec) and ``- name: NAME`` (Kubernetes)."""
    if "key:" not in line and "name:" not in line:
        return
    m = _ENV_ITEM.match(line)
    if not m:
        return
    indent = len(m["indent"])
    secret_type = False
    found: tuple[int, Value] | None = None
    for j in range(i + 1, min(i + 8, len(ctx.lines))):
        nxt = ctx.lines[j]
        stripped = nxt.lstrip()
        if not stripped or stripped.startswith("#"):
            continue
        if len(nxt) - len(stripped) <= indent or stripped.startswith("- "):
            break
        f = _ENV_FIELD.match(nxt)
        if not f:
            continue
        v = read_value(nxt, f.end())
        if f["field"] == "type":
            secret_type = bool(v) and v is not None and v.text == "SECRET"
        elif v is not None:
            found = (j, v)
    if found is None:
        return
    j, v = found
    if _example_default(ctx, v.text):
        return
    if (secret_type or is_secret_name(m["name"])) and plausible_secret(v.text, m["name"]):
        rule = "SEC-SECRET-KEY" if m["name"].lower() in _SECRET_KEY_NAMES else "SEC-ENV-SECRET"
        yield Hit(rule, j, v.start, v.end, v.text)


LINE_RULES = (_simple, _private_keys, _uris, _env_blocks, _assignments)

# the order decides which rule names a secret two rules see: the more specific first
PRIORITY = {
    rule: n
    for n, rule in enumerate(
        [
            "SEC-SUPERSET-DEFAULT-KEY",
            "SEC-SUPABASE-SERVICE-ROLE",
            "SEC-DO-TOKEN",
            "SEC-GITHUB-TOKEN",
            "SEC-SLACK-WEBHOOK",
            "SEC-SLACK-TOKEN",
            "SEC-SUPABASE-KEY",
            "SEC-JWT",
            "SEC-PRIVATE-KEY",
            "SEC-AWS-KEY",
            "SEC-CLOUD-TOKEN",
            "SEC-PG-URI",
            "SEC-URI-PASSWORD",
            "SEC-SECRET-KEY",
            "SEC-ODOO-PASSWORD",
            "SEC-ENV-SECRET",
            "SEC-PASSWORD",
        ]
    )
}
