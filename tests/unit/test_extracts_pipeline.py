"""A folder of council extracts (CSV and Excel, day-first dates) gives the same indicators and tables as the sample."""

from __future__ import annotations

import pandas as pd
import pytest

from suna import pipeline
from suna.model import areas
from suna.sources import store

pytestmark = pytest.mark.slow  # loads or computes the sample areas' protected indicators: not in `make test-fast`

COLUMNS = ["indicator_id", "area_code", "period", "sex", "category_type", "category", "value", "count_display"]


@pytest.fixture()
def halton_extracts(tmp_path, monkeypatch):
    """Halton's sample tables written as a council would send them: Excel for treatment, CSV for the rest."""
    monkeypatch.setenv("SUNA_CACHE_DIR", str(tmp_path / "cache"))
    pipeline._load_cached.cache_clear()
    folder = tmp_path / "extracts"
    folder.mkdir()
    for kind, table in store.load_tables(areas.load_area("halton")).items():
        out = table.copy()
        for col in out.columns:
            if str(out[col].dtype).startswith("datetime"):
                out[col] = out[col].dt.strftime("%d/%m/%Y")
        if kind == "treatment":
            out.to_excel(folder / "treatment.xlsx", index=False)
        else:
            out.to_csv(folder / f"{kind}.csv", index=False)
    yield folder
    pipeline._load_cached.cache_clear()


def test_extracts_folder_gives_the_sample_figures_and_is_not_called_synthetic(halton_extracts):
    before = {p.name: p.read_bytes() for p in halton_extracts.iterdir()}
    from_extracts = pipeline.load_area_data("halton", data_dir=halton_extracts)
    from_sample = pipeline.load_area_data("halton")
    assert not from_extracts.is_synthetic and from_extracts.synthetic_notice == ""
    assert str(halton_extracts) in from_extracts.data_source
    assert from_sample.is_synthetic
    pd.testing.assert_frame_equal(from_extracts.table[COLUMNS].reset_index(drop=True),
                                  from_sample.table[COLUMNS].reset_index(drop=True))
    assert {p.name: p.read_bytes() for p in halton_extracts.iterdir()} == before  # inputs untouched
    pd.testing.assert_frame_equal(from_extracts.tables["population_ethnicity"].reset_index(drop=True),
                                  from_sample.tables["population_ethnicity"])


def test_extracts_without_the_population_by_ethnicity_still_load(halton_extracts):
    (halton_extracts / "population_ethnicity.csv").unlink()
    data = pipeline.load_area_data("halton", data_dir=halton_extracts)
    assert data.tables.get("population_ethnicity") is None and "treatment" in data.tables
