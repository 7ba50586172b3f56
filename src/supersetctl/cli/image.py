"""``image resolve`` and ``bump``: the image pin of the artifact contract."""

from __future__ import annotations

import os
from typing import Annotated

import typer

from supersetctl.cli._app import app
from supersetctl.cli._output import emit_json, info, is_json, write
from supersetctl.image.registry import resolve

image_app = typer.Typer(
    name="image",
    help="Container images: resolve a tag to the digest its registry serves.",
    no_args_is_help=True,
)
app.add_typer(image_app)


@image_app.command("resolve")
def resolve_cmd(
    ref: Annotated[
        str,
        typer.Argument(
            help="An image reference: [HOST/]NAME[:TAG][@DIGEST]. No host means Docker Hub.",
            show_default=False,
        ),
    ],
) -> None:
    """Print the digest a registry serves for an image tag.

    Uses the OCI distribution API (HEAD with every manifest media type, GET and sha256 as a
    fallback) and the registry's Bearer token flow. Anonymous by default; for private GHCR
    images set GHCR_USERNAME and GHCR_TOKEN, for other registries
    SUPERSETCTL_REGISTRY_USERNAME and SUPERSETCTL_REGISTRY_PASSWORD. A multi-arch tag
    resolves to the digest of its index. The digest goes to stdout (the full reference to
    stderr), so DIGEST=$(supersetctl image resolve REF) works in scripts. Exit 1 when the
    tag is unknown, access is denied or the registry is unreachable.

    Example:

        supersetctl image resolve ghcr.io/insightpulseai/superset:6.1.0-1
        supersetctl image resolve apache/superset:6.1.0
        supersetctl --format json image resolve apache/superset:6.1.0
    """
    result = resolve(ref, environ=os.environ)
    if is_json():
        emit_json(result.as_dict())
    else:
        kind = "multi-arch index" if result.is_index else "single manifest"
        info(f"{result.reference} ({kind}, {result.media_type})")
        write(result.digest + "\n")
