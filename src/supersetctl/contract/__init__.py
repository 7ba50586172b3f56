"""The contract: the repo layout, its typed files, and ``validate``."""

from supersetctl.contract.loader import load_env_config, load_manifest
from supersetctl.contract.models import EnvConfig, Manifest

__all__ = ["EnvConfig", "Manifest", "load_env_config", "load_manifest"]
