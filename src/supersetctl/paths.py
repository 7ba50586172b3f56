"""Where things live in a supersetctl repo (the contract's SSOT locations)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from supersetctl.errors import ConfigError

ENVIRONMENTS: tuple[str, ...] = ("dev", "staging", "prod")


@dataclass(frozen=True)
class RepoPaths:
    root: Path

    @property
    def infra(self) -> Path:
        return self.root / "infra" / "superset"

    @property
    def manifest(self) -> Path:
        return self.infra / "manifest.json"

    @property
    def app_spec(self) -> Path:
        return self.infra / "do-app-spec.yaml"

    @property
    def env_example(self) -> Path:
        return self.infra / "env" / ".env.superset.example"

    @property
    def provisioning(self) -> Path:
        return self.infra / "provisioning"

    @property
    def schemas(self) -> Path:
        return self.infra / "schemas"

    @property
    def analytics(self) -> Path:
        return self.infra / "analytics"

    @property
    def image(self) -> Path:
        return self.root / "image"

    @property
    def superset_config(self) -> Path:
        return self.image / "superset_config.py"

    @property
    def workflows(self) -> Path:
        return self.root / ".github" / "workflows"

    @property
    def local(self) -> Path:
        return self.root / ".local"

    def config_dir(self, env: str) -> Path:
        return self.root / "config" / env

    def env_config(self, env: str) -> Path:
        return self.config_dir(env) / "environment.yaml"

    def rel(self, path: Path) -> str:
        """``path`` relative to the repo root, with forward slashes, for messages."""
        try:
            return path.resolve().relative_to(self.root.resolve()).as_posix()
        except ValueError:
            return str(path)


def find_root(start: Path | None = None) -> Path:
    """The nearest folder at or above ``start`` holding ``infra/superset`` or ``config``."""
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / "infra" / "superset").is_dir() or (
            (candidate / "config").is_dir() and (candidate / ".git").exists()
        ):
            return candidate
    raise ConfigError(
        f"no supersetctl repo at or above {here}",
        hint="run inside the repo, or pass --repo PATH",
    )


def repo(start: Path | None = None) -> RepoPaths:
    return RepoPaths(find_root(start))
