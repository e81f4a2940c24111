"""How long `suna batch --area all-england` takes: a few authorities of each kind, timed, then extrapolated.

    .venv/bin/python benchmarks/national_batch.py [--per-kind 2] [--jobs 2]

Every English upper-tier authority without record-level data is reported from the published figures
shipped in data/published. This runs the real notebooks through `suna batch` (warm kernels, the
result cache cold) for ``--per-kind`` authorities of each type (county, unitary, metropolitan
district, London borough) in a throw-away project folder, and prints seconds per authority by kind
and the time the whole of England (153 authorities) would take at that pace, as a ratio of the one
hour an intelligence team would give an overnight job (below 1.00 meets it).

Not a test: no assertions, numbers vary with the machine.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))

from suna.core import paths
from suna.sources import area_registry  # noqa: E402

TARGET_SECONDS = 3600.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-kind", type=int, default=2)
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()

    everyone = area_registry.list_authorities()
    chosen = everyone.groupby("type", sort=True).head(args.per_kind)
    suna = Path(sys.executable).with_name("suna")
    per_kind: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "project"
        (project / "params").mkdir(parents=True)
        for part in ("data", "notebooks", "shapes"):
            (project / part).symlink_to(paths.project_root() / part)
        env = {**os.environ, "SUNA_HOME": str(project), "SUNA_CACHE_DIR": str(Path(tmp) / "cache")}
        for kind, group in chosen.groupby("type"):
            slugs = []
            for code in group["code"]:
                added = subprocess.run([str(suna), "areas", "add", code], env=env, capture_output=True, text=True, check=True)
                slugs.append(added.stdout.split("params/")[1].split(".yaml")[0])
            command = [str(suna), "batch", "--jobs", str(args.jobs)] + [a for s in slugs for a in ("--area", s)]
            started = time.perf_counter()
            done = subprocess.run(command, env=env, capture_output=True, text=True)
            seconds = time.perf_counter() - started
            per_kind[kind] = seconds / len(slugs)
            summary = [line for line in done.stdout.splitlines() if line.startswith("suna batch:")]
            print(f"{kind:22s} {len(slugs)} authorities in {seconds:6.1f} s: {per_kind[kind]:5.1f} s each  "
                  f"({summary[0] if summary else done.stdout.strip()[-200:]})")
    counts = everyone["type"].value_counts()
    total = sum(per_kind.get(kind, max(per_kind.values())) * n for kind, n in counts.items())
    print(f"all England: {len(everyone)} authorities ({', '.join(f'{n} {k}' for k, n in counts.items())})")
    print(f"estimated all-England batch with {args.jobs} jobs: {total / 60:.1f} min; "
          f"ratio to the {TARGET_SECONDS / 3600:.0f} h target: {total / TARGET_SECONDS:.2f}")


if __name__ == "__main__":
    main()
