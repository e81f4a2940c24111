"""The calibration file's targets and inputs, and the groups the generator draws.
"""


from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

import yaml

from suna.core import paths
from suna.core.errors import SunaError
from suna.model import areas
from suna.model.areas import Area

log = logging.getLogger(__name__)


CALIBRATION_FILE = "sample_calibration.yaml"
DRUG_GROUPS = ("opiate", "non_opiate_only", "non_opiate_and_alcohol")
ADULT_GROUPS = (*DRUG_GROUPS, "alcohol_only")
YOUNG_PEOPLE = "young_people"
ADMISSION_KINDS = ("alcohol_specific", "drug_poisoning", "drug_mental_behavioural")
_CRIMINAL_JUSTICE = ("custody", "courts", "probation", "prison")
_DAYS_PER_YEAR = 365.25


@lru_cache(maxsize=None)
def _calibration_cached(path: str) -> dict[str, Any]:
    with open(path, encoding="utf-8") as fh:
        return yaml.load(fh, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # the C loader when built


def calibration() -> dict[str, Any]:
    """The calibration file: ``targets`` (with sources) and the generator's ``inputs``."""
    return _calibration_cached(str(paths.reference_dir() / CALIBRATION_FILE))


def _calibrated_areas(cal: dict[str, Any]) -> list[Area]:
    wanted = cal["inputs"]["areas"]
    every = areas.load_all_areas()
    found = [a for a in every if a.slug in wanted]
    skipped = [a.slug for a in every if a.slug not in wanted]
    if skipped:
        log.info("no sample calibration for %s: left out of the sample", ", ".join(skipped))
    if not found:
        raise SunaError(f"None of the areas in params/ has a sample calibration in {CALIBRATION_FILE}.")
    return found
