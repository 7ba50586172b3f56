"""``validate``'s rules for the provisioning files: each file parses, is an asset with a uuid,
and the layout holds no collision (:mod:`.identity`). Findings carry the file, the line and
the fix, like every other rule of ``validate``."""

from __future__ import annotations

from supersetctl.errors import ConfigError
from supersetctl.findings import Finding
from supersetctl.paths import RepoPaths

from .access.files import FIXES as ACCESS_FIXES
from .access.files import RULES as ACCESS_RULES
from .access.files import access_collisions, layout_index, load_access
from .identity import layout_collisions
from .layout import AssetFile, file_assets, fix_for, load_layout, locate

RULES: dict[str, str] = {
    "PV-FILE": "a provisioning file does not parse, is no asset of its folder, or has no uuid",
    "PV-UUID": "two provisioning files hold one uuid",
    "PV-SLUG": "two dashboards hold one slug (Superset would re-key one into the other)",
    "PV-DATASET": "two datasets read one table of one database (Superset refuses the import)",
    "PV-DBNAME": "two databases hold one database_name",
    "PV-REF": "a file refers to a uuid no provisioning file holds (Superset answers HTTP 500)",
    "PV-KIND": "a file refers to an asset of the wrong kind",
    **ACCESS_RULES,
}


def layout_findings(paths: RepoPaths) -> list[Finding]:
    """Every finding about ``infra/superset/provisioning/`` (none when it does not exist)."""
    if not paths.provisioning.is_dir():
        return []
    errors: list[ConfigError] = []
    assets = load_layout(paths.provisioning, paths.root, errors=errors)
    findings = [
        Finding(e.path or "", e.line or 1, 1, "PV-FILE", e.message, e.hint or "") for e in errors
    ]
    texts: dict[str, str] = {}
    for c in layout_collisions(file_assets(assets)):
        if c.file not in texts:
            texts[c.file] = (paths.root / c.file).read_text(encoding="utf-8")
        line = locate(texts[c.file], c.key, c.value) or 1
        findings.append(Finding(c.file, line, 1, c.rule, c.message, fix_for(c.rule)))
    return findings + _access_findings(paths, assets)


def _access_findings(paths: RepoPaths, assets: list[AssetFile]) -> list[Finding]:
    """The access files' rules (roles/, rls/, dashboard_access/); a ``${VAR}`` is checked by
    the contract's variable rule, not here."""
    errors: list[ConfigError] = []
    files = load_access(paths.provisioning, paths.root, errors=errors)
    fix = ACCESS_FIXES["PV-ACCESS-FILE"]
    findings = [
        Finding(e.path or "", e.line or 1, 1, "PV-ACCESS-FILE",
                e.message.removeprefix("PV-ACCESS-FILE "), fix)
        for e in errors
    ]  # fmt: skip
    texts: dict[str, str] = {}
    for c in access_collisions(files, layout_index(assets)):
        if c.file not in texts:
            texts[c.file] = (paths.root / c.file).read_text(encoding="utf-8")
        line = locate(texts[c.file], c.key, c.value) or 1
        findings.append(Finding(c.file, line, 1, c.rule, c.message, ACCESS_FIXES[c.rule]))
    return findings
