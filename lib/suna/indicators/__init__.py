"""SUNA's indicators: the catalogue (data/reference/indicators.yaml) computed from an area's tables.

- ``definitions``: the catalogue, the published national figures and prevalence estimates, shared words.
- ``compute``: ``compute_indicators(area, tables, period)``, the Fingertips-layout table from records.
- ``records``: which treatment records a figure counts (NDTMS adults, open in a year, one per person).
- ``published``, ``deaths``, ``national``: figures every English authority has, from published tables.
- ``stats`` (PHStatsMethods, wrapped), ``targets`` (a partnership's trajectories).

The names most callers need are here, so ``indicators.catalogue()`` and ``indicators.compute_indicators``
read as the one API they are.
"""

from suna.indicators.compute import (FOLLOW_UP_NOTE, NOT_COMPARED_COUNT, NOT_COMPARED_NO_ENGLAND,
                                     NOT_COMPARED_NO_INTERVAL, NOT_COMPARED_NOTES, compute_indicators,
                                     primary_substance, represented)
from suna.indicators.definitions import (AGE_GROUP, CATEGORY_TYPES, DIED, EXTRA_COLUMNS, MEASURES, PERSONS, PUBLISHED,
                                         age_group_label, benchmarks, catalogue, catalogue_table, citation,
                                         indicator_ids, prevalence_estimates)
