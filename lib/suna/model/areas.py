"""Areas: England -> region -> upper tier (county / unitary / metropolitan district) -> district.

An area is defined by its ``params/<area>.yaml``; this module loads and validates it into one typed
object, and resolves districts by code or name with a clear error for anything unknown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from suna.core import paths
from suna.core.errors import ParametersError, UnknownAreaError
from suna.model.periods import start_year

ENGLAND_CODE = "E92000001"
ENGLAND_NAME = "England"
AREA_TYPES = ("county", "unitary", "metropolitan district", "london borough")
# ONS GSS entity codes: E10 county, E06 unitary, E08 metropolitan district, E09 London borough, E12 region.
GSS_ENTITY = {"county": "E10", "unitary": "E06", "metropolitan district": "E08", "london borough": "E09", "region": "E12"}


@dataclass(frozen=True)
class District:
    code: str
    name: str


@dataclass(frozen=True)
class Area:
    """One local authority as SUNA reports on it."""

    slug: str
    code: str
    name: str
    type: str
    region_code: str
    region_name: str
    district_type: str
    districts: tuple[District, ...]
    comparators: tuple[str, ...] = (ENGLAND_CODE,)
    period: str = "2023/24"
    data_dir: str = ""
    localities: tuple[Any, ...] = ()  # how small areas are grouped for reporting (suna.sources.localities)
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def is_county(self) -> bool:
        return self.type == "county"

    @property
    def district_codes(self) -> list[str]:
        return [d.code for d in self.districts]

    def district(self, code_or_name: str) -> District:
        """The district with this code or name (case and spaces forgiven)."""
        key = str(code_or_name).strip().casefold()
        for d in self.districts:
            if key in (d.code.casefold(), d.name.casefold()):
                return d
        raise UnknownAreaError(str(code_or_name), [d.name for d in self.districts], kind=f"district of {self.name}")

    def district_names(self) -> dict[str, str]:
        return {d.code: d.name for d in self.districts}

    def hierarchy(self) -> pd.DataFrame:
        """One row per area SUNA reports for this authority, with its parent and level."""
        rows = [
            {"area_code": ENGLAND_CODE, "area_name": ENGLAND_NAME, "area_level": "england", "parent_code": None},
            {"area_code": self.region_code, "area_name": self.region_name, "area_level": "region", "parent_code": ENGLAND_CODE},
            {"area_code": self.code, "area_name": self.name, "area_level": "upper_tier", "parent_code": self.region_code},
        ]
        rows += [
            {"area_code": d.code, "area_name": d.name, "area_level": "district", "parent_code": self.code}
            for d in self.districts
        ]
        return pd.DataFrame(rows)

    def area_name(self, code: str) -> str:
        """The official name of any area in this authority's hierarchy."""
        names = dict(zip(self.hierarchy()["area_code"], self.hierarchy()["area_name"]))
        if code not in names:
            raise UnknownAreaError(code, list(names), kind=f"area code in {self.name}'s hierarchy")
        return names[code]


def _localities(spec: Any, source: str, districts: Sequence[District]) -> tuple[Any, ...]:
    """The ``localities`` parameter (``suna.sources.localities``) as a hashable spec: () for none, else ("min_population", N) or
    ("groups", ((name, (codes, ...)), ...)). Every error names the parameter and what was expected."""
    if spec in (None, "", {}):
        return ()
    if not isinstance(spec, Mapping) or len(spec) != 1 or next(iter(spec)) not in ("min_population", "groups"):
        raise ParametersError(source, "localities", "must be a mapping with one key: min_population (a number of residents) "
                                                   "or groups (locality name: list of small-area codes)")
    if "min_population" in spec:
        value = spec["min_population"]
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ParametersError(source, "localities.min_population", f"is {value!r}; expected a whole number of residents above 0")
        return ("min_population", value)
    groups = spec["groups"]
    if not isinstance(groups, Mapping) or not groups:
        raise ParametersError(source, "localities.groups", "must map each locality's name to a list of small-area codes")
    known = {d.code for d in districts} | {d.name for d in districts}
    by_name = {d.name: d.code for d in districts}
    seen: dict[str, str] = {}
    parsed = []
    for name, members in groups.items():
        if not isinstance(members, list) or not members:
            raise ParametersError(source, f"localities.groups.{name}", "must be a non-empty list of small-area codes")
        codes = []
        for m in map(str, members):
            if m not in known:
                raise ParametersError(source, f"localities.groups.{name}", f"lists {m!r}, which is not one of area_definition.districts")
            code = by_name.get(m, m)
            if code in seen:
                raise ParametersError(source, f"localities.groups.{name}", f"lists {m!r}, already in locality {seen[code]!r}")
            seen[code] = str(name)
            codes.append(code)
        parsed.append((str(name), tuple(codes)))
    left = [d.code for d in districts if d.code not in seen]
    if left:
        raise ParametersError(source, "localities.groups", f"leaves out {', '.join(left[:10])}; expected every small area in one locality")
    return ("groups", tuple(parsed))


def available_areas() -> list[str]:
    """Slugs of every area with a params file."""
    return sorted(p.stem for p in paths.params_dir().glob("*.yaml"))


def params_path(slug: str) -> Path:
    path = paths.params_dir() / f"{slug}.yaml"
    if not path.exists():
        raise UnknownAreaError(slug, available_areas(), kind="local authority (params/<area>.yaml)")
    return path


def read_params(slug_or_path: str | Path) -> dict[str, Any]:
    """The raw parameters mapping of an area, from its slug or a YAML path."""
    path = Path(slug_or_path)
    if path.suffix not in (".yaml", ".yml"):
        path = params_path(str(slug_or_path))
    try:
        with open(path, encoding="utf-8") as fh:
            raw = yaml.safe_load(fh)
    except yaml.YAMLError as exc:
        raise ParametersError(str(path), "(file)", f"is not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise ParametersError(str(path), "(file)", "must be a mapping of parameter names to values")
    return raw


def area_from_params(raw: dict[str, Any], source: str = "parameters") -> Area:
    """Validate a parameters mapping (as in params/<area>.yaml) into an Area."""
    for key in ("area", "area_definition"):
        if key not in raw:
            raise ParametersError(source, key, "is missing")
    definition = raw["area_definition"]
    if not isinstance(definition, dict):
        raise ParametersError(source, "area_definition", "must be a mapping")
    for key in ("code", "name", "type", "region_code", "region_name", "districts"):
        if key not in definition:
            raise ParametersError(source, f"area_definition.{key}", "is missing")
    if definition["type"] not in AREA_TYPES:
        raise ParametersError(source, "area_definition.type", f"is {definition['type']!r}; expected one of {', '.join(AREA_TYPES)}")
    for key, kind in (("code", definition["type"]), ("region_code", "region")):
        code = str(definition[key])
        if not (len(code) == 9 and code.startswith(GSS_ENTITY[kind]) and code[3:].isdigit()):
            raise ParametersError(source, f"area_definition.{key}", f"is {code!r}; expected the ONS code of a {kind}, {GSS_ENTITY[kind]} and 6 digits")
    districts = definition["districts"]
    if not isinstance(districts, list) or not districts:
        raise ParametersError(source, "area_definition.districts", "must be a non-empty list of {code, name}")
    parsed = []
    for i, d in enumerate(districts):
        if not isinstance(d, dict) or not d.get("code") or not d.get("name"):
            raise ParametersError(source, f"area_definition.districts[{i}]", "must have a code and a name")
        parsed.append(District(str(d["code"]), str(d["name"])))
    codes = [d.code for d in parsed]
    dupes = sorted({c for c in codes if codes.count(c) > 1})
    if dupes:
        raise ParametersError(source, "area_definition.districts", f"lists {', '.join(dupes)} more than once")
    period = str(raw.get("period", "2023/24"))
    start_year(period, source)  # a financial year, or the message naming the params file
    return Area(
        slug=str(raw["area"]),
        code=str(definition["code"]),
        name=str(definition["name"]),
        type=str(definition["type"]),
        region_code=str(definition["region_code"]),
        region_name=str(definition["region_name"]),
        district_type=str(definition.get("district_type", "district")),
        districts=tuple(parsed),
        comparators=tuple(definition.get("comparators", [ENGLAND_CODE, definition["region_code"]])),
        period=period,
        data_dir=str(raw.get("data_dir") or ""),
        localities=_localities(definition.get("localities"), source, parsed),
    )


def load_area(slug_or_path: str | Path, definition: dict[str, Any] | None = None) -> Area:
    """Load and validate an area from its slug (params/<slug>.yaml), a YAML path, or a mapping.

    Notebooks call this first so a wrong parameter fails early with SUNA's own message.
    """
    if definition:
        return area_from_params({"area": str(slug_or_path), "area_definition": definition}, source="area_definition parameter")
    raw = read_params(slug_or_path)
    return area_from_params(raw, source=str(params_path(str(slug_or_path)) if Path(str(slug_or_path)).suffix == "" else slug_or_path))


def load_all_areas() -> list[Area]:
    return [load_area(slug) for slug in available_areas()]


def find_area(code_or_name: str) -> Area:
    """The SUNA area whose slug, GSS code or name matches (case forgiven)."""
    key = str(code_or_name).strip().casefold()
    for area in load_all_areas():
        if key in (area.slug.casefold(), area.code.casefold(), area.name.casefold()):
            return area
    raise UnknownAreaError(str(code_or_name), available_areas(), kind="local authority")
