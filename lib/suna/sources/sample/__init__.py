"""SUNA's embedded SYNTHETIC sample: record-level canonical tables for the four first areas.

Nobody in these tables exists. ``build_sample`` draws treatment episodes, hospital admissions, death
registrations, populations and populations by ethnic group from a seeded random generator, calibrated so that the figures the seed
needs assessments quote come out again (Sefton's 1,668 adults in drug treatment in 2018/19, Essex's 124
drug-misuse deaths in 2019-21, ...). Every target and every assumption, with its source, is in
``data/reference/sample_calibration.yaml``; ``data/sample/README.md`` says how the data are built.

How the calibration holds:
- Treatment is simulated year by year from a burn-in in 1990: each year the number of new episodes is
  the target number in treatment minus those carried over, so counts in treatment hit the targets exactly.
- Shares (sex, referral source, exit reason, needs) are assigned by stratified sampling: within each
  area, group and year the share is exact to a whole record, while which record gets which value is random.
- Event counts (admissions, deaths) are set per area and year from the documented rates and counts, then
  spread over districts and small areas at random with weights for population and need.
- The population by ethnic group splits each district's 2021 population: districts vary at random around
  the area's shares, then are raked so that the area's shares are exactly the calibration's.

The generator, by part: ``calibration`` (targets and inputs), ``geography`` (where people live),
``draws`` (stratified sampling), ``population``, ``justice`` (crime, prison releases), ``treatment``,
``admissions``, ``deaths``.
"""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import numpy as np

from suna import __version__
from suna.core import paths
from suna.core.errors import SunaError
from suna.model import schemas
from suna.model.areas import Area
from suna.sources import store
from suna.sources.sample.admissions import build_admissions
from suna.sources.sample.calibration import CALIBRATION_FILE, _calibrated_areas, calibration
from suna.sources.sample.deaths import build_deaths
from suna.sources.sample.geography import LSOA_LOOKUP_FILE, _geography, lsoa_lookup  # noqa: F401 (the API)
from suna.sources.sample.justice import build_crime, build_prison_releases
from suna.sources.sample.population import (_area_population, build_population, build_population_ethnicity,
                                            calibrate_under_18)
from suna.sources.sample.treatment import build_treatment

log = logging.getLogger(__name__)


SYNTHETIC_NOTICE = "These figures come from SUNA's synthetic sample data, not from real people."
MANIFEST_NAME = "manifest.json"


def build_sample(out_dir: Path | None = None, seed: int = 2024, scale: float = 1.0) -> dict[str, Path]:
    """Build the synthetic sample and write it as Parquet, atomically, with a manifest.

    Args:
        out_dir: folder to write to; default ``paths.sample_dir()`` (data/sample).
        seed: seed of the random generator; the same seed gives identical files.
        scale: multiplies record volumes (treatment caseloads, admissions, deaths) for benchmarks;
            populations are not scaled. Calibration targets hold at scale 1.

    Returns:
        table name ("treatment", "admissions", "deaths", "population", "population_ethnicity", "crime", "prison_releases",
        "manifest") -> path written.
    """
    if not np.isfinite(scale) or scale <= 0:
        raise SunaError(f"The sample scale must be a number above 0; got {scale!r}.")
    started = time.perf_counter()
    out = Path(out_dir) if out_dir is not None else paths.sample_dir()
    cal = calibration()
    covered = _calibrated_areas(cal)
    seeds = np.random.SeedSequence(int(seed)).spawn(8)  # children 0-5 are those of earlier versions
    geo_rng, treat_rng, adm_rng, death_rng, ethnicity_rng, crime_rng, release_rng, age_rng = (np.random.default_rng(s) for s in seeds)
    geography = _geography(covered, cal, geo_rng)
    population = build_population(covered, cal, geography)
    area_pop = _area_population(population, geography)
    tables = {
        "treatment": build_treatment(covered, cal, geography, treat_rng, scale),
        "admissions": calibrate_under_18(build_admissions(covered, cal, geography, area_pop, adm_rng, scale),
                                         covered, cal, population, age_rng),
        "deaths": build_deaths(covered, cal, geography, area_pop, death_rng, scale),
        "population": population,
        "population_ethnicity": build_population_ethnicity(covered, cal, population, ethnicity_rng),
        "crime": build_crime(covered, cal, geography, crime_rng),
        "prison_releases": build_prison_releases(covered, cal, geography, release_rng, scale),
    }
    written: dict[str, Path] = {}
    for table, frame in tables.items():
        checked = schemas.validate(frame, table, source=f"synthetic {table} (suna sample)")
        written[table] = store.write_table(checked, out / store.TABLE_FILES[table])
    manifest = {
        "synthetic": True,
        "notice": SYNTHETIC_NOTICE,
        "generator": "suna.sources.sample.build_sample",
        "suna_version": __version__,
        "seed": int(seed),
        "scale": float(scale),
        "areas": [a.slug for a in covered],
        "calibration": f"data/reference/{CALIBRATION_FILE}",
        "tables": {t: {"file": p.name, "rows": int(len(tables[t]))} for t, p in written.items()},
    }
    written["manifest"] = store.write_text(json.dumps(manifest, indent=2) + "\n", out / MANIFEST_NAME)
    log.info("built the synthetic sample in %.1f s: %s", time.perf_counter() - started,
             ", ".join(f"{t} {len(f):,}" for t, f in tables.items()))
    return written


def is_sample(data_dir: str | Path | None = None) -> bool:
    """True when a data folder holds SUNA's synthetic sample (its manifest says so); default the sample folder."""
    folder = Path(data_dir) if data_dir not in (None, "") else paths.sample_dir()
    manifest = folder / MANIFEST_NAME
    if not manifest.is_file():
        return False
    try:
        return bool(json.loads(manifest.read_text(encoding="utf-8")).get("synthetic", False))
    except (OSError, ValueError):
        return False


def covers(area: Area) -> bool:
    """True when the synthetic sample has records for this authority (the four sample areas only).

    Any other authority is reported from published figures alone until the council supplies extracts.
    """
    return area.slug in calibration()["inputs"]["areas"] and is_sample()
