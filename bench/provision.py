"""supersetctl apply vs preset-cli `sync native --overwrite`, side by side on one Superset.

    python bench/provision.py [--sizes 300,3000] [--repeat 5] [--large-repeat 3]
                              [--cold-repeat 2] [--preset-cli PATH] [--venv PATH]

Boots its own PostgreSQL (data + metadata) and Superset 6.1.0 (2 gunicorn workers with
gunicorn's default request-line limit, the runtime of image/requirements.txt, as `supersetctl
up`). For each size (300 charts: 1 database, 30 datasets, 30 dashboards; 3,000 charts: 100
datasets, 300 dashboards) it generates the assets twice (one set per tool: own uuids, database
name and slugs, same tables) and times each tool's CLI end to end (process start to exit):
cold apply (its assets absent), re-apply with nothing changed (kept login, fresh login, right
after the other tool re-synced, right after an edit in Superset to an asset this repo does not
manage), apply after one chart's title changed, and `supersetctl plan`. Each tool runs from its
own venv, as its users install it: preset-cli from /tmp/preset-cli-venv (`pip install
"preset-cli>=0.3,<0.4"` when missing), supersetctl from /tmp/supersetctl-bench-venv (`pip
install .` with the versions of requirements/dev.lock, none of the development tools;
reinstalled from this checkout on every run). Writes docs/benchmarks/provision.md.
"""

# ruff: noqa: E402
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run as a script: the repo root, for bench._common and tests

import argparse
import os
import secrets
import shutil
import statistics
import subprocess
import tempfile
import time

import psycopg
from bench._common import RESULTS, machine, write_section
from tests.support.layouts import generate, uid

from supersetctl.local.postgres import PostgresCluster, free_port
from supersetctl.local.superset import provision_superset
from supersetctl.pg import find_binaries
from supersetctl.superset import Credentials, SupersetClient
from supersetctl.superset.bundle import dump_native, load_native

# per size: (datasets, charts, dashboards) and the uuid namespaces of each tool's set
SIZES = {300: (30, 300, 30), 3000: (100, 3000, 300)}
NAMESPACES = {
    300: ("0a3e1c52-6f0e-4b7e-9d51-4c8a3b2f1e01", "0a3e1c52-6f0e-4b7e-9d51-4c8a3b2f1e02"),
    3000: ("0a3e1c52-6f0e-4b7e-9d51-4c8a3b2f1e03", "0a3e1c52-6f0e-4b7e-9d51-4c8a3b2f1e04"),
}
TABLES = max(d for d, _c, _b in SIZES.values())


def runtime_venv() -> Path:
    from supersetctl.local.runtime import requirements_digest

    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    digest = requirements_digest(ROOT / "image" / "requirements.txt")[:12]
    return cache / "supersetctl" / f"runtime-{digest}"


def ensure_preset_cli(venv: Path) -> Path:
    exe = venv / "bin" / "superset-cli"
    if not exe.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(venv / "bin" / "pip"), "install", "-q", "preset-cli>=0.3,<0.4"], check=True
        )
    return exe


def ensure_supersetctl(venv: Path, scratch: Path) -> Path:
    """supersetctl installed from this checkout into ``venv`` with the runtime dependencies
    only (pinned to the lock's versions), as `pip install supersetctl` gives a user."""
    pip = venv / "bin" / "pip"
    if not pip.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pins = scratch / "constraints.txt"
    lock = (ROOT / "requirements" / "dev.lock").read_text(encoding="utf-8").splitlines()
    pins.write_text(
        "".join(ln.split()[0] + "\n" for ln in lock if "==" in ln and not ln.startswith(" ")),
        encoding="utf-8",
    )
    for extra in (["-c", str(pins)], ["--no-deps", "--force-reinstall"]):
        proc = subprocess.run(
            [str(pip), "install", "-q", *extra, str(ROOT)], capture_output=True, text=True
        )
        if proc.returncode:
            raise SystemExit(f"pip install into {venv} failed:\n{proc.stderr[-3000:]}")
    return venv / "bin" / "supersetctl"


def preset_version(exe: Path) -> str:
    out = subprocess.run(
        [str(exe.parent / "pip"), "show", "preset-cli"], capture_output=True, text=True
    ).stdout
    return next(
        (ln.split(":", 1)[1].strip() for ln in out.splitlines() if ln.startswith("Version")), "?"
    )


def make_tables(info: object, password: str) -> None:
    conninfo = info.conninfo  # type: ignore[attr-defined]
    with psycopg.connect(conninfo("postgres"), autocommit=True) as conn:
        conn.execute("CREATE DATABASE bench")
        conn.execute(
            psycopg.sql.SQL("CREATE ROLE bench_ro LOGIN PASSWORD {}").format(
                psycopg.sql.Literal(password)
            )
        )
    with psycopg.connect(conninfo("bench"), autocommit=True) as conn:
        for i in range(1, TABLES + 1):
            conn.execute(
                f"CREATE TABLE b{i} (id int, name text, ts timestamp, amount numeric);"
                f"INSERT INTO b{i} SELECT g, 'n' || (g % 9), now() - g * interval '1 day', g "
                f"FROM generate_series(1, 100) g; GRANT SELECT ON b{i} TO bench_ro;"
            )


def ours_repo(root: Path, url: str, port: int, size: int) -> Path:
    cfg = root / "config" / "dev"
    cfg.mkdir(parents=True)
    (cfg / "environment.yaml").write_text(
        f"""api_version: supersetctl/v1
environment: dev
superset: {{url: "{url}", app_name: superset-dev}}
databases:
  bench: {{host: 127.0.0.1, port: {port}, database: bench, user: bench_ro, sslmode: disable,
          password_env: BENCH_DB_PASSWORD, primary: true}}
flags: {{seed_data: false, masking: false, strict_read_only: false}}
provisioning: {{owner: bench/supersetctl}}
""",
        encoding="utf-8",
    )
    (root / "infra" / "superset").mkdir(parents=True)
    prov = root / "infra" / "superset" / "provisioning"
    datasets, charts, dashboards = SIZES[size]
    generate(
        prov,
        datasets=datasets,
        charts=charts,
        dashboards=dashboards,
        ns=NAMESPACES[size][0],
        db_name=f"bench_sctl_{size}",
        prefix=f"sctl{size}-",
    )
    return prov / "dashboards" / "dash-1" / "charts" / "chart-1.yaml"


def preset_dir(root: Path, port: int, size: int) -> Path:
    """The same kind of assets in the layout preset-cli reads (folders per type)."""
    src = root / "src"
    uri = f"postgresql://bench_ro:XXXXXXXXXX@127.0.0.1:{port}/bench"
    datasets, charts, dashboards = SIZES[size]
    generate(
        src,
        datasets=datasets,
        charts=charts,
        dashboards=dashboards,
        uri=uri,
        ns=NAMESPACES[size][1],
        db_name=f"bench_preset_{size}",
        prefix=f"preset{size}-",
    )
    out = root / "native"
    for f in sorted(src.rglob("*.yaml")):
        rel = f.relative_to(src).parts
        if rel[0] == "databases":
            dest = out / "databases" / rel[-1]
        elif rel[0] == "datasources":
            dest = out / "datasets" / rel[1] / rel[-1]
        elif rel[-2] == "charts":
            dest = out / "charts" / rel[-1]
        else:
            dest = out / "dashboards" / f"{rel[1]}.yaml"
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(f, dest)
    return out


def retitle(path: Path, title: str) -> None:
    data = load_native(path.read_text(), str(path))
    data["slice_name"] = title
    path.write_text(dump_native(data))


def delete_set(client: SupersetClient, ns: str, size: int) -> None:
    """Remove one tool's assets (for a cold run)."""
    datasets, charts, dashboards = SIZES[size]
    wanted = {uid("db", ns)} | {uid(f"ds{i}", ns) for i in range(1, datasets + 1)}
    wanted |= {uid(f"chart{i}", ns) for i in range(1, charts + 1)}
    wanted |= {uid(f"dash{i}", ns) for i in range(1, dashboards + 1)}
    for kind in ("dashboard", "chart", "dataset", "database"):
        ids = [r["id"] for r in client.list(kind, ["id", "uuid"]) if r["uuid"] in wanted]
        for i in range(0, len(ids), 100):
            if kind == "database":
                for pk in ids[i : i + 100]:
                    client.delete(kind, pk)
            else:
                from supersetctl.superset.rison import dumps

                client.request("DELETE", f"api/v1/{kind}/", params={"q": dumps(ids[i : i + 100])})


def timed(cmd: list[str], env: dict[str, str], expect: set[int]) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - t0
    if proc.returncode not in expect:
        raise SystemExit(
            f"{cmd[0]} failed ({proc.returncode}):\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
        )
    return elapsed


TARGETS = {
    "cold": "no slower",
    "no-change": ">= 10x",
    "no-change, fresh login": ">= 10x",
    "no-change, after the other tool's re-sync": ">= 10x",
    "no-change, after a UI edit elsewhere": ">= 10x",
    "one-change": ">= 5x",
    "plan": "-",
    "first apply after a cold one": "-",
}


def bench_size(
    size: int,
    *,
    args: argparse.Namespace,
    scratch: Path,
    supersetctl: Path,
    preset: Path,
    url: str,
    admin: str,
    admin_pw: str,
    db_pw: str,
    port: int,
    client: SupersetClient,
) -> dict[str, dict[str, list[float]]]:
    ns_ours, ns_preset = NAMESPACES[size]
    ours = scratch / f"ours-{size}"
    chart_file = ours_repo(ours, url, port, size)
    native = preset_dir(scratch / f"preset-{size}", port, size)
    env = {
        **os.environ,
        "SUPERSET_ADMIN_USERNAME": admin,
        "SUPERSET_ADMIN_PASSWORD": admin_pw,
        "BENCH_DB_PASSWORD": db_pw,
        # the access token a login returns is kept here between runs (as in a user's runtime
        # folder), not in this user's own cache
        "SUPERSETCTL_TOKEN_CACHE": str(scratch / "tokens"),
    }
    fresh_login = {**env, "SUPERSETCTL_TOKEN_CACHE": "off"}
    sctl_apply = [str(supersetctl), "--repo", str(ours), "apply", "--env", "dev"]
    sctl_plan = [str(supersetctl), "--repo", str(ours), "plan", "--env", "dev"]
    # options before the URL, each as one token (a generated password may start with "-")
    login = [f"--username={admin}", f"--password={admin_pw}"]
    db_password = f"{uid('db', ns_preset)}={db_pw}"
    preset_sync = [str(preset), *login, url, "sync", "native", str(native), "--overwrite",
                   "--db-password", db_password]  # fmt: skip
    results: dict[str, dict[str, list[float]]] = {"supersetctl": {}, "preset-cli": {}}

    def record(tool: str, scenario: str, seconds: float) -> None:
        results[tool].setdefault(scenario, []).append(seconds)
        print(f"  [{size}] {tool:12s} {scenario:42s} {seconds:7.2f} s", flush=True)

    preset_chart = native / "charts" / "chart-1.yaml"
    for _ in range(args.cold_repeat):
        delete_set(client, ns_ours, size)
        shutil.rmtree(ours / ".local", ignore_errors=True)
        shutil.rmtree(scratch / "tokens", ignore_errors=True)
        record("supersetctl", "cold", timed(sctl_apply, env, {0}))
        record("supersetctl", "first apply after a cold one", timed(sctl_apply, env, {0}))
        delete_set(client, ns_preset, size)
        record("preset-cli", "cold", timed(preset_sync, env, {0}))
    # a chart nobody manages, edited in Superset between runs (the UI changing the instance)
    dataset = next(r["id"] for r in client.list("dataset", ["id", "table_name"]))
    hand_made = {"slice_name": f"by hand {size}", "viz_type": "table"}
    by_hand = client.create(
        "chart", {**hand_made, "datasource_id": dataset, "datasource_type": "table"}
    )
    # rounds, so that both tools see the machine in the same state: supersetctl's runs first
    # (its first run of a round comes right after preset-cli's re-sync), then preset-cli's
    repeat = args.repeat if size < 1000 else args.large_repeat
    for i in range(repeat):
        record("supersetctl", "no-change, after the other tool's re-sync",
               timed(sctl_apply, env, {0}))  # fmt: skip
        record("supersetctl", "no-change", timed(sctl_apply, env, {0}))
        record("supersetctl", "no-change, fresh login", timed(sctl_apply, fresh_login, {0}))
        client.update("chart", by_hand["id"], {"description": f"edited in the UI {i}"})
        record("supersetctl", "no-change, after a UI edit elsewhere", timed(sctl_apply, env, {0}))
        record("supersetctl", "plan", timed(sctl_plan, env, {0}))
        retitle(chart_file, f"Chart 1 (edit {i})")
        record("supersetctl", "one-change", timed(sctl_apply, env, {0}))
        record("preset-cli", "no-change", timed(preset_sync, env, {0}))
        retitle(preset_chart, f"Chart 1 (edit {i})")
        record("preset-cli", "one-change", timed(preset_sync, env, {0}))
    client.delete("chart", by_hand["id"])
    # every "no change" of preset-cli is the same run: it re-imports everything every time
    for scenario in TARGETS:
        if scenario.startswith("no-change"):
            results["preset-cli"][scenario] = results["preset-cli"]["no-change"]
    return results


def table(size: int, results: dict[str, dict[str, list[float]]]) -> list[str]:
    datasets, charts, dashboards = SIZES[size]
    lines = [
        f"### {charts:,} charts, {dashboards} dashboards, {datasets} datasets",
        "",
        "| scenario | supersetctl (s) | preset-cli (s) | speed-up | target |",
        "|---|---|---|---|---|",
    ]
    for scenario, target in TARGETS.items():
        ours_s = statistics.median(results["supersetctl"][scenario])
        theirs = results["preset-cli"].get(scenario)
        if theirs:
            t = statistics.median(theirs)
            lines.append(f"| {scenario} | {ours_s:.2f} | {t:.2f} | {t / ours_s:.1f}x | {target} |")
        else:
            lines.append(f"| {scenario} | {ours_s:.2f} | n/a | - | {target} |")
    samples = "; ".join(
        f"{tool} {sc}: {', '.join(f'{x:.2f}' for x in xs)}"
        for tool, per in results.items()
        for sc, xs in per.items()
        if tool == "supersetctl" or not sc.startswith("no-change,")
    )
    return [*lines, "", f"All samples (s): {samples}", ""]


def keep_other_sizes(tables: list[str], sizes: list[int]) -> list[str]:
    """The new tables, and those of the sizes this run left out, from the last results."""
    last = RESULTS / "provision.md"
    old = last.read_text(encoding="utf-8") if last.exists() else ""
    kept: list[str] = []
    for section in old.split("\n### ")[1:]:
        heading = section.split(" charts", 1)[0].replace(",", "")
        if heading.isdigit() and int(heading) not in sizes:
            body = section.split("\n`supersetctl --version`", 1)[0].rstrip()
            kept += [f"### {body}", ""]
    return kept + tables if kept and sizes and min(sizes) > 300 else tables + kept


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--preset-cli", type=Path, default=Path("/tmp/preset-cli-venv"))
    ap.add_argument("--venv", type=Path, default=Path("/tmp/supersetctl-bench-venv"))
    ap.add_argument("--sizes", default="300,3000", help="chart counts to run: 300, 3000")
    ap.add_argument("--repeat", type=int, default=5, help="rounds at 300 charts")
    ap.add_argument("--large-repeat", type=int, default=3, help="rounds at 3,000 charts")
    ap.add_argument("--cold-repeat", type=int, default=2)
    args = ap.parse_args()
    sizes = [int(x) for x in args.sizes.split(",")]

    preset = ensure_preset_cli(args.preset_cli)
    scratch = Path(tempfile.mkdtemp(prefix="supersetctl-bench-"))
    scratch.chmod(0o755)
    print("installing supersetctl into its bench venv...", flush=True)
    supersetctl = ensure_supersetctl(args.venv, scratch)
    cluster = PostgresCluster(scratch / "pg", port=free_port(), binaries=find_binaries())
    server = None
    try:
        info = cluster.start()
        print("booting Superset (about 2 minutes)...", flush=True)
        server = provision_superset(
            venv=runtime_venv(),
            requirements=ROOT / "image" / "requirements.txt",
            config_path=ROOT / "image" / "superset_config.py",
            state=scratch / "superset",
            cluster=cluster,
            port=free_port(),
            workers=2,
        )
        url, admin, admin_pw = server.s.url, server.s.admin_username, server.admin_password()
        db_pw = "bench_" + secrets.token_hex(12)
        make_tables(info, db_pw)
        client = SupersetClient(url, Credentials(admin, admin_pw))
        common = dict(args=args, scratch=scratch, supersetctl=supersetctl, preset=preset,
                      url=url, admin=admin, admin_pw=admin_pw, db_pw=db_pw, port=info.port,
                      client=client)  # fmt: skip
        tables = []
        for size in sizes:
            tables += table(size, bench_size(size, **common))  # type: ignore[arg-type]
        tables = keep_other_sizes(tables, sizes)
        startup = [timed([str(supersetctl), "--version"], os.environ.copy(), {0}) for _ in range(3)]
        lines = [
            "# Provisioning: supersetctl apply vs preset-cli sync native",
            "",
            f"Machine: {machine()}. Superset 6.1.0 (image/requirements.txt), 2 gunicorn workers "
            "(gunicorn's default 4,094-byte request line), PostgreSQL 15 metadata, all on "
            f"127.0.0.1. preset-cli {preset_version(preset)} in its own venv.",
            "",
            "Method: `python bench/provision.py` generates the assets once per tool (own uuids, "
            "database name and slugs; same tables; 10 charts and a native filter per "
            "dashboard) and times each CLI end to end, process start to exit: `supersetctl "
            "apply --env dev` vs `superset-cli URL sync native DIR --overwrite --db-password "
            "UUID=PW`, each from its own venv holding the tool and its runtime dependencies "
            "only. *cold*: the tool's assets deleted first (and no kept login); *first apply "
            "after a cold one*: the run that compares what the cold run sent; *no-change*: run "
            "again with nothing changed anywhere, the previous run's access token reused "
            "(superset/tokens.py); *fresh login*: the same with `SUPERSETCTL_TOKEN_CACHE=off`, "
            "a password login per run as preset-cli does; *after the other tool's re-sync*: "
            "the first run of each round, right after preset-cli re-imported its whole set; "
            "*after a UI edit elsewhere*: right after a chart this repo does not manage was "
            "edited through the API; *one-change*: one chart title edited in its file first; "
            "*plan*: `supersetctl plan` with nothing to do (preset-cli has no plan). Every "
            "supersetctl run lists every chart and dashboard and reads every dataset's "
            "content (see docs/provisioning.md, How changes are detected): nothing is "
            "skipped on the strength of an earlier run alone. preset-cli's *no-change* figure "
            "stands for all its no-change rows: it re-imports everything on every run. Cold "
            "runs alternate "
            "the tools; the other runs come in rounds (supersetctl's, then preset-cli's), so "
            f"both meet the machine in the same state. Medians of {args.repeat} rounds at 300 "
            f"charts and {args.large_repeat} at 3,000 ({args.cold_repeat} cold runs each); the "
            "machine is shared, so single runs vary.",
            "",
            *tables,
            f"`supersetctl --version` alone (interpreter and CLI start-up) takes "
            f"{statistics.median(startup):.2f} s of each supersetctl figure.",
        ]
        path = write_section("provision", "\n".join(lines))
        print("\n".join(lines))
        print(f"wrote {path}")
        client.close()
    finally:
        if server is not None:
            server.stop()
        cluster.destroy()
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
