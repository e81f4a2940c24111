"""Attack disclosure control: try to recover every suppressed cell; none may be recoverable.

The attacker (tests/attack.py) knows every shown figure, the rules, how each table adds up
(district -> area, sex -> Persons, category -> total) and bounds (hidden counts are at least 1;
HES roundings); it solves for each hidden cell's feasible interval by linear programming. A cell
is recoverable when the relations alone fix it, or when its interval is under 1 wide. First the
attacker is shown to work (it must break tables with primary suppression only), then it is turned
on random tables, on the indicators table of every sample area (all districts and the whole area
together: the app's district switch), and on every view's table.
"""

from __future__ import annotations

import itertools
import logging
import re

import attack
import numpy as np
import pandas as pd
import pytest

from suna import disclosure

pytestmark = pytest.mark.slow  # loads or computes the sample areas' protected indicators: not in `make test-fast`

SAMPLE_AREAS = ["essex", "worcestershire", "sefton", "halton"]


# ------------------------------------------------------------------------------------------------
# The attacker itself: it must succeed where it should (an attacker that cannot fail is a defect)
# ------------------------------------------------------------------------------------------------


def _two_by_two() -> pd.DataFrame:
    """District x sex with margins; district A's men are 3."""
    rows = [("A", "Male", 3), ("A", "Female", 20), ("B", "Male", 15), ("B", "Female", 12)]
    cells = pd.DataFrame(rows, columns=["district", "sex", "count"])
    persons = cells.groupby("district", as_index=False)["count"].sum().assign(sex="Persons")
    both = pd.concat([cells, persons], ignore_index=True)
    area = both.groupby("sex", as_index=False)["count"].sum().assign(district="Area")
    return pd.concat([both, area], ignore_index=True)


def _publish_primary_only(truth: pd.DataFrame, rule: str, notes: list[str] | None = None) -> pd.DataFrame:
    """What a naive publisher shows: the rule applied cell by cell, nothing else hidden."""
    below, round_to = attack.thresholds(rule)
    counts = truth["count"].astype(float)
    hidden = (counts > 0) & (counts < below)
    shown = (np.floor(counts / round_to + 0.5) * round_to).where(~hidden)
    display = shown.map(lambda v: "*" if pd.isna(v) else f"{int(v)}")
    return truth.assign(count=shown, count_display=display, value_note=notes or [None] * len(truth))


MARGINS = {"district": "Area", "sex": "Persons"}


def test_attacker_recovers_a_cell_hidden_by_primary_suppression_only() -> None:
    truth = _two_by_two()
    published = _publish_primary_only(truth, "ndtms")
    found = attack.attack_published(truth, published, "count", "ndtms", ["district", "sex"], MARGINS)
    assert [r.label for r in found] == ["district=A, sex=Male"]
    assert found[0].how == "exactly determined" and found[0].lower == found[0].upper == 3


def test_attacker_finds_nothing_once_the_engine_has_protected_the_same_table() -> None:
    truth = _two_by_two()
    protected = disclosure.protect_table(truth, "count", "ndtms", dims=["district", "sex"], margins=MARGINS)
    assert (protected.table["count_display"] == "*").sum() >= 4  # a rectangle at least
    assert attack.attack_table(truth, protected) == []


def test_attacker_uses_bounds_where_linear_algebra_alone_fails() -> None:
    """Five categories of 1 under a shown total of 5: no relation fixes one, bounds fix all."""
    truth = pd.DataFrame({"category": ["all", "a", "b", "c", "d", "e"], "count": [5, 1, 1, 1, 1, 1]})
    published = _publish_primary_only(truth, "ndtms")
    found = attack.attack_published(truth, published, "count", "ndtms", ["category"], {"category": "all"})
    assert [r.label for r in found] == [f"category={c}" for c in "abcde"]
    assert {r.how for r in found} == {"narrowed to under 1"}


def test_attacker_reads_why_a_cell_is_hidden_when_a_table_says_so() -> None:
    """Male *, Female *, Persons 6 with notes telling the small cell from its protector: 1 and 5."""
    truth = pd.DataFrame({"sex": ["Male", "Female", "Persons"], "count": [1, 5, 6]})
    notes = ["Count suppressed: fewer than 5 (NDTMS rule)", "Suppressed to protect another cell", None]
    published = truth.assign(count=[np.nan, np.nan, 6.0], count_display=["*", "*", "6"], value_note=notes)
    found = attack.attack_published(truth, published, "count", "ndtms", ["sex"], {"sex": "Persons"})
    assert [(r.label, r.lower, r.upper) for r in found] == [("sex=Male", 1, 1), ("sex=Female", 5, 5)]
    # the same figures with SUNA's single note give nothing away
    same_note = published.assign(value_note=["Not shown to protect privacy: fewer than 5 people, or hidden so that such a number cannot be worked out"] * 2 + [None])
    assert attack.attack_published(truth, same_note, "count", "ndtms", ["sex"], {"sex": "Persons"}) == []


def test_attacker_handles_hes_rounding_both_ways() -> None:
    """Male 3 (hidden), Female 40, Persons 43 shown as 45: from rounded figures Male is 1 to 7;
    a reader with the unrounded figures (from a rate) gets 3."""
    truth = pd.DataFrame({"sex": ["Male", "Female", "Persons"], "count": [3, 40, 43]})
    published = _publish_primary_only(truth, "hes")
    assert published["count_display"].tolist() == ["*", "40", "45"]
    assert attack.attack_published(truth, published, "count", "hes", ["sex"], {"sex": "Persons"}, rounding_exact=False) == []
    exact = attack.attack_published(truth, published, "count", "hes", ["sex"], {"sex": "Persons"}, rounding_exact=True)
    assert [r.label for r in exact] == ["sex=Male"]


def test_attacker_reports_a_value_shown_beside_a_hidden_count() -> None:
    truth = pd.DataFrame({"sex": ["Male", "Female", "Persons"], "count": [3, 40, 43]})
    protected = disclosure.protect_table(truth, "count", "ndtms", dims=["sex"], margins={"sex": "Persons"})
    leaky = protected.table.assign(value=[1.5, np.nan, np.nan])  # a rate computed from Male's 3
    found = attack.attack_published(truth, leaky, "count", "ndtms", ["sex"], {"sex": "Persons"})
    assert [r.how for r in found] == ["value shown (value)"]


def test_attacker_allows_an_unpublished_remainder() -> None:
    """Districts that do not add up to the area (people with no district): the reader knows only
    that the area is at least their sum, so a lone hidden district is not exactly known."""
    truth = pd.DataFrame({"district": ["A", "B", "Area"], "count": [3, 30, 36]})
    rels = attack.relations(truth, truth["count"].to_numpy(float), ["district"], {"district": "Area"})
    assert rels == [attack.Relation(2, (0, 1), exact=False)]
    published = _publish_primary_only(truth, "ndtms")
    found = attack.attack_published(truth, published, "count", "ndtms", ["district"], {"district": "Area"})
    assert found == []


# ------------------------------------------------------------------------------------------------
# (a) Random tables with margins through protect_table
# ------------------------------------------------------------------------------------------------


def random_table(rng: np.random.Generator, shape: tuple[int, ...]) -> tuple[pd.DataFrame, list[str]]:
    """Inner cells of mixed sizes (some zero, many small) with a Total along every dimension."""
    dims = [f"d{k}" for k in range(len(shape))]
    inner = rng.poisson(rng.choice([1.5, 4.0, 9.0, 25.0]), size=shape).astype(float)
    inner[rng.random(shape) < 0.15] = 0.0
    full = inner
    for axis in range(len(shape)):
        full = np.concatenate([full, full.sum(axis=axis, keepdims=True)], axis=axis)
    labels = [[f"v{i}" for i in range(size)] + ["Total"] for size in shape]
    rows = [
        {**{d: labels[a][i] for a, (d, i) in enumerate(zip(dims, index))}, "count": full[index]}
        for index in itertools.product(*(range(size + 1) for size in shape))
    ]
    return pd.DataFrame(rows), dims


BATCHES = 10
TABLES_PER_BATCH = 25


@pytest.mark.parametrize("batch", range(BATCHES))
def test_random_tables_have_no_recoverable_cell(batch: int) -> None:
    """250 seeded tables: 2-D up to 6 x 5 and 3-D up to 4 x 3 x 3, every rule, both readers."""
    logging.getLogger("suna.disclosure").setLevel(logging.ERROR)  # hidden-zero warnings are expected
    rng = np.random.default_rng(20240 + batch)
    broken, hidden = [], 0
    for i in range(TABLES_PER_BATCH):
        if rng.random() < 0.6:
            shape = (int(rng.integers(2, 7)), int(rng.integers(2, 6)))
        else:
            shape = (int(rng.integers(2, 5)), int(rng.integers(2, 4)), int(rng.integers(2, 4)))
        truth, dims = random_table(rng, shape)
        rule = str(rng.choice(["ndtms", "hes", "ons_deaths"]))
        protected = disclosure.protect_table(truth, "count", rule, dims=dims, margins={d: "Total" for d in dims})
        hidden += int((protected.table["count_display"] == "*").sum())
        for exact in (True, False) if rule == "hes" else (True,):  # the readers differ only on rounding
            found = attack.attack_table(truth, protected, rounding_exact=exact)
            broken += [f"table {i} {shape} {rule}: {r}" for r in found]
    assert broken == []
    assert hidden > 0  # the batch did exercise suppression


# ------------------------------------------------------------------------------------------------
# (b) The indicators table of every sample area: districts and whole area together
# ------------------------------------------------------------------------------------------------


def _area_data(slug: str):  # noqa: ANN202 (AreaData; imported lazily so this module loads without it)
    indicators = pytest.importorskip("suna.indicators")
    del indicators
    from suna import pipeline

    return pipeline.load_area_data(slug)


@pytest.mark.parametrize("slug", SAMPLE_AREAS)
def test_sample_area_indicators_have_no_recoverable_cell(slug: str) -> None:
    data = _area_data(slug)
    raw, table = data.raw_indicators, data.table
    assert (table["count_display"] == "*").any()  # the sample does have small numbers to protect
    districts = set(data.area.district_codes)
    assert districts <= set(raw["area_code"])  # every district is in the linked table
    found = attack.attack_indicators(raw, table, rounding_exact=True)
    assert [str(r) for r in found] == []


def _deaths_only(raw: pd.DataFrame, area) -> pd.DataFrame:
    keep = raw["indicator_id"].eq("drug_misuse_deaths") & raw["area_code"].isin([area.code, *area.district_codes])
    return raw[keep & raw["category_type"].isna()]


def test_attacker_recovers_a_count_from_overlapping_periods_protected_one_at_a_time(monkeypatch) -> None:
    """Worcestershire's rolling 3-year deaths, each period protected on its own: the shared years give
    hidden district counts away (the gap the engine's overlapping-periods check closes)."""
    data = _area_data("worcestershire")
    raw = _deaths_only(data.raw_indicators, data.area)
    monkeypatch.setattr(disclosure.indicator_table, "_protect_overlapping_periods", lambda frame, *args: np.zeros(len(frame), dtype=bool))
    one_at_a_time = disclosure.protect_indicators(raw).table
    found = attack.attack_pooled_periods(raw, one_at_a_time, data.area)
    assert found, "periods protected one at a time should leak through their shared years"
    assert all(r.how in ("exactly determined", "narrowed to under 1") for r in found)


@pytest.mark.parametrize("slug", SAMPLE_AREAS)
def test_overlapping_pooled_periods_give_no_hidden_count_away(slug: str) -> None:
    """Every period of each pooled indicator (deaths; admissions at 15 to 24) attacked at once, with the
    single years as unknowns: counties' districts and the unitaries' MSOAs."""
    data = _area_data(slug)
    found = attack.attack_pooled_periods(data.raw_indicators, data.table, data.area)
    assert [str(r) for r in found] == []


@pytest.mark.parametrize("slug", SAMPLE_AREAS)
def test_sample_area_indicators_pass_the_final_check(slug: str) -> None:
    table = _area_data(slug).table
    disclosure.assert_protected(table)
    if "denominator_display" in table.columns:
        props = table[table["measure"] == "proportion"]
        disclosure.assert_protected(props, count_cols=("count", "denominator"))


# ------------------------------------------------------------------------------------------------
# (c) Every view's table, for every district of one county and one unitary
# ------------------------------------------------------------------------------------------------

_NUMBER = re.compile(r"^-?[\d,]+(\.\d+)?$")
_HIDDEN_MARKS = {"*", "suppressed"}
_NOT_COUNTS = re.compile(r"value|confidence|\bci\b|rate|share|%|per |compared|note|funnel|position|limit", re.I)


def _figure(value: object) -> float | None:
    """A displayed figure: a number, None when hidden, NaN for anything else (text, blank)."""
    if isinstance(value, (int, float, np.integer, np.floating)):
        return float(value)
    text = "" if value is None else str(value).strip()
    if text.lower() in _HIDDEN_MARKS:
        return None
    return float(text.replace(",", "")) if _NUMBER.match(text) else np.nan


def _views():  # noqa: ANN202
    from suna import views

    if not views.REGISTRY:
        pytest.skip("no views are registered yet (suna.views.REGISTRY is empty)")
    return views.REGISTRY


def cross_filter_findings(versions: dict[str, pd.DataFrame], area: str, districts: list[str], places: set[str]) -> list[str]:
    """Hidden district figures that the whole-area view and the other districts' views give back.

    ``versions`` maps the place a view was filtered to (the area, or a district) to its table. A
    count column is one that shows ``*``/"suppressed" somewhere and is not a value, CI or note.
    Rows are matched across versions on the other descriptive columns; the place is the table's
    place column if it has one, else the filter. For each matched row the area figure is the sum
    of the districts' (exactly, when every fully shown row adds up; else at least the sum) and a
    hidden figure is at least 1. A hidden district figure left with under 1 of room (or the only
    hidden one in an exact sum) is recoverable.
    """
    tables = [t for t in versions.values() if t is not None and not t.empty]
    columns = list(dict.fromkeys(c for t in tables for c in t.columns))
    hidden_somewhere = {c for t in tables for c in t.columns if t[c].astype(str).str.strip().str.lower().isin(_HIDDEN_MARKS).any()}
    counts = [c for c in columns if c in hidden_somewhere and not _NOT_COUNTS.search(str(c))]
    place_cols = {c for t in tables for c in t.columns if set(t[c].astype(str)) & places}
    keys = [c for c in columns if c not in counts and c not in place_cols and not _NOT_COUNTS.search(str(c))]
    found: list[str] = []
    for col in counts:
        cells: dict[tuple, dict[str, float | None]] = {}
        for place, table in versions.items():
            if table is None or table.empty or col not in table.columns or any(k not in table.columns for k in keys):
                continue
            own = [c for c in table.columns if c in place_cols]
            for rec in table.to_dict("records"):
                where = next((str(rec[c]) for c in own if str(rec[c]) in places), place)
                cells.setdefault(tuple(str(rec[k]) for k in keys), {})[where] = _figure(rec[col])
        full = [f for f in cells.values() if all(isinstance(f.get(p), float) and not np.isnan(f[p]) for p in [area, *districts])]
        exact = all(abs(f[area] - sum(f[d] for d in districts)) < 1e-9 for f in full)
        for key, figures in cells.items():
            problem = _squeezed(figures, area, districts, exact)
            if problem:
                found.append(f"{col} {dict(zip(keys, key))}: {problem}")
    return found


def _squeezed(figures: dict[str, float | None], area: str, districts: list[str], exact: bool) -> str:
    total = figures.get(area)
    if total is None or np.isnan(total) or any(d not in figures for d in districts):
        return ""  # no whole-area figure shown, or a district never shown: nothing to work from
    hidden = [d for d in districts if figures[d] is None]
    if not hidden or any(figures[d] is not None and np.isnan(figures[d]) for d in districts):
        return ""
    rest = total - sum(figures[d] for d in districts if figures[d] is not None)
    if exact and len(hidden) == 1:
        return f"{hidden[0]} is the whole-area figure less the others ({rest:g})"
    if rest - len(hidden) < 1 - 1e-9:  # each hidden one is 1 .. rest - (k - 1)
        return f"{hidden} are pinned by the whole-area figure ({rest:g} between {len(hidden)})"
    return ""


@pytest.mark.parametrize("slug", ["worcestershire", "halton"])
def test_views_do_not_give_a_hidden_district_figure_away(slug: str) -> None:
    """Switch each view between the whole area and every district: nothing hidden comes back."""
    registry = _views()
    data = _area_data(slug)
    area = data.area
    names = {code: area.area_name(code) for code in area.district_codes}
    places = {area.name, area.code, *names.values(), *names}
    problems: list[str] = []
    for view_name, view_fn in registry.items():
        versions = {area.name: view_fn(data).table}
        versions.update({names[code]: view_fn(data, district=code).table for code in area.district_codes})
        for code_or_name in list(versions):
            table = versions[code_or_name]
            if table is not None and not table.empty:  # codes in a place column read as names
                versions[code_or_name] = table.replace(names)
        problems += [f"{view_name}: {p}" for p in cross_filter_findings(versions, area.name, list(names.values()), places)]
    assert problems == []


def test_cross_filter_check_finds_a_district_given_away() -> None:
    """The check itself: Essex-like area 30, districts A 3 (hidden), B 27 shown in another view."""
    whole = pd.DataFrame({"Area": ["Area", "A", "B"], "Year": ["2023"] * 3, "Count": ["30", "*", "27"]})
    a_view = pd.DataFrame({"Area": ["A"], "Year": ["2023"], "Count": ["*"]})
    b_view = pd.DataFrame({"Area": ["B"], "Year": ["2023"], "Count": ["27"]})
    versions = {"Area": whole, "A": a_view, "B": b_view}
    found = cross_filter_findings(versions, "Area", ["A", "B"], {"Area", "A", "B"})
    assert found == ["Count {'Year': '2023'}: A is the whole-area figure less the others (3)"]
    safe = {"Area": whole.assign(Count=["30", "*", "*"]), "A": a_view, "B": b_view.assign(Count=["*"])}
    assert cross_filter_findings(safe, "Area", ["A", "B"], {"Area", "A", "B"}) == []
