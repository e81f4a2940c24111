"""What the reports on one area are given: its tables and its indicators, already through disclosure control.

Every view, notebook and app panel takes one ``AreaData``; ``suna.pipeline`` builds it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from suna.disclosure import Protected
from suna.model.areas import Area
from suna.sources import sample


@dataclass(frozen=True)
class AreaData:
    """Everything the reports on one area need, already through disclosure control."""

    area: Area
    period: str
    tables: dict[str, pd.DataFrame] = field(repr=False)
    raw_indicators: pd.DataFrame = field(repr=False)
    protected: Protected = field(repr=False)
    is_synthetic: bool = True
    data_source: str = ""
    fingerprint: str = ""  # the result cache's key: changes with the area, period, inputs or code

    @property
    def table(self) -> pd.DataFrame:
        """The protected indicators table (what may be shown)."""
        return self.protected.table

    @property
    def footnote(self) -> str:
        return self.protected.footnote

    @property
    def synthetic_notice(self) -> str:
        return sample.SYNTHETIC_NOTICE if self.is_synthetic else ""
