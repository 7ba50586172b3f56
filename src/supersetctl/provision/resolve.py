"""Files into what is sent: ``${VAR}`` filled in, the password moved beside the asset, what the
importer needs and a file may leave out (``version``, a dashboard's chart ids), and the managed
marker (``is_managed_externally``, ``external_url``, the owner) added."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable
from typing import Any

from supersetctl.errors import ConfigError

from .layout import AssetFile
from .model import Desired
from .normalize import MASKED, chart_nodes
from .ownership import Marker, with_marker
from .variables import Variables, interpolate, names_in

BUNDLE_VERSION = "1.0.0"  # the native bundle format's version


def external_url(asset: AssetFile, base: str) -> str:
    return f"{base}{asset.rel}" if base else asset.rel


def resolve(
    assets: Iterable[AssetFile], variables: Variables, url_base: str = "", owner: str = ""
) -> list[Desired]:
    """Interpolate every file. Raises before anything is sent when a variable is missing, or a
    secret is used anywhere but a database password; every problem of every file at once."""
    out: list[Desired] = []
    errors: list[ConfigError] = []
    for asset in assets:
        try:
            out.append(_resolve_one(asset, variables, url_base, owner))
        except ConfigError as exc:
            errors.append(exc)
    if errors:
        if len(errors) == 1:
            raise errors[0]
        raise ConfigError(
            "; ".join(str(e) for e in errors), hint="fix every file named before applying"
        )
    return out


def _resolve_one(asset: AssetFile, variables: Variables, url_base: str, owner: str) -> Desired:
    raw = dict(asset.raw)
    password: str | None = None
    is_db = asset.kind == "database"
    pw_template = raw.pop("password", None) if is_db else None
    uri_template = raw.pop("sqlalchemy_uri", None) if is_db else None
    if asset.templated:
        data, secrets = interpolate(raw, variables, asset.rel)
    else:  # no ${...} anywhere: nothing to fill in (and nothing below is changed in place)
        data, secrets = raw, set()
    if uri_template is not None:
        if isinstance(uri_template, str):
            data["sqlalchemy_uri"], password = database_uri(uri_template, variables, asset.rel)
        else:
            data["sqlalchemy_uri"] = uri_template
    if pw_template is not None:
        resolved_pw, _ = interpolate({"p": pw_template}, variables, asset.rel)
        password = str(resolved_pw["p"]) if resolved_pw["p"] else password
    if secrets:
        raise ConfigError(
            f"secret variable(s) {', '.join(sorted(secrets))} used outside a database password",
            path=asset.rel,
            hint="secrets may only appear in a database's sqlalchemy_uri password or `password`",
        )
    data.setdefault("version", BUNDLE_VERSION)  # the importer needs it; a file may omit it
    if asset.kind == "dashboard":
        data = with_chart_ids(data)
    data["is_managed_externally"] = True
    data["external_url"] = external_url(asset, url_base)
    if owner:
        data = with_marker(asset.kind, data, Marker(owner, asset.rel))
    return Desired(asset, data, password)


def with_chart_ids(dashboard: dict[str, Any]) -> dict[str, Any]:
    """The dashboard with a ``chartId`` on every chart of its layout. Superset's importer
    reads one for each chart it places by uuid (without it: a bare HTTP 500) and then
    replaces it with the chart's own id, so any number unique in the file does; a file
    written by hand may leave them out. The input is not changed."""
    nodes = chart_nodes(dashboard.get("position"))
    if all("chartId" in n["meta"] for n in nodes):
        return dashboard
    taken = {n["meta"]["chartId"] for n in nodes if isinstance(n["meta"].get("chartId"), int)}
    out = {**dashboard, "position": copy.deepcopy(dashboard["position"])}
    next_id = max(taken, default=0) + 1
    for node in chart_nodes(out["position"]):
        if "chartId" not in node["meta"]:
            node["meta"]["chartId"] = next_id
            next_id += 1
    return out


# a URI's scheme, user, password and the rest, read from the file as written: variable names
# hold no URI delimiters, so the parts are found before any value (a password with / ? # @) is
# filled in
_URI_PARTS = re.compile(
    r"^(?P<head>[A-Za-z][A-Za-z0-9+.\-]*://)"
    r"(?:(?P<user>[^:@/?#]*)(?::(?P<pw>[^@/?#]*))?@)?(?P<rest>.*)$",
    re.DOTALL,
)
_ONE_VAR = re.compile(r"^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$")


def database_uri(template: str, variables: Variables, file: str) -> tuple[str, str | None]:
    """A database's ``sqlalchemy_uri`` for the importer (password masked) and the password to
    send beside it through the importer's password field.

    The password part must be exactly ``${SECRET}`` (a secret variable), ``XXXXXXXXXX`` (keep
    the one Superset has) or absent; a secret anywhere else in the URI, a literal password, or
    a password made of more than one secret is refused, before any value is filled in.
    """
    m = _URI_PARTS.match(template)
    if m is None:  # not a URL: no place for a password in it
        uri, used = interpolate(template, variables, file)
        if used:
            raise _uri_secret_error(used, file)
        return str(uri), None
    user, pw = m["user"], m["pw"]
    outside, used = interpolate(
        [m["head"], user or "", m["rest"]], variables, file, secret_value=lambda n: ""
    )
    if used:
        raise _uri_secret_error(used, file)
    head, user_value, rest = (str(v) for v in outside)
    if user is None:  # no user info at all
        return head + rest, None
    if pw is None:
        return f"{head}{user_value}@{rest}", None
    password: str | None = None
    if pw != MASKED:
        one = _ONE_VAR.match(pw)
        if one is not None and not variables.is_secret(one[1]) and one[1] not in variables.values:
            # a placeholder, not a password: the variable is just not declared as a secret
            raise ConfigError(
                f"${{{one[1]}}}, the password in sqlalchemy_uri, is not a secret this "
                "environment declares",
                path=file,
                hint=f"add `- name: {one[1]}` under `secrets:` in {variables.config_file} "
                f"(or name it in a database's password_env), then export {one[1]}",
            )
        if one is None or not variables.is_secret(one[1]):
            mixed = [n for n in names_in(pw) if variables.is_secret(n)]
            raise ConfigError(
                "the password in sqlalchemy_uri must be exactly ${SECRET}"
                if mixed
                else "sqlalchemy_uri holds a literal password",
                path=file,
                hint="write the password as ${SECRET} (a variable config/<env>/ declares "
                "as a secret), or XXXXXXXXXX to keep the one Superset has",
            )
        value, _ = interpolate(pw, variables, file)
        password = str(value)
    return f"{head}{user_value}:{MASKED}@{rest}", password


def _uri_secret_error(names: set[str], file: str) -> ConfigError:
    return ConfigError(
        f"secret variable(s) {', '.join(sorted(names))} used in sqlalchemy_uri outside its "
        "password",
        path=file,
        hint="a secret may only be the whole password: scheme://user:${SECRET}@host/db",
    )
