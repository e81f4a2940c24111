"""Police recorded crime: the Home Office CSP table and data.police.uk, read from files and from a local server.

The server (tests/httpreplay.py, 127.0.0.1) replays hand-written answers in the real layouts
(tests/fixtures/police/README.md says what each is); it also fails on purpose.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from httpreplay import ReplayServer, closed_port_url, direct_to_localhost  # noqa: F401 - a fixture

from suna import cli
from suna.core.errors import DataSourceError, ValidationError
from suna.model import schemas
from suna.model.areas import load_area
from suna.sources import police

pytestmark = pytest.mark.usefixtures("direct_to_localhost")

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "police"
POLY = "53.70,-3.10:53.70,-2.90:53.42,-2.90:53.42,-3.10"  # a box around Sefton


def _body(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


@pytest.fixture()
def api():
    with ReplayServer() as server:
        server.add("/api/crimes-street-dates", None, (200, _body("crimes_street_dates.json")))
        server.add("/api/crimes-street/drugs", {"poly": POLY, "date": "2024-01"}, (200, _body("crimes_street_drugs_2024-01.json")))
        server.add("/api/crimes-street/drugs", {"poly": POLY, "date": "2024-02"}, (200, _body("crimes_street_drugs_2024-02.json")))
        yield server


# ------------------------------------------------------------------ the CSP table

def test_csp_table_gives_the_areas_drug_offences_by_quarter():
    table = police.csp_offences(FIXTURES / "prc_csp_drugs.csv", load_area("sefton"))
    got = {(r.measure, r.period_start_date.strftime("%Y-%m-%d")): r.count for r in table.itertuples()}
    assert got == {  # worked out from the fixture by hand
        ("drug_possession_offences", "2023-04-01"): 139,   # 98 + 41: two offence codes of one subgroup
        ("drug_trafficking_offences", "2023-04-01"): 37,
        ("drug_possession_offences", "2023-07-01"): 1104,  # "1,104"
        ("drug_trafficking_offences", "2023-07-01"): 29,
    }
    assert table["district_code"].isna().all()  # the CSP is the whole metropolitan district
    ends = dict(zip(table["period_start_date"].dt.strftime("%Y-%m-%d"), table["period_end_date"].dt.strftime("%Y-%m-%d")))
    assert ends == {"2023-04-01": "2023-06-30", "2023-07-01": "2023-09-30"}  # quarters of the financial year
    schemas.validate(table, "crime")  # rows of the canonical crime table


def test_county_csps_are_its_districts():
    table = police.csp_offences(FIXTURES / "prc_csp_drugs.csv", load_area("essex"))
    assert dict(zip(zip(table["district_code"], table["measure"]), table["count"])) == {
        ("E07000066", "drug_possession_offences"): 88, ("E07000066", "drug_trafficking_offences"): 19,
        ("E07000070", "drug_possession_offences"): 54}


def test_a_csp_of_several_districts_is_refused_with_the_names_found():
    with pytest.raises(DataSourceError) as err:
        police.csp_offences(FIXTURES / "prc_csp_drugs.csv", load_area("worcestershire"))
    assert "prc_csp_drugs.csv" in str(err.value) and "North Worcestershire" in str(err.value)
    assert "crime template" in str(err.value)


def test_csp_table_with_a_renamed_column_names_it(tmp_path):
    path = tmp_path / "csp.csv"
    path.write_text((FIXTURES / "prc_csp_drugs.csv").read_text().replace("Offence Subgroup", "Offence Type", 1))
    with pytest.raises(ValidationError) as err:
        police.csp_offences(path, load_area("sefton"))
    text = str(err.value)
    assert "csp.csv" in text and "row 1" in text and "'Offence Subgroup'" in text and "Offence Type" in text


def test_csp_table_bad_count_and_quarter_name_the_rows(tmp_path):
    lines = (FIXTURES / "prc_csp_drugs.csv").read_text().splitlines()
    lines[2] = lines[2].replace(",41", ",-41")              # row 3: a negative count
    lines[3] = lines[3].replace("2023/24,1,", "2023/24,5,")  # row 4: no fifth quarter
    path = tmp_path / "csp.csv"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ValidationError) as err:
        police.csp_offences(path, load_area("sefton"))
    problems = err.value.problems
    assert set(zip(problems["row"], problems["column"])) == {(3, "Number of Offences"), (4, "Financial Quarter")}
    assert "a whole number 0 or more" in str(err.value) and "a quarter 1, 2, 3 or 4" in str(err.value)


def test_csp_table_downloaded_and_cached(tmp_path):
    with ReplayServer() as server:
        server.add("/prc-csp.csv", None, (200, _body("prc_csp_drugs.csv")))
        first = police.fetch_csp_offences(server.url + "/prc-csp.csv", load_area("sefton"), cache_dir=tmp_path)
        again = police.fetch_csp_offences(server.url + "/prc-csp.csv", load_area("sefton"), cache_dir=tmp_path)
        assert server.requests == ["/prc-csp.csv"]  # the second answer came from the cache
    pd.testing.assert_frame_equal(first, again)
    assert len(list(tmp_path.glob("*.csv"))) == 1 and len(list(tmp_path.glob("*.url"))) == 1


def test_csp_download_refused_names_the_status(tmp_path):
    with ReplayServer() as server:
        with pytest.raises(DataSourceError) as err:
            police.fetch_csp_offences(server.url + "/gone.csv", load_area("sefton"), cache_dir=tmp_path, backoff=0)
    assert "HTTP 404" in str(err.value) and "/gone.csv" in str(err.value)
    assert not list(tmp_path.iterdir())  # nothing cached


# ------------------------------------------------------------------ street-level download

def test_street_download_counts_drug_crimes_by_small_area():
    small = police.drug_crimes_by_small_area(FIXTURES / "2024-01-merseyside-street.csv")
    assert dict(zip(small["lsoa_name"], small["count"])) == {"Sefton 001A": 2, "Sefton 009A": 1, "Knowsley 010B": 1}
    assert small.attrs["unplaced"] == 1  # the crime with no location is counted, not lost


def test_street_download_as_sefton_msoas():
    table = police.street_drug_offences(FIXTURES / "2024-01-merseyside-street.csv", load_area("sefton"))
    assert dict(zip(table["district_code"], table["count"])) == {"Sefton 001": 2, "Sefton 009": 1}  # Knowsley left out
    assert set(table["measure"]) == {"drug_offences"}
    assert table["period_start_date"].dt.strftime("%Y-%m-%d").unique().tolist() == ["2024-01-01"]
    assert table["period_end_date"].dt.strftime("%Y-%m-%d").unique().tolist() == ["2024-01-31"]


def test_street_download_bad_lsoa_and_month_name_the_rows(tmp_path):
    lines = (FIXTURES / "2024-01-merseyside-street.csv").read_text().splitlines()
    lines[1] = lines[1].replace("E01006946", "E0100694")    # row 2: a code one digit short
    lines[3] = lines[3].replace("2024-01", "Jan 2024", 1)   # row 4: a month in words
    path = tmp_path / "street.csv"
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ValidationError) as err:
        police.drug_crimes_by_small_area(path)
    problems = err.value.problems
    assert set(zip(problems["row"], problems["column"])) == {(2, "LSOA code"), (4, "Month")}
    assert "street.csv" in str(err.value)


def test_street_download_without_the_crime_type_column(tmp_path):
    path = tmp_path / "street.csv"
    path.write_text((FIXTURES / "2024-01-merseyside-street.csv").read_text().replace("Crime type", "Category", 1))
    with pytest.raises(ValidationError, match="a column headed 'Crime type'"):
        police.drug_crimes_by_small_area(path)


# ------------------------------------------------------------------ the API

def test_api_crimes_one_row_each_and_counts_by_month(api, tmp_path):
    crimes = police.fetch_street_drug_crimes(POLY, ["2024-01", "2024-02"], base_url=api.url + "/api", cache_dir=tmp_path)
    assert len(crimes) == 4
    first = crimes.iloc[0]
    assert (first["street_name"], first["outcome"], first["latitude"]) == ("On or near Stanley Road", "Local resolution", 53.446918)
    assert crimes["outcome"].isna().sum() == 1 and crimes["persistent_id"].isna().sum() == 1  # null outcome, empty id
    counts = police.street_crime_counts(crimes, load_area("sefton"), ["2024-01", "2024-02"])
    assert counts["count"].tolist() == [3, 1]
    schemas.validate(counts, "crime")


def test_api_answers_are_cached_by_url(api, tmp_path):
    police.fetch_street_drug_crimes(POLY, ["2024-01"], base_url=api.url + "/api", cache_dir=tmp_path)
    police.fetch_street_drug_crimes(POLY, ["2024-01"], base_url=api.url + "/api", cache_dir=tmp_path)
    asked = [r for r in api.requests if r.startswith("/api/crimes-street/drugs")]
    assert len(asked) == 1
    assert "poly=53.70,-3.10:53.70,-2.90" in asked[0] and "date=2024-01" in asked[0]


def test_api_month_not_published_lists_what_there_is(api, tmp_path):
    with pytest.raises(DataSourceError, match=r"no street-level crimes for 2023-12: it has 2024-01 to 2024-03"):
        police.fetch_street_drug_crimes(POLY, ["2023-12"], base_url=api.url + "/api", cache_dir=tmp_path)


def test_api_retries_a_server_error_then_succeeds(tmp_path):
    with ReplayServer() as server:
        server.add("/api/crimes-street-dates", None, (200, _body("crimes_street_dates.json")))
        server.add("/api/crimes-street/drugs", None, (500, b"busy"), (200, _body("crimes_street_drugs_2024-02.json")))
        crimes = police.fetch_street_drug_crimes(POLY, ["2024-02"], base_url=server.url + "/api", cache_dir=tmp_path, backoff=0)
        assert len(crimes) == 1
        assert sum(r.startswith("/api/crimes-street/drugs") for r in server.requests) == 2


def test_api_503_says_the_polygon_may_be_too_big(tmp_path):
    with ReplayServer() as server:
        server.add("/api/crimes-street-dates", None, (200, _body("crimes_street_dates.json")))
        server.add("/api/crimes-street/drugs", None, (503, b""))
        with pytest.raises(DataSourceError, match="more than the API's 10,000 crimes"):
            police.fetch_street_drug_crimes(POLY, ["2024-01"], base_url=server.url + "/api", cache_dir=tmp_path, backoff=0, retries=2)
    assert not list(tmp_path.glob("*.json"))  # an error is never cached


def test_api_malformed_json_is_named_and_not_cached(tmp_path):
    with ReplayServer() as server:
        server.add("/api/crimes-street-dates", None, (200, _body("crimes_street_dates.json")))
        server.add("/api/crimes-street/drugs", None, (200, b'[{"category": "drugs", "month": "2024-01"'))
        with pytest.raises(DataSourceError) as err:
            police.fetch_street_drug_crimes(POLY, ["2024-01"], base_url=server.url + "/api", cache_dir=tmp_path)
    assert "did not answer with JSON" in str(err.value) and "/crimes-street/drugs" in str(err.value)
    assert not list(tmp_path.glob("*.json"))


def test_api_record_without_location_is_named(tmp_path):
    with ReplayServer() as server:
        server.add("/api/crimes-street-dates", None, (200, _body("crimes_street_dates.json")))
        server.add("/api/crimes-street/drugs", None, (200, b'[{"category": "drugs", "month": "2024-01", "location": null}]'))
        with pytest.raises(DataSourceError, match="crime 1 of the answer has no location object"):
            police.fetch_street_drug_crimes(POLY, ["2024-01"], base_url=server.url + "/api", cache_dir=tmp_path)


@pytest.mark.parametrize("poly, months, expected", [
    ("53.7,-3.1:53.4,-2.9", ["2024-01"], "at least three"),
    ("53.7,-3.1:north:53.4,-2.9", ["2024-01"], "these are not: north"),
    (POLY, ["2024-1"], "written YYYY-MM"),
])
def test_bad_polygon_or_month_refused_before_asking(poly, months, expected, tmp_path):
    with pytest.raises(DataSourceError, match=expected):
        police.fetch_street_drug_crimes(poly, months, base_url=closed_port_url(), cache_dir=tmp_path)


def test_offline_names_the_service_and_what_to_do(tmp_path):
    with pytest.raises(DataSourceError) as err:
        police.fetch_street_drug_crimes(POLY, ["2024-01"], base_url=closed_port_url(), cache_dir=tmp_path, retries=1)
    assert "Could not reach data.police.uk" in str(err.value) and "HTTPS_PROXY" in str(err.value)


# ------------------------------------------------------------------ the command line

def test_suna_fetch_police_writes_a_crime_file_that_validates(tmp_path, capsys):
    out = tmp_path / "crime.csv"
    code = cli.main(["fetch", "police", "--la", "essex", "--csp-file", str(FIXTURES / "prc_csp_drugs.csv"), "--out", str(out)])
    assert code == 0 and "Wrote 3 rows" in capsys.readouterr().out
    assert out.read_text().splitlines()[1] == "E10000012,E07000066,drug_possession_offences,2023-04-01,2023-06-30,88"
    assert cli.main(["validate", str(out), "--kind", "crime"]) == 0


def test_suna_fetch_police_without_a_source_says_what_it_needs(capsys):
    assert cli.main(["fetch", "police", "--la", "sefton"]) == 2
    assert "one source: --csp-url or --csp-file" in capsys.readouterr().err
