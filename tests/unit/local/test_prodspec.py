"""The app spec as the rehearsal's processes: commands, the env each one gets."""

from __future__ import annotations

from pathlib import Path

import pytest

from supersetctl.contract.appspec import AppSpec, EnvType, EnvVar
from supersetctl.errors import LocalStackError
from supersetctl.local import prodspec
from supersetctl.paths import RepoPaths

STATE = Path("/state")


def _committed(repo_copy: RepoPaths) -> list[prodspec.RunComponent]:
    spec = prodspec.load_spec(repo_copy.app_spec, "infra/superset/do-app-spec.yaml")
    return prodspec.run_components(
        spec, bind="127.0.0.1:8098", state=STATE, web_tls=(Path("/c.pem"), Path("/k.pem"))
    )


def test_the_committed_spec_runs_web_worker_beat_and_the_migration_job(
    repo_copy: RepoPaths,
) -> None:
    comps = {c.role: c for c in _committed(repo_copy)}
    assert set(comps) == {"web", "worker", "beat", "job"}
    web = comps["web"].argv
    # the spec's flags stay; only the bind address is this machine's, and gunicorn ends TLS
    assert web[:7] == (
        "gunicorn", "--bind", "127.0.0.1:8098", "--certfile", "/c.pem", "--keyfile", "/k.pem",
    )  # fmt: skip
    assert "0.0.0.0:8088" not in web
    for flag in ("--workers", "4", "--threads", "--limit-request-line", "--timeout", "120"):
        assert flag in web
    assert web[-1] == "superset.app:create_app()"
    assert comps["worker"].argv[:3] == ("celery", "--app=superset.tasks.celery_app:app", "worker")
    # beat's schedule file moves out of the shared /tmp into the rehearsal's folder
    assert "/state/tmp/celerybeat-schedule" in comps["beat"].argv
    assert not any(a.startswith("/tmp/") for a in comps["beat"].argv)
    # the PRE_DEPLOY job keeps its shell form (App Platform runs it through a shell)
    assert comps["job"].argv == ("/bin/sh", "-c", "superset db upgrade && superset init")


def test_every_component_gets_the_app_level_variables(repo_copy: RepoPaths) -> None:
    for comp in _committed(repo_copy):
        assert {"SUPERSET_ENV", "SUPERSET_SECRET_KEY", "SUPERSET_METADATA_DB_URL", "REDIS_URL",
                "SUPERSET_CA_CERT"} <= comp.env_names  # fmt: skip


@pytest.mark.parametrize(
    ("command", "want"),
    [
        ("gunicorn --bind=0.0.0.0:8088 app", ("gunicorn", "--bind=h:1", "app")),
        ("gunicorn -b 0.0.0.0:8088 app", ("gunicorn", "-b", "h:1", "app")),
        ("gunicorn app", ("gunicorn", "--bind", "h:1", "app")),
    ],
)
def test_the_web_bind_is_replaced_whatever_its_spelling(
    command: str, want: tuple[str, ...]
) -> None:
    assert prodspec.adapt_command(command, role="web", bind="h:1", state=STATE) == want


def _spec(**component_envs: str) -> AppSpec:
    return AppSpec.model_validate(
        {
            "name": "app",
            "envs": [
                {"key": "SUPERSET_ENV", "value": "prod"},
                {"key": "SUPERSET_SECRET_KEY", "type": "SECRET"},
                {"key": "SUPERSET_METADATA_DB_URL", "value": "${metadata.DATABASE_URL}"},
                {"key": "ONLY_AT_BUILD", "value": "x", "scope": "BUILD_TIME"},
            ],
            "workers": [
                {
                    "name": "worker",
                    "run_command": "celery worker",
                    "envs": [{"key": k, "value": v} for k, v in component_envs.items()],
                }
            ],
        }
    )


def _env(comp: prodspec.RunComponent, **local: str) -> dict[str, str]:
    return prodspec.component_env(
        comp,
        template_names=frozenset({"SUPERSET_LOG_LEVEL", "SUPERSET_CA_CERT_FILE"}),
        bindings={"metadata.DATABASE_URL": "postgresql://m/db?sslmode=require"},
        secrets={"SUPERSET_SECRET_KEY": "k" * 40},
        local=local,
        process={
            "PATH": "/venv/bin:/usr/bin",
            "HOME": "/root",
            "SUPERSET_SNEAKY": "1",
            "PGPASSWORD": "p",
            "AWS_PROFILE": "x",
        },
    )


def test_a_component_gets_only_what_the_spec_and_the_template_name() -> None:
    (comp,) = prodspec.run_components(_spec(SUPERSET_LOG_LEVEL="DEBUG"), bind="h:1", state=STATE)
    env = _env(comp, SUPERSET_CA_CERT_FILE="/state/ca.pem", SUPERSET_CONFIG_PATH="/c.py")
    assert env == {
        "PATH": "/venv/bin:/usr/bin",
        "HOME": "/root",
        "SUPERSET_ENV": "prod",
        "SUPERSET_SECRET_KEY": "k" * 40,
        "SUPERSET_METADATA_DB_URL": "postgresql://m/db?sslmode=require",
        "SUPERSET_LOG_LEVEL": "DEBUG",  # the component's own variable
        "SUPERSET_CA_CERT_FILE": "/state/ca.pem",  # the template names it
        "SUPERSET_CONFIG_PATH": "/c.py",  # the image sets it
    }


def test_the_component_wins_over_the_app_level_value() -> None:
    (comp,) = prodspec.run_components(_spec(SUPERSET_ENV="staging"), bind="h:1", state=STATE)
    assert _env(comp)["SUPERSET_ENV"] == "staging"


def test_the_rehearsal_may_not_add_a_variable_production_lacks() -> None:
    (comp,) = prodspec.run_components(_spec(), bind="h:1", state=STATE)
    with pytest.raises(LocalStackError, match="MY_SHORTCUT"):
        _env(comp, MY_SHORTCUT="1")


def test_an_unknown_binding_and_a_secret_without_value_are_named() -> None:
    var = EnvVar(key="X", value="${other.DATABASE_URL}")
    with pytest.raises(LocalStackError, match=r"\$\{other.DATABASE_URL\} \(in X\)"):
        prodspec.resolve_value(var, bindings={}, secrets={})
    secret = EnvVar(key="NEW_SECRET", type=EnvType.SECRET)
    with pytest.raises(LocalStackError, match="NEW_SECRET"):
        prodspec.resolve_value(secret, bindings={}, secrets={})
    encrypted = EnvVar(key="S", type=EnvType.SECRET, value="EV[1:abc:def]")
    assert prodspec.resolve_value(encrypted, bindings={}, secrets={"S": "v"}) == "v"


def test_the_template_names_come_from_its_assignments(repo_copy: RepoPaths) -> None:
    names = prodspec.template_names(repo_copy.env_example.read_text())
    assert {"SUPERSET_CA_CERT", "SUPERSET_CA_CERT_FILE", "REDIS_URL"} <= names
