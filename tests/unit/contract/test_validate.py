"""Every validate rule, proven on a broken variant of the real repo files built at test time."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from supersetctl.contract.validate import RULES, runtime_config_vars, validate_repo
from supersetctl.findings import Finding, Severity
from supersetctl.paths import RepoPaths
from supersetctl.yamlio import roundtrip_dump, roundtrip_load
from tests.support.helpers import REPO_ROOT

DIGEST = "sha256:" + "ab" * 32
OTHER_DIGEST = "sha256:" + "cd" * 32
VPC_ID = "5a4b3c2d-1e0f-4a9b-8c7d-6e5f4a3b2c1d"


def _edit_text(path: Path, old: str, new: str, count: int = 1) -> int:
    """Replace ``old`` in a file; return the 1-based line where the first edit landed."""
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    line = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new, count))
    return line


def _edit_yaml(path: Path, change: Callable[[object], None]) -> None:
    node = roundtrip_load(path.read_text())
    change(node)
    path.write_text(roundtrip_dump(node))


def _line_of(path: Path, pattern: str, nth: int = 0) -> int:
    hits = [
        i for i, line in enumerate(path.read_text().splitlines(), 1) if re.search(pattern, line)
    ]
    return hits[nth]


def _release(repo: RepoPaths, digest: str = DIGEST) -> None:
    """Put the copy in the released state: manifest and every image block pinned."""
    data = json.loads(repo.manifest.read_text())
    data["image"].update(status="released", tag="6.1.0-1", digest=digest)
    repo.manifest.write_text(json.dumps(data, indent=2) + "\n")

    def pin(node: object) -> None:
        assert isinstance(node, dict)
        for kind in ("services", "workers", "jobs"):
            for comp in node.get(kind, []):
                comp["image"]["digest"] = digest

    _edit_yaml(repo.app_spec, pin)


def _only(findings: list[Finding], rule: str) -> list[Finding]:
    return [f for f in findings if f.rule == rule]


def _errors(findings: list[Finding]) -> list[Finding]:
    return [f for f in findings if f.severity is Severity.ERROR]


# ----------------------------------------------------------------------------- the real repo


def test_real_repo_dev_is_clean(repo_copy: RepoPaths) -> None:
    assert _errors(validate_repo(repo_copy, ["dev"])) == []


def test_real_repo_unreleased_image_fails_staging_and_prod_honestly(repo_copy: RepoPaths) -> None:
    # and AP-VPC: staging and prod reach Odoo at private-* hosts, and the id of the VPC the
    # clusters live in is filled in once they exist (docs/first-deploy.md)
    for env in ("staging", "prod"):
        errors = _errors(validate_repo(repo_copy, [env]))
        rules = {f.rule for f in errors}
        assert rules == {"MF-UNRELEASED", "AP-IMAGE-UNPINNED", "AP-VPC"}, errors
    dev = validate_repo(repo_copy, ["dev"])
    assert {f.rule for f in dev} == {"MF-UNRELEASED", "AP-IMAGE-UNPINNED"}
    assert all(f.severity is Severity.WARNING for f in dev)


def test_released_repo_is_clean_everywhere(repo_copy: RepoPaths) -> None:
    _release(repo_copy)
    _edit_text(repo_copy.app_spec, "region: fra\n", "region: fra\nvpc:\n  id: " + VPC_ID + "\n")
    assert _errors(validate_repo(repo_copy)) == []


# ---------------------------------------------------------------------------- syntax, schema


def test_yaml_syntax_error_is_a_finding_with_line(repo_copy: RepoPaths) -> None:
    line = _edit_text(repo_copy.app_spec, "region: fra", "region: [fra")
    found = _only(validate_repo(repo_copy, ["dev"]), "CT-SYNTAX")
    assert [(f.path, f.rule) for f in found] == [("infra/superset/do-app-spec.yaml", "CT-SYNTAX")]
    assert found[0].line >= line


def test_json_syntax_error_is_a_finding_with_line(repo_copy: RepoPaths) -> None:
    line = _edit_text(
        repo_copy.manifest, '"superset_version": "6.1.0",', '"superset_version": 6.1.0.,'
    )
    found = _only(validate_repo(repo_copy, ["dev"]), "CT-SYNTAX")
    assert len(found) == 1
    assert (found[0].path, found[0].line) == ("infra/superset/manifest.json", line)


def test_manifest_unknown_key(repo_copy: RepoPaths) -> None:
    line = _edit_text(
        repo_copy.manifest, '"schema_version": 1,', '"schema_version": 1,\n  "colour": "red",'
    )
    found = _only(validate_repo(repo_copy, ["dev"]), "CT-SCHEMA")
    assert [(f.path, f.line) for f in found] == [("infra/superset/manifest.json", line + 1)]
    assert "unknown key 'colour'" in found[0].message


def test_manifest_wrong_type_and_bad_digest(repo_copy: RepoPaths) -> None:
    _edit_text(repo_copy.manifest, '"schema_version": 1', '"schema_version": "one"')
    line = _edit_text(repo_copy.manifest, "sha256:fb34", "sha256:FB34")
    found = _only(validate_repo(repo_copy, ["dev"]), "CT-SCHEMA")
    assert {f.line for f in found} == {2, line}


def test_manifest_released_without_digest(repo_copy: RepoPaths) -> None:
    data = json.loads(repo_copy.manifest.read_text())
    data["image"].update(status="released", tag="6.1.0-1")
    repo_copy.manifest.write_text(json.dumps(data, indent=2))
    found = _only(validate_repo(repo_copy, ["dev"]), "CT-SCHEMA")
    assert len(found) == 1 and "digest" in found[0].message
    assert found[0].line == _line_of(repo_copy.manifest, '"image"')


def test_manifest_latest_tag_refused(repo_copy: RepoPaths) -> None:
    data = json.loads(repo_copy.manifest.read_text())
    data["image"].update(status="released", tag="latest", digest=DIGEST)
    repo_copy.manifest.write_text(json.dumps(data, indent=2))
    found = _only(validate_repo(repo_copy, ["dev"]), "CT-SCHEMA")
    assert len(found) == 1 and "latest" in found[0].message


def test_config_unknown_key_and_bad_enum(repo_copy: RepoPaths) -> None:
    cfg = repo_copy.env_config("staging")
    line = _edit_text(cfg, "    sslmode: verify-full", "    sslmode: sometimes\n    colour: red")
    found = _only(validate_repo(repo_copy, ["staging"]), "CT-SCHEMA")
    assert sorted((f.path, f.line) for f in found) == [
        ("config/staging/environment.yaml", line),
        ("config/staging/environment.yaml", line + 1),
    ]


def test_config_env_name_must_match_folder(repo_copy: RepoPaths) -> None:
    line = _edit_text(repo_copy.env_config("staging"), "environment: staging", "environment: prod")
    found = _only(validate_repo(repo_copy, ["staging"]), "CFG-ENV-NAME")
    assert [(f.path, f.line) for f in found] == [("config/staging/environment.yaml", line)]


def test_missing_files_are_reported(repo_copy: RepoPaths) -> None:
    repo_copy.env_example.unlink()
    (repo_copy.provisioning / "dashboards" / "README.md").unlink()
    found = _only(validate_repo(repo_copy, ["dev"]), "CT-MISSING")
    assert {f.path for f in found} == {
        "infra/superset/env/.env.superset.example",
        "infra/superset/provisioning/dashboards/README.md",
    }


# ------------------------------------------------------------------------ App Platform schema


@pytest.mark.parametrize(
    ("old", "new", "what"),
    [
        ("region: fra", "region: mars", "region"),
        ("    http_port: 8088", "    http_port: 70000", "http_port"),
        ("name: superset-prod", "name: Superset_Prod", "name"),
        ("      failure_threshold: 3", "      failure_threshold: 3\n      colour: red", "colour"),
        ("    kind: PRE_DEPLOY ", "    kind: BEFORE ", "kind"),
        ("    engine: VALKEY", "    engine: MEMCACHED", "engine"),
    ],
)
def test_spec_schema_errors(repo_copy: RepoPaths, old: str, new: str, what: str) -> None:
    _edit_text(repo_copy.app_spec, old, new)
    found = _only(validate_repo(repo_copy, ["dev"]), "AP-SCHEMA")
    assert len(found) == 1, found
    assert what in found[0].message
    assert found[0].line == _line_of(repo_copy.app_spec, re.escape(new.splitlines()[-1].strip()))


def test_spec_tag_and_digest_both_set(repo_copy: RepoPaths) -> None:
    _release(repo_copy)

    def both(node: object) -> None:
        assert isinstance(node, dict)
        node["services"][0]["image"]["tag"] = "6.1.0-1"

    _edit_yaml(repo_copy.app_spec, both)
    found = _only(validate_repo(repo_copy, ["dev"]), "AP-SCHEMA")
    assert len(found) == 1 and "not both" in found[0].message
    assert found[0].line == _line_of(repo_copy.app_spec, r"^\s+image:")


def test_instance_count_with_autoscaling(repo_copy: RepoPaths) -> None:
    _edit_text(
        repo_copy.app_spec, "    autoscaling:\n", "    instance_count: 2\n    autoscaling:\n"
    )
    found = _only(validate_repo(repo_copy, ["dev"]), "AP-SCHEMA")
    assert len(found) == 1 and "autoscaling" in found[0].message


# ----------------------------------------------------------------------- images (cross-file)


def test_image_tag_instead_of_digest(repo_copy: RepoPaths) -> None:
    _release(repo_copy)

    def tag(node: object) -> None:
        assert isinstance(node, dict)
        img = node["workers"][0]["image"]
        del img["digest"]
        img["tag"] = "latest"

    _edit_yaml(repo_copy.app_spec, tag)
    found = validate_repo(repo_copy, ["dev"])
    assert {f.rule for f in _errors(found)} == {"AP-IMAGE-TAG", "AP-IMAGE-UNPINNED"}
    tagf = _only(found, "AP-IMAGE-TAG")[0]
    assert "latest" in tagf.message and "celery-worker" in tagf.message
    assert tagf.line == _line_of(repo_copy.app_spec, r"tag: latest")


def test_image_digest_differs_from_manifest(repo_copy: RepoPaths) -> None:
    _release(repo_copy)
    _edit_text(repo_copy.app_spec, DIGEST, OTHER_DIGEST, count=1)
    found = _only(validate_repo(repo_copy, ["dev"]), "AP-IMAGE-MISMATCH")
    assert len(found) == 1 and "digest" in found[0].message
    assert found[0].line == _line_of(repo_copy.app_spec, r"^\s+image:", 0)


def test_image_repository_differs_from_manifest(repo_copy: RepoPaths) -> None:
    _release(repo_copy)
    _edit_text(repo_copy.app_spec, "repository: superset", "repository: superset-fork", count=1)
    found = _only(validate_repo(repo_copy, ["dev"]), "AP-IMAGE-MISMATCH")
    assert len(found) == 1 and "repository superset-fork" in found[0].message


def test_released_manifest_with_unpinned_spec_is_an_error_even_in_dev(repo_copy: RepoPaths) -> None:
    data = json.loads(repo_copy.manifest.read_text())
    data["image"].update(status="released", tag="6.1.0-1", digest=DIGEST)
    repo_copy.manifest.write_text(json.dumps(data, indent=2))
    found = _errors(validate_repo(repo_copy, ["dev"]))
    assert {f.rule for f in found} == {"AP-IMAGE-UNPINNED"}
    assert len(found) == 4  # web, celery-worker, celery-beat, migrate


def test_manifest_base_version_and_dockerfile(repo_copy: RepoPaths) -> None:
    line = _edit_text(
        repo_copy.manifest,
        '"reference": "apache/superset:6.1.0"',
        '"reference": "apache/superset:6.0.0"',
    )
    found = _only(validate_repo(repo_copy, ["dev"]), "MF-BASE-VERSION")
    assert [(f.path, f.line) for f in found] == [("infra/superset/manifest.json", line)]


def test_dockerfile_must_use_manifest_base_digest(repo_copy: RepoPaths) -> None:
    dockerfile = repo_copy.image / "Dockerfile"
    if not dockerfile.exists():
        dockerfile.parent.mkdir(parents=True, exist_ok=True)
        dockerfile.write_text("FROM apache/superset:6.1.0@" + "sha256:" + "fb34" * 16 + "\n")
    text = dockerfile.read_text()
    digest = json.loads(repo_copy.manifest.read_text())["base_image"]["digest"]
    dockerfile.write_text(text.replace(digest, OTHER_DIGEST))
    found = _only(validate_repo(repo_copy, ["dev"]), "MF-DOCKERFILE-BASE")
    assert len(found) == 1 and found[0].path == "image/Dockerfile"
    assert found[0].line == _line_of(dockerfile, r"^\s*FROM\s")


# -------------------------------------------------------------------------- runtime shape


def test_routes_and_ingress(repo_copy: RepoPaths) -> None:
    _edit_text(
        repo_copy.app_spec,
        "    http_port: 8088\n",
        "    http_port: 8088\n    routes:\n      - path: /\n",
    )
    found = _only(validate_repo(repo_copy, ["dev"]), "AP-ROUTES-INGRESS")
    assert len(found) == 1 and found[0].line == _line_of(repo_copy.app_spec, r"^\s+routes:")


def test_health_path_and_port(repo_copy: RepoPaths) -> None:
    hl = _edit_text(repo_copy.app_spec, "http_path: /health", "http_path: /healthz")
    pl = _edit_text(repo_copy.app_spec, "    http_port: 8088", "    http_port: 8080")
    found = validate_repo(repo_copy, ["dev"])
    assert [(f.line) for f in _only(found, "AP-HEALTH")] == [hl]
    assert [(f.line) for f in _only(found, "AP-HTTP-PORT")] == [pl]


def test_migration_job_required(repo_copy: RepoPaths) -> None:
    _edit_text(repo_copy.app_spec, "kind: PRE_DEPLOY", "kind: POST_DEPLOY")
    found = _only(validate_repo(repo_copy, ["dev"]), "AP-MIGRATION")
    assert len(found) == 1 and found[0].line == _line_of(repo_copy.app_spec, r"^jobs:")


def test_prod_must_scale_out(repo_copy: RepoPaths) -> None:
    _edit_text(repo_copy.app_spec, "      min_instance_count: 2", "      min_instance_count: 1")
    _edit_text(
        repo_copy.app_spec,
        "    instance_count: 1                  # exactly",
        "    instance_count: 2                  # exactly",
    )
    found = _only(validate_repo(repo_copy, ["prod"]), "AP-SCALE")
    assert sorted(f.line for f in found) == [
        _line_of(repo_copy.app_spec, r"^  - name: web"),
        _line_of(repo_copy.app_spec, r"^  - name: celery-beat"),
    ]
    assert _only(validate_repo(repo_copy, ["dev"]), "AP-SCALE") == []


def test_prod_beat_must_not_autoscale(repo_copy: RepoPaths) -> None:
    _edit_text(
        repo_copy.app_spec,
        "    instance_count: 1                  # exactly",
        "    autoscaling: {min_instance_count: 1, max_instance_count: 2}  # exactly",
    )
    found = _only(validate_repo(repo_copy, ["prod"]), "AP-SCALE")
    assert [f.line for f in found] == [_line_of(repo_copy.app_spec, r"^  - name: celery-beat")]


def test_prod_components_need_redis_url(repo_copy: RepoPaths) -> None:
    _edit_text(repo_copy.app_spec, "  - key: REDIS_URL\n", "  - key: CACHE_URL\n")
    found = _only(validate_repo(repo_copy, ["prod"]), "AP-SCALE")
    assert len(found) == 3 and all("REDIS_URL" in f.message for f in found)


def test_prod_needs_redis(repo_copy: RepoPaths) -> None:
    _edit_text(repo_copy.app_spec, "    engine: VALKEY", "    engine: PG")
    found = _only(validate_repo(repo_copy, ["prod"]), "AP-SCALE")
    assert len(found) == 1 and "Redis" in found[0].message


# --------------------------------------------------------------------------------- secrets


def test_secret_env_with_plaintext_value(repo_copy: RepoPaths) -> None:
    fake = "x7" + "Qz" * 20
    line = _edit_text(
        repo_copy.app_spec,
        "  - key: SUPERSET_SECRET_KEY\n    type: SECRET\n",
        f"  - key: SUPERSET_SECRET_KEY\n    type: SECRET\n    value: {fake}\n",
    )
    findings = validate_repo(repo_copy, ["dev"])
    found = _only(findings, "AP-SECRET-PLAINTEXT")
    assert [(f.path, f.line) for f in found] == [("infra/superset/do-app-spec.yaml", line + 2)]
    assert all(fake not in f.format() for f in findings)


def test_secret_env_encrypted_value_is_fine(repo_copy: RepoPaths) -> None:
    _edit_text(
        repo_copy.app_spec,
        "  - key: SUPERSET_SECRET_KEY\n    type: SECRET\n",
        "  - key: SUPERSET_SECRET_KEY\n    type: SECRET\n    value: EV[1:abc:def]\n",
    )
    assert _only(validate_repo(repo_copy, ["dev"]), "AP-SECRET-PLAINTEXT") == []


def test_secret_env_must_be_declared_for_prod(repo_copy: RepoPaths) -> None:
    line = _edit_text(repo_copy.app_spec, "  - key: SUPERSET_SECRET_KEY", "  - key: MAPBOX_API_KEY")
    found = _only(validate_repo(repo_copy, ["dev"]), "AP-SECRET-UNDECLARED")
    assert [(f.line, "MAPBOX_API_KEY" in f.message) for f in found] == [(line, True)]


def test_plaintext_credential_in_general_env_is_found(repo_copy: RepoPaths) -> None:
    password = "pw-" + "k9" * 8
    line = _edit_text(
        repo_copy.app_spec,
        "    value: ${metadata.DATABASE_URL}",
        f"    value: postgresql://superset:{password}@db.internal:25060/superset",
    )
    findings = validate_repo(repo_copy, ["dev"])
    found = [f for f in findings if f.rule.startswith("SEC-")]
    assert [(f.path, f.line) for f in found] == [("infra/superset/do-app-spec.yaml", line)]
    assert all(password not in f.format() for f in findings)


def test_plaintext_password_in_config_vars(repo_copy: RepoPaths) -> None:
    password = "Pw!" + "r4" * 8
    cfg = repo_copy.env_config("dev")
    line = _edit_text(
        cfg, "vars:\n", f"vars:\n  ODOO_URL: postgresql://odoo:{password}@127.0.0.1/odoo_dev\n"
    )
    found = [f for f in validate_repo(repo_copy, ["dev"]) if f.rule.startswith("SEC-")]
    assert [(f.path, f.line) for f in found] == [("config/dev/environment.yaml", line + 1)]


def test_app_name_must_match_prod_config(repo_copy: RepoPaths) -> None:
    line = _edit_text(repo_copy.app_spec, "name: superset-prod", "name: superset-live")
    found = _only(validate_repo(repo_copy, ["dev"]), "AP-APP-NAME")
    assert [f.line for f in found] == [line]


# ------------------------------------------------------------------------------ environments


def test_staging_and_prod_require_tls(repo_copy: RepoPaths) -> None:
    for env, now in (("staging", "sslmode: verify-full"), ("prod", "sslmode: require")):
        line = _edit_text(repo_copy.env_config(env), now, "sslmode: prefer")
        found = _only(validate_repo(repo_copy, [env]), "CFG-SSLMODE")
        assert [(f.path, f.line) for f in found] == [(f"config/{env}/environment.yaml", line)]


TLS_DATA = Path(__file__).parent / "testdata" / "tls-verify"


def test_tls_verify_passes_a_config_that_verifies_with_its_ca(repo_copy: RepoPaths) -> None:
    shutil.copy(TLS_DATA / "pass.yaml", repo_copy.env_config("staging"))
    assert _only(validate_repo(repo_copy, ["staging"]), "CFG-TLS-VERIFY") == []
    # the committed staging config is such a config
    assert _only(validate_repo(RepoPaths(REPO_ROOT), ["staging"]), "CFG-TLS-VERIFY") == []


def test_tls_verify_names_each_unverified_connection(repo_copy: RepoPaths) -> None:
    shutil.copy(TLS_DATA / "fail.yaml", repo_copy.env_config("staging"))
    text = repo_copy.env_config("staging").read_text().splitlines()
    want = [i for i, ln in enumerate(text, 1) if "# CFG-TLS-VERIFY" in ln and ln[0] != "#"]
    found = _only(validate_repo(repo_copy, ["staging"]), "CFG-TLS-VERIFY")
    assert [(f.path, f.line) for f in found] == [
        ("config/staging/environment.yaml", line) for line in want
    ]
    assert "database odoo uses sslmode=require" in found[0].message
    assert "verify-full" in found[0].fix
    assert "sslmode=verify-full" in found[1].fix


def test_tls_verify_needs_the_ca_in_the_spec(repo_copy: RepoPaths) -> None:
    _edit_text(repo_copy.app_spec, "  - key: SUPERSET_CA_CERT\n", "  - key: OTHER_VARIABLE\n")
    found = _only(validate_repo(repo_copy, ["staging"]), "CFG-TLS-VERIFY")
    assert len(found) == 1 and "does not give SUPERSET_CA_CERT" in found[0].message


def test_tls_verify_leaves_dev_and_a_config_without_tls_alone(repo_copy: RepoPaths) -> None:
    assert _only(validate_repo(repo_copy, ["dev", "prod"]), "CFG-TLS-VERIFY") == []


def test_dev_may_skip_tls(repo_copy: RepoPaths) -> None:
    assert _only(validate_repo(repo_copy, ["dev"]), "CFG-SSLMODE") == []


def test_prod_uses_read_only_role(repo_copy: RepoPaths) -> None:
    cfg = repo_copy.env_config("prod")
    line = _edit_text(cfg, "    user: superset_ro", "    user: odoo")
    sline = _edit_text(cfg, "strict_read_only: true", "strict_read_only: false")
    found = _only(validate_repo(repo_copy, ["prod"]), "CFG-READ-ONLY")
    assert sorted(f.line for f in found) == sorted([line, sline])


def test_https_seed_and_masking(repo_copy: RepoPaths) -> None:
    cfg = repo_copy.env_config("staging")
    ul = _edit_text(cfg, "url: https://", "url: http://")
    sl = _edit_text(cfg, "seed_data: false", "seed_data: true")
    ml = _edit_text(cfg, "masking: true", "masking: false")
    found = validate_repo(repo_copy, ["staging"])
    assert [f.line for f in _only(found, "CFG-HTTPS")] == [ul]
    assert [f.line for f in _only(found, "CFG-SEED")] == [sl]
    masking = _only(found, "CFG-MASKING")
    assert [f.line for f in masking] == [ml] and masking[0].severity is Severity.WARNING


def test_each_environment_has_its_own_clusters(repo_copy: RepoPaths) -> None:
    cfg = repo_copy.env_config("staging")
    line = _edit_text(cfg, "metadata: superset-metadata-staging", "metadata: superset-metadata")
    found = _only(validate_repo(repo_copy, ["staging"]), "CFG-CLUSTERS")
    assert [(f.path, f.line) for f in found] == [("config/staging/environment.yaml", line)]
    assert "belongs to prod" in found[0].message


def test_missing_cluster_mapping_and_prod_mismatch(repo_copy: RepoPaths) -> None:
    _edit_text(repo_copy.env_config("dev"), "    cache: superset-cache-dev\n", "")
    pl = _edit_text(
        repo_copy.env_config("prod"), "metadata: superset-metadata\n", "metadata: other\n"
    )
    found = _only(validate_repo(repo_copy, ["dev", "prod"]), "CFG-CLUSTERS")
    assert sorted((f.path, f.line) for f in found) == [
        ("config/dev/environment.yaml", _line_of(repo_copy.env_config("dev"), r"^superset:")),
        ("config/prod/environment.yaml", pl),
    ]


# ------------------------------------------------------------------- provisioning variables


def test_undeclared_provisioning_variable(repo_copy: RepoPaths) -> None:
    f = repo_copy.provisioning / "databases" / "extra.yaml"
    uri = (
        "sqlalchemy_uri: postgresql://${ODOO_DB_USER}@${ODOO_DB_HOST}:5432/${NOT_DECLARED_ANYWHERE}"
    )
    f.write_text(
        f"database_name: extra\n{uri}\nextra: '{{{{ not a var }}}}'\nliteral: $${{ESCAPED}}\n"
    )
    col = uri.index("${NOT") + 1
    found = _only(validate_repo(repo_copy, ["dev", "prod"]), "PV-UNDECLARED-VAR")
    assert [(x.path, x.line, x.col) for x in found] == [
        ("infra/superset/provisioning/databases/extra.yaml", 2, col),
        ("infra/superset/provisioning/databases/extra.yaml", 2, col),
    ]
    assert {x.message.split(" for ")[1] for x in found} == {"dev", "prod"}


def test_declared_secret_and_var_are_accepted(repo_copy: RepoPaths) -> None:
    f = repo_copy.provisioning / "databases" / "extra.yaml"
    f.write_text("password: ${ODOO_RO_PASSWORD}\nhost: ${ODOO_DB_HOST}\nurl: ${SUPERSET_URL}\n")
    assert _only(validate_repo(repo_copy), "PV-UNDECLARED-VAR") == []


# ----------------------------------------------------------------------- env template


def test_runtime_config_var_missing_from_template(repo_copy: RepoPaths) -> None:
    config = repo_copy.superset_config
    config.parent.mkdir(parents=True, exist_ok=True)
    original = config.read_text() if config.exists() else ""
    config.write_text(original + "\nimport os\nFANCY = os.environ.get('SUPERSET_FANCY_FLAG', '')\n")
    line = len(config.read_text().splitlines())
    found = _only(validate_repo(repo_copy, ["dev"]), "ENV-TEMPLATE-MISSING")
    assert [(f.path, f.line) for f in found] == [("image/superset_config.py", line)]


def test_env_template_with_real_value(repo_copy: RepoPaths) -> None:
    text = repo_copy.env_example.read_text()
    value = "Zt" + "8q" * 12
    repo_copy.env_example.write_text(text + f"\nSMTP_PASSWORD={value}\n")
    line = len(repo_copy.env_example.read_text().splitlines())
    findings = validate_repo(repo_copy, ["dev"])
    found = _only(findings, "ENV-TEMPLATE-VALUE")
    assert [(f.path, f.line) for f in found] == [("infra/superset/env/.env.superset.example", line)]
    assert all(value not in f.format() for f in findings)


def test_runtime_config_vars_reads_every_form() -> None:
    source = (
        "import os\nfrom os import environ, getenv\n"
        "A = os.environ['ALPHA']\nB = os.environ.get('BETA')\nC = os.getenv('GAMMA', 'x')\n"
        "D = environ.get('DELTA')\nE = getenv('EPSILON')\n"
        "def _env(name, default=None):\n    return os.environ.get(name, default)\n"
        "F = _env('ZETA')\nG = something('lower')\n"
    )
    assert set(runtime_config_vars(source)) == {
        "ALPHA",
        "BETA",
        "GAMMA",
        "DELTA",
        "EPSILON",
        "ZETA",
    }


def test_every_rule_has_a_test() -> None:
    source = Path(__file__).read_text()
    untested = [r for r in RULES if r != "SEC-*" and f'"{r}"' not in source]
    assert untested == []


SUPABASE = """\
  supabase:
    kind: supabase
    description: Supabase control plane
    host: aws-0-eu-central-1.pooler.supabase.com
    port: 5432
    database: postgres
    user: {user}
    project_ref: {ref}
    sslmode: verify-full
    password_env: SUPABASE_RO_PASSWORD
"""


def _declare_supabase(
    repo: RepoPaths, env: str, *, user: str = "superset_ro", ref: str = "a" * 20
) -> Path:
    cfg = repo.env_config(env)
    _edit_text(cfg, "\nflags:\n", "\n" + SUPABASE.format(user=user, ref=ref) + "flags:\n")
    text = re.sub(r"    - databases/supabase\.yaml.*\n", "", cfg.read_text())
    cfg.write_text(re.sub(r"  exclude:( *#.*)?\n(?!    - )", "  exclude: []\n", text))
    return cfg


@pytest.mark.parametrize("env", ["dev", "staging", "prod"])
def test_supabase_declared_passes_and_resolves(repo_copy: RepoPaths, env: str) -> None:
    before = {(f.rule, f.path, f.line) for f in validate_repo(repo_copy, [env])}
    _declare_supabase(repo_copy, env)
    after = {(f.rule, f.path, f.line) for f in validate_repo(repo_copy, [env])}
    assert {r for r, _p, _l in after - before} <= {"CFG-MASKING"}, after - before
    from supersetctl.contract.loader import load_env_config

    values = load_env_config(repo_copy, env).variables()
    assert values["SUPABASE_DB_USER"] == "superset_ro." + "a" * 20
    assert values["SUPABASE_DB_ROLE"] == "superset_ro"


def test_supabase_file_undeclared_without_exclude(repo_copy: RepoPaths) -> None:
    cfg = repo_copy.env_config("dev")
    _edit_text(cfg, "    - databases/supabase.yaml", "    - dashboards/no-such-folder/*.yaml")
    found = validate_repo(repo_copy, ["dev"])
    undeclared = {f.message.split(" ")[0] for f in _only(found, "PV-UNDECLARED-VAR")}
    assert "${SUPABASE_DB_HOST}" in undeclared
    assert [f.line for f in _only(found, "CFG-EXCLUDE")] == [_line_of(cfg, "no-such-folder")]


@pytest.mark.parametrize("user", ["postgres", "service_role", "supabase_admin", "doadmin"])
def test_admin_roles_refused_in_every_env(repo_copy: RepoPaths, user: str) -> None:
    cfg = _declare_supabase(repo_copy, "dev", user=user)
    found = _only(validate_repo(repo_copy, ["dev"]), "CFG-ADMIN-ROLE")
    assert [(f.path, f.line) for f in found] == [
        ("config/dev/environment.yaml", _line_of(cfg, f"user: {user}"))
    ]
    assert "read-only" in found[0].fix


def test_supabase_pooler_needs_project_ref(repo_copy: RepoPaths) -> None:
    cfg = _declare_supabase(repo_copy, "staging")
    _edit_text(cfg, "    project_ref: " + "a" * 20 + "\n", "")
    _edit_text(cfg, "    kind: supabase\n", "")
    found = _only(validate_repo(repo_copy, ["staging"]), "CFG-SUPABASE")
    assert [f.line for f in found] == [_line_of(cfg, "pooler.supabase.com")]
    assert "project_ref" in found[0].fix


def test_project_ref_only_for_supabase(repo_copy: RepoPaths) -> None:
    cfg = _declare_supabase(repo_copy, "dev")
    _edit_text(cfg, "    kind: supabase\n", "    kind: postgres\n")
    found = _only(validate_repo(repo_copy, ["dev"]), "CT-SCHEMA")
    assert found and "project_ref is for kind: supabase only" in found[0].message


# ---------------------------------------------------------------- vpc and registry credentials

TESTDATA = Path(__file__).parent / "testdata"
DOCS = Path(__file__).parents[3] / "docs" / "validate.md"


def _fragment(name: str) -> dict[str, object]:
    data = roundtrip_load((TESTDATA / name).read_text())
    assert isinstance(data, dict)
    return dict(data)


def _with_image_fragment(repo: RepoPaths, name: str) -> int:
    """Put the fragment's image block on services[web]; return the credentials' line."""
    image = _fragment(name)["image"]

    def change(node: object) -> None:
        assert isinstance(node, dict)
        node["services"][0]["image"] = image

    _edit_yaml(repo.app_spec, change)
    return _line_of(repo.app_spec, "registry_credentials")


def test_ap_vpc_a_private_host_needs_the_app_in_a_vpc(repo_copy: RepoPaths) -> None:
    host = _fragment("ap-vpc-fail.yaml")["databases"]["odoo"]["host"]  # type: ignore[index]
    assert host in repo_copy.env_config("prod").read_text()
    (found,) = _only(validate_repo(repo_copy, ["prod"]), "AP-VPC")
    assert found.path == "config/prod/environment.yaml"
    assert found.line == _line_of(repo_copy.env_config("prod"), "host: private-")
    assert "declares no vpc" in found.message and "private_network_uuid" in found.fix
    assert _only(validate_repo(repo_copy, ["dev"]), "AP-VPC") == []  # dev: a local host
    vpc = _fragment("ap-vpc-pass.yaml")["vpc"]
    _edit_yaml(repo_copy.app_spec, lambda node: node.update(vpc=vpc))  # type: ignore[attr-defined]
    findings = validate_repo(repo_copy, ["prod"])
    assert _only(findings, "AP-VPC") == [] and _only(findings, "AP-SCHEMA") == []


def test_ap_schema_vpc_id_must_be_a_uuid(repo_copy: RepoPaths) -> None:
    _edit_yaml(repo_copy.app_spec, lambda node: node.update(vpc={"id": "my-vpc"}))  # type: ignore[attr-defined]
    (found,) = _only(validate_repo(repo_copy, ["dev"]), "AP-SCHEMA")
    assert "vpc" in found.message


def test_ap_registry_credentials_plaintext_is_refused(repo_copy: RepoPaths) -> None:
    line = _with_image_fragment(repo_copy, "ap-registry-credentials-fail.yaml")
    (found,) = _only(validate_repo(repo_copy, ["dev"]), "AP-REGISTRY-CREDENTIALS")
    assert (found.path, found.line) == ("infra/superset/do-app-spec.yaml", line)
    assert "plaintext" in found.message and "${GHCR_CREDENTIALS}" in found.fix


def test_ap_registry_credentials_placeholder_or_encrypted_pass(repo_copy: RepoPaths) -> None:
    line = _with_image_fragment(repo_copy, "ap-registry-credentials-pass.yaml")
    findings = validate_repo(repo_copy, ["prod"])
    assert _only(findings, "AP-REGISTRY-CREDENTIALS") == []
    (undeclared,) = _only(findings, "AP-SECRET-UNDECLARED")  # until config/prod names it
    assert undeclared.line == line and "GHCR_CREDENTIALS" in undeclared.message
    _edit_text(
        repo_copy.env_config("prod"),
        "secrets:\n",
        "secrets:\n  - name: GHCR_CREDENTIALS\n    description: GHCR pull credentials\n",
    )
    assert _only(validate_repo(repo_copy, ["prod"]), "AP-SECRET-UNDECLARED") == []
    _edit_text(repo_copy.app_spec, "${GHCR_CREDENTIALS}", "EV[1:abcd:efgh]")
    assert _only(validate_repo(repo_copy, ["prod"]), "AP-REGISTRY-CREDENTIALS") == []


def test_ap_registry_credentials_on_docr_is_refused(repo_copy: RepoPaths) -> None:
    _with_image_fragment(repo_copy, "ap-registry-credentials-pass.yaml")
    _edit_text(repo_copy.app_spec, "registry_type: GHCR", "registry_type: DOCR")
    found = _only(validate_repo(repo_copy, ["dev"]), "AP-REGISTRY-CREDENTIALS")
    assert found and "DOCR" in found[0].message


@pytest.mark.parametrize("name", sorted(p.name for p in TESTDATA.glob("ap-*.yaml")))
def test_each_rule_example_is_shown_in_the_docs(name: str) -> None:
    assert (TESTDATA / name).read_text().strip() in DOCS.read_text()


# ------------------------------------------------------------------------ embedded dashboards
# (docs/embedding.md#validate-rules shows each failing and passing example)


def _append_config(repo: RepoPaths, text: str) -> int:
    config = repo.superset_config
    before = config.read_text()
    config.write_text(before + "\n" + text + "\n")
    return before.count("\n") + 2


@pytest.mark.parametrize(
    "line",
    [
        "GUEST_TOKEN_JWT_SECRET = SECRET_KEY",
        'GUEST_TOKEN_JWT_SECRET = os.environ["SUPERSET_SECRET_KEY"]',
        'GUEST_TOKEN_JWT_SECRET = "test-guest-secret-change-me"',
    ],
)
def test_guest_secret_equal_to_the_flask_key_fails(repo_copy: RepoPaths, line: str) -> None:
    at = _append_config(repo_copy, line)
    found = _only(validate_repo(repo_copy, ["dev"]), "CFG-GUEST-SECRET")
    assert [(f.path, f.line) for f in found] == [("image/superset_config.py", at)]


def test_guest_secret_from_its_own_variable_passes(repo_copy: RepoPaths) -> None:
    _append_config(repo_copy, 'GUEST_TOKEN_JWT_SECRET = os.environ["SUPERSET_GUEST_TOKEN_SECRET"]')
    assert _only(validate_repo(repo_copy, ["dev"]), "CFG-GUEST-SECRET") == []


def _spec_env(repo: RepoPaths, *pairs: tuple[str, str]) -> None:
    def add(node: object) -> None:
        assert isinstance(node, dict)
        web = node["services"][0]
        web.setdefault("envs", [])
        for key, value in pairs:
            web["envs"].append({"key": key, "value": value, "scope": "RUN_TIME", "type": "SECRET"})

    _edit_yaml(repo.app_spec, add)


def test_spec_guest_secret_bound_to_the_flask_key_fails(repo_copy: RepoPaths) -> None:
    _spec_env(
        repo_copy,
        ("SUPERSET_GUEST_TOKEN_SECRET", "${SUPERSET_SECRET_KEY}"),
        ("SUPERSET_EMBED_ALLOWED_ORIGINS", "https://erp.example.com"),
    )
    found = _only(validate_repo(repo_copy, ["prod"]), "CFG-GUEST-SECRET")
    assert len(found) == 1 and found[0].path == "infra/superset/do-app-spec.yaml"
    assert "services[web]" in found[0].message


def test_embedding_without_allowed_origins_fails_and_with_them_passes(
    repo_copy: RepoPaths,
) -> None:
    _spec_env(repo_copy, ("SUPERSET_GUEST_TOKEN_SECRET", "EV[1:abc:def]"))
    found = _only(validate_repo(repo_copy, ["prod"]), "CFG-EMBED-ORIGINS")
    assert len(found) == 1 and "SUPERSET_EMBED_ALLOWED_ORIGINS" in found[0].message
    _spec_env(repo_copy, ("SUPERSET_EMBED_ALLOWED_ORIGINS", "https://erp.example.com"))
    assert _only(validate_repo(repo_copy, ["prod"]), "CFG-EMBED-ORIGINS") == []


@pytest.mark.parametrize(
    "line",
    [
        "WTF_CSRF_ENABLED = False",
        'WTF_CSRF_EXEMPT_LIST = ["superset.views.core.explore", "superset.views.core.log"]',
        'WTF_CSRF_EXEMPT_LIST.append("superset.explore.views.ExploreView")',
    ],
)
def test_csrf_off_or_explore_exempted_fails(repo_copy: RepoPaths, line: str) -> None:
    at = _append_config(repo_copy, line)
    found = _only(validate_repo(repo_copy, ["dev"]), "CFG-CSRF")
    assert [(f.path, f.line) for f in found] == [("image/superset_config.py", at)]


def test_superset_default_csrf_exemptions_pass(repo_copy: RepoPaths) -> None:
    _append_config(
        repo_copy,
        'WTF_CSRF_EXEMPT_LIST = ["superset.views.core.explore_json", "superset.views.core.log"]',
    )
    assert _only(validate_repo(repo_copy, ["dev"]), "CFG-CSRF") == []


def test_embed_file_breaking_its_schema_fails_with_the_line(repo_copy: RepoPaths) -> None:
    embed = repo_copy.config_dir("dev") / "embed.yaml"
    line = _edit_text(embed, "clause: company_id = {company_id}", "clause: '1 = 1'")
    found = _only(validate_repo(repo_copy, ["dev"]), "EMBED-CONFIG")
    assert [(f.path, f.line) for f in found] == [("config/dev/embed.yaml", line)]
    assert "column = {company_id}" in found[0].message


def test_an_allowlisted_dashboard_git_does_not_embed_fails_with_the_line(
    repo_copy: RepoPaths,
) -> None:
    embed = repo_copy.config_dir("dev") / "embed.yaml"
    assert not _only(validate_repo(repo_copy, ["dev"]), "EMBED-NOT-EMBEDDABLE")  # as shipped
    text = embed.read_text()
    more = "    rls: sales\n  - dashboard: crm-pipeline\n    rls: sales\n"
    text = text.replace("    rls: sales\n", more)
    embed.write_text(text)
    line = text.splitlines().index("  - dashboard: crm-pipeline") + 1
    found = _only(validate_repo(repo_copy, ["dev"]), "EMBED-NOT-EMBEDDABLE")
    assert [(f.path, f.line) for f in found] == [("config/dev/embed.yaml", line)]
    assert "crm-pipeline" in found[0].message and "embedded: false" in found[0].message
    # made embeddable in git: it passes; left out by the environment: it fails again
    access = repo_copy.provisioning / "dashboard_access" / "crm-pipeline.yaml"
    embeddable = "embedded:\n  allowed_domains: [http://127.0.0.1:8069]"
    access.write_text(access.read_text().replace("embedded: false", embeddable))
    assert not _only(validate_repo(repo_copy, ["dev"]), "EMBED-NOT-EMBEDDABLE")
    config = repo_copy.env_config("dev")
    left_out = "    - dashboard_access/crm-pipeline.yaml\n    - databases/supabase.yaml"
    config.write_text(config.read_text().replace("    - databases/supabase.yaml", left_out))
    found = _only(validate_repo(repo_copy, ["dev"]), "EMBED-NOT-EMBEDDABLE")
    assert "provisioning.exclude" in found[0].message
