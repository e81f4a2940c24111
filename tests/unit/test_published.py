"""The published tables shipped in data/published: values as published, provenance beside each, checksums kept."""

from __future__ import annotations

import shutil

import pytest

from suna.core import paths
from suna.core.errors import DataSourceError
from suna.sources import published

REQUIRED = ("publisher", "dataset", "edition", "url", "licence", "attribution", "retrieved", "sha256")


def test_every_table_has_its_provenance_and_the_folder_stays_small():
    names = published.tables()
    files = [p for p in paths.published_dir().iterdir() if p.is_file() and not p.name.endswith(".provenance.yaml")]
    assert sorted(p.name for p in files) == names, "a shipped table without a provenance record (or the reverse)"
    for name in names:
        rec = published.provenance(name)
        missing = [k for k in REQUIRED if not rec.get(k)]
        assert not missing, f"{name}: provenance lacks {missing}"
        assert rec["licence"] == "Open Government Licence v3.0"
        assert rec["url"].startswith("https://")
        published.path(name)  # checksum as recorded
    total = sum(p.stat().st_size for p in paths.published_dir().rglob("*") if p.is_file())
    assert total <= 15 * 1024 * 1024


def test_known_published_values():
    deaths = published.drug_poisoning_deaths().set_index(["area_code", "registration_year"])["deaths"]
    assert deaths[("E08000014", 2020)] == 28  # Sefton
    assert published.published_deaths_row("K04000001", 2020) == 4561  # England and Wales
    assert deaths[("E92000001", 2020)] == 4312  # England
    pop = published.population_totals().set_index(["area_code", "year"])["population"]
    assert pop[("E08000014", 2020)] == 275_899  # Sefton mid-2020


def test_summed_levels_equal_the_rows_ons_publishes():
    """Upper tiers, regions and England are sums of the districts; they must equal the ONS table's own rows."""
    deaths = published.drug_poisoning_deaths()
    checked = 0
    for rec in deaths[deaths["area_level"].isin(["upper_tier", "region", "england"])].itertuples():
        printed = published.published_deaths_row(rec.area_code, rec.registration_year)
        if printed is not None:
            assert rec.deaths == printed, (rec.area_code, rec.registration_year)
            checked += 1
    assert checked > 150 * 28


def test_authorities_made_since_2021_are_summed_from_their_districts():
    deaths = published.drug_poisoning_deaths().set_index(["area_code", "registration_year"])["deaths"]
    # Cumberland (April 2023) = Allerdale + Carlisle + Copeland.
    parts = [published.published_deaths_row(c, 2019) for c in ("E07000026", "E07000028", "E07000029")]
    assert deaths[("E06000063", 2019)] == sum(parts)


def test_upper_tiers_cover_england():
    tiers = published.upper_tiers()
    assert len(tiers) == 153
    essex = tiers.set_index("name").loc["Essex"]
    assert (essex["code"], essex["type"], essex["region_name"], essex["districts"]) == ("E10000012", "county", "East of England", 12)
    assert tiers.set_index("name").loc["Halton", "type"] == "unitary"


def test_an_edited_table_is_refused(tmp_path, monkeypatch):
    home = tmp_path / "project"
    shutil.copytree(paths.published_dir(), home / "data" / "published")
    target = home / "data" / "published" / published.DEATHS_FILE
    target.write_text(target.read_text(encoding="utf-8").replace("Sefton,28,", "Sefton,29,"), encoding="utf-8")
    monkeypatch.setenv("SUNA_HOME", str(home))
    published._verify.cache_clear()
    try:
        with pytest.raises(DataSourceError, match=r"ons_drug_poisoning_deaths.*checksum.*must not be edited"):
            published.path(published.DEATHS_FILE)
    finally:
        published._verify.cache_clear()
