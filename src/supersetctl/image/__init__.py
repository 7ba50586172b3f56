"""Images: parse references, resolve tags to digests on OCI registries, and ``bump`` the pin
(``bump``), gated by the candidate's Superset running every chart (``gate``)."""

from supersetctl.image.reference import ImageReference, parse_reference
from supersetctl.image.registry import (
    AccessDenied,
    Credentials,
    DigestMismatch,
    RegistryClient,
    RegistryUnreachable,
    Resolved,
    UnknownManifest,
    credentials_from_env,
    resolve,
)

__all__ = [
    "AccessDenied",
    "Credentials",
    "DigestMismatch",
    "ImageReference",
    "RegistryClient",
    "RegistryUnreachable",
    "Resolved",
    "UnknownManifest",
    "credentials_from_env",
    "parse_reference",
    "resolve",
]
