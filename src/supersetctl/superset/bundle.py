"""Superset's native asset bundle: a zip (or folder) of YAML files plus ``metadata.yaml``.

Inside a bundle, paths are ``databases/<name>.yaml``, ``datasets/<db>/<table>.yaml``,
``charts/<name>.yaml`` and ``dashboards/<name>.yaml``, all under one root folder that the
importer strips. Assets reference each other by ``uuid``.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from supersetctl.errors import ConfigError

PREFIXES = {
    "databases/": "database",
    "datasets/": "dataset",
    "charts/": "chart",
    "dashboards/": "dashboard",
}
KIND_FOLDER = {kind: prefix.rstrip("/") for prefix, kind in PREFIXES.items()}
ASSETS_METADATA = {"version": "1.0.0", "type": "assets", "timestamp": "1970-01-01T00:00:00+00:00"}
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


def load_native(text: str, path: str) -> Any:
    """Parse asset YAML the way Superset's importer does (PyYAML safe load, YAML 1.1)."""
    # imported on first use: a run whose files are all in the parse cache needs no YAML parser
    import yaml

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        return yaml.load(text, Loader=loader)  # noqa: S506  (a safe loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise ConfigError(f"invalid YAML: {exc}", path=path, line=line) from None


def dump_native(data: Any) -> str:
    """Asset YAML as Superset writes it (PyYAML safe dump, keys in the given order), so that
    strings such as ``yes`` or ``on`` stay strings for the importer."""
    import yaml

    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    text: str = yaml.dump(data, Dumper=dumper, sort_keys=False, allow_unicode=True, width=4096)
    return text


def kind_of(path: str) -> str | None:
    """The asset kind of a bundle path (``charts/x.yaml`` -> ``chart``), None for others."""
    for prefix, kind in PREFIXES.items():
        if path.startswith(prefix) and path.endswith((".yaml", ".yml")):
            return kind
    return None


def _junk(name: str) -> bool:
    """Files an archiver or a desktop adds (``__MACOSX/``, ``.DS_Store``, ``._x``), never assets."""
    return any(part == "__MACOSX" or part.startswith(".") for part in name.split("/") if part)


def _strip_root(names: list[str]) -> dict[str, str]:
    """Map each bundle file (assets and ``metadata.yaml``) to its path below the bundle's
    single root folder, if there is one."""
    names = [n for n in names if not n.endswith("/") and not _junk(n)]
    roots = {n.split("/", 1)[0] for n in names if "/" in n}
    has_root = len(roots) == 1 and not any(n.startswith(tuple(PREFIXES)) for n in names)
    out = {}
    for name in names:
        rel = name.split("/", 1)[1] if has_root and "/" in name else name
        if kind_of(rel) is not None or rel == "metadata.yaml":
            out[name] = rel
    return out


def _text(data: bytes, path: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError("not UTF-8 text", path=path, hint="asset files are YAML") from None


def read_zip(data: bytes, display: str = "bundle") -> dict[str, str]:
    """``{path below the root: text}`` of every asset file (and ``metadata.yaml``) of a
    zipped bundle."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            mapping = _strip_root(zf.namelist())
            return {rel: _text(zf.read(name), f"{display}:{name}") for name, rel in mapping.items()}
    except zipfile.BadZipFile:
        raise ConfigError("not a zip file", path=display, hint="pass a Superset export") from None


def read_folder(folder: Path) -> dict[str, str]:
    """``{path below the root: text}`` of an unzipped bundle (with or without its root)."""
    names = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    mapping = _strip_root(names)
    return {
        rel: _text((folder / name).read_bytes(), str(folder / name))
        for name, rel in mapping.items()
    }


def read_path(path: Path) -> dict[str, str]:
    """A bundle from a zip file or a folder."""
    if path.is_dir():
        return read_folder(path)
    if not path.exists():
        raise ConfigError("no such file or folder", path=str(path))
    return read_zip(path.read_bytes(), str(path))


def parse(files: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    """Parse every asset file of a bundle (``metadata.yaml`` and other files are skipped)."""
    out: dict[str, dict[str, Any]] = {}
    for path, text in files.items():
        if kind_of(path) is None:
            continue
        data = load_native(text, path)
        if not isinstance(data, dict):
            raise ConfigError("an asset file must be a mapping", path=path)
        out[path] = data
    return out


def write_zip(
    assets: Mapping[str, Mapping[str, Any]], *, root: str = "supersetctl_bundle"
) -> bytes:
    """A deterministic zip of ``{bundle path: asset data}`` plus an assets ``metadata.yaml``."""
    files = {"metadata.yaml": dump_native(ASSETS_METADATA)}
    files.update({path: dump_native(dict(data)) for path, data in assets.items()})
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(files):
            info = zipfile.ZipInfo(f"{root}/{path}", date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, files[path])
    return buf.getvalue()
