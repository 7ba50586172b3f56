"""The artifact loop's local costs: resolving a tag, and planning a bump.

Method: a real Debian docker-registry on 127.0.0.1 (a scratch dir, a free port), fed by skopeo
with a one-layer image and a two-arch index built offline. `supersetctl image resolve` (a new
client per call: TLS context setup, one connection, HEAD; and with one client reused) is
compared with what people script today: `skopeo inspect --raw` piped into sha256.
`bump --dry-run` is timed on a scratch copy of the repo with the registry answer stubbed, so
it measures the file work and the two validate runs.
Run: .venv/bin/python bench/artifact.py
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._common import machine, summary, timeit, write_section  # noqa: E402
from tests.support.oci import OCILayout  # noqa: E402
from tests.support.registry import LocalRegistry, run_registry  # noqa: E402

from supersetctl.image import RegistryClient  # noqa: E402
from supersetctl.image.bump import BumpRequest, bump  # noqa: E402
from supersetctl.image.reference import ImageReference  # noqa: E402
from supersetctl.image.registry import Resolved  # noqa: E402
from supersetctl.paths import RepoPaths  # noqa: E402

REPEAT = 30


def ms(samples: list[float]) -> str:
    s = summary(samples)
    return f"{s['median'] * 1000:.1f} ms (p95 {s['p95'] * 1000:.1f} ms)"


def main() -> int:
    rows: list[tuple[str, str]] = []
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        with run_registry(tmp / "registry") as host:
            reg = LocalRegistry(host)
            layout = OCILayout(tmp / "layout")
            amd = layout.image("amd64\n")
            arm = layout.image("arm64\n", arch="arm64")
            index = layout.index([(amd, "amd64"), (arm, "arm64")])
            reg.push(layout.tag(amd, "single"), "bench/superset:1.0.0")
            reg.push(layout.tag(index, "multi"), "bench/superset:1.1.0", all_images=True)
            for tag, label in (("1.0.0", "single-arch manifest"), ("1.1.0", "two-arch index")):
                ref = f"{host}/bench/superset:{tag}"

                def ours(ref: str = ref) -> None:
                    with RegistryClient() as client:
                        client.resolve(ref)

                def skopeo(ref: str = ref) -> None:
                    raw = subprocess.run(
                        ["skopeo", "inspect", "--raw", "--tls-verify=false", f"docker://{ref}"],
                        check=True,
                        capture_output=True,
                    ).stdout
                    hashlib.sha256(raw).hexdigest()

                rows.append((f"image resolve, {label}", ms(timeit(ours, repeat=REPEAT))))
                with RegistryClient() as warm:
                    rows.append(
                        (
                            f"image resolve, {label}, reused client",
                            ms(timeit(lambda r=ref, c=warm: c.resolve(r), repeat=REPEAT)),
                        )
                    )
                rows.append(
                    (f"skopeo inspect --raw + sha256, {label}", ms(timeit(skopeo, repeat=REPEAT)))
                )

        repo = tmp / "repo"
        for name in ("infra", "config", "image", ".github"):
            if (ROOT / name).is_dir():
                shutil.copytree(ROOT / name, repo / name)
        digest = "sha256:" + "1" * 64

        def resolver(ref: ImageReference) -> Resolved:
            return Resolved(ref.with_digest(digest), digest, None, None, "HEAD")

        def plan() -> None:
            bump(RepoPaths(repo), BumpRequest("6.1.0-1"), resolver, dry_run=True)

        rows.append(
            ("bump --dry-run (stubbed registry, 2 validate runs)", ms(timeit(plan, repeat=5)))
        )

    table = "\n".join(f"| {what} | {value} |" for what, value in rows)
    text = f"""## Artifact loop: resolve and bump (`bench/artifact.py`)

Machine: {machine()}.

{__doc__.split("Run:")[0].strip()}

| Operation | Median (p95) |
|---|---|
{table}
"""
    print(text)
    write_section("artifact", text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
