"""The `suna` command line: the one place that prints.

Every error a user can cause arrives as a SunaError and is printed as one message, never a traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from suna.core.errors import SunaError


def _cmd_sample(args: argparse.Namespace) -> int:
    from suna.sources import sample

    written = sample.build_sample(out_dir=Path(args.out) if args.out else None, seed=args.seed, scale=args.scale)
    for table, path in written.items():
        print(f"{table:<20} {path}")
    print(sample.SYNTHETIC_NOTICE)
    return 0


def _cmd_indicators(args: argparse.Namespace) -> int:
    from suna import pipeline
    from suna.model import schemas

    result = pipeline.area_indicators(args.la, period=args.period, data_dir=args.data)
    table = result.table
    if args.csv:
        from suna.sources.store import write_csv

        write_csv(schemas.to_fingertips_layout(table), Path(args.csv))
        print(f"Wrote {len(table):,} rows in the Fingertips CSV layout to {args.csv}")
    else:
        print(pipeline.summary_text(result))
    return 0


def _cmd_batch(args: argparse.Namespace) -> int:
    from suna import batch
    from suna.core import paths
    from suna.core.errors import ParametersError
    from suna.sources import area_registry

    # --area kent --area bristol, or --area kent,bristol
    chosen = [a.strip() for value in (args.area or []) for a in value.split(",") if a.strip()] or None
    params_dir = None
    if chosen and area_registry.ALL_ENGLAND in chosen:
        if len(chosen) > 1:
            raise ParametersError("suna batch", "area", f"{area_registry.ALL_ENGLAND} already runs every authority; give it alone")
        chosen, params_dir = None, area_registry.all_england_params(paths.cache_dir() / "params-all-england")
    result = batch.run_batch(
        areas=chosen,
        params_dir=params_dir,
        jobs=args.jobs,
        force=args.force,
        scheduler=args.scheduler,
        data_dir=args.data,
        out_dir=Path(args.out) if args.out else None,
        warm_kernels=not args.fresh_kernels,
        pdf=args.pdf,
    )
    print(batch.format_summary(result))
    return result.exit_code


def _cmd_app(args: argparse.Namespace) -> int:
    from suna.app import server as app_server

    if args.health_check:
        return app_server.health_check(host=args.host, port=args.port, base_url=args.base_url)
    limits = {"port": (1, 65535), "pool_size": (1, None), "max_kernels": (0, None), "cull_idle": (0, None)}
    for name, (lowest, highest) in limits.items():
        value = getattr(args, name)
        if value < lowest or (highest is not None and value > highest):
            expected = f"from {lowest} to {highest}" if highest else f"{lowest} or more"
            raise SunaError(f"--{name.replace('_', '-')} (or SUNA_APP_{name.upper()}) must be {expected}; got {value}.")
    for area in args.prepare or ():
        from suna.app import widgets

        print(f"suna: drawing every view of {area} for the app…", flush=True)
        print(f"suna: {widgets.prepare(area)} views drawn for {area} (the others were kept already)", flush=True)
    return app_server.serve(
        port=args.port,
        open_browser=not args.no_browser,
        host=args.host,
        base_url=args.base_url,
        pool_size=args.pool_size,
        max_kernels=args.max_kernels,
        cull_idle=args.cull_idle,
        token=args.token or os.environ.get("SUNA_APP_TOKEN") or None,
    )


def _cmd_validate(args: argparse.Namespace) -> int:
    from suna.sources import validation

    code, text = validation.run_validate(Path(args.file), args.kind)
    print(text)
    return code


def _cmd_fetch(args: argparse.Namespace) -> int:
    if args.what == "fingertips":
        from suna.model import schemas
        from suna.sources import fingertips
        from suna.sources.store import write_csv

        ids = [int(x) for x in args.indicators.split(",") if x.strip()]
        table = fingertips.fetch_fingertips(ids, area_type_id=args.area_type, parent_area_type_id=args.parent_area_type)
        out = Path(args.out or f"fingertips_{'_'.join(map(str, ids))}_{args.area_type}.csv")
        write_csv(schemas.to_fingertips_layout(table), out)
        print(f"Wrote {len(table):,} rows to {out}")
        return 0
    if args.what == "census-ethnicity":
        from suna.model import areas
        from suna.sources import ons
        from suna.sources.store import write_csv

        if not (args.file and args.la):
            raise SunaError("`suna fetch census-ethnicity` converts the Census 2021 TS021 file downloaded from Nomis: "
                            "give the file with --file (census2021-ts021-ltla.csv, or -msoa.csv for an area reported by MSOA) "
                            "and the area with --la.")
        area = areas.find_area(args.la)
        table = ons.read_census_ethnicity(Path(args.file), area)
        out = Path(args.out or "population_ethnicity.csv")
        write_csv(table.astype({"population": "int64"}), out)  # Census counts are whole people
        print(f"Wrote {len(table):,} rows ({len(area.districts)} districts of {area.name}, Census 2021) to {out}")
        return 0
    if args.what == "police":
        return _fetch_police(args)
    from suna.sources import shapes

    path = shapes.fetch_shapes(args.layer, out_path=Path(args.out) if args.out else None)
    print(f"Wrote {path}")
    return 0


def _fetch_police(args: argparse.Namespace) -> int:
    """Published drug offences for an area as rows of the crime table (the template's layout)."""
    from suna.model import areas
    from suna.sources import police
    from suna.sources.store import write_csv

    sources = [s for s in (args.csp_url, args.csp_file, args.street_file, args.poly) if s]
    if not args.la or len(sources) != 1:
        raise SunaError("`suna fetch police` needs the area (--la) and one source: --csp-url or --csp-file (the Home Office "
                        "police recorded crime Community Safety Partnership open data table), --street-file (a data.police.uk "
                        "street-level download) or --poly with --months (the data.police.uk API).")
    area = areas.find_area(args.la)
    if args.csp_url:
        table = police.fetch_csp_offences(args.csp_url, area)
    elif args.csp_file:
        table = police.csp_offences(Path(args.csp_file), area)
    elif args.street_file:
        table = police.street_drug_offences(Path(args.street_file), area)
    else:
        months = [m.strip() for m in (args.months or "").split(",") if m.strip()]
        crimes = police.fetch_street_drug_crimes(args.poly, months)
        table = police.street_crime_counts(crimes, area, months)
    out = Path(args.out or f"crime_police_{area.slug}.csv")
    write_csv(table.astype({"count": "int64"}), out)  # counts of crimes are whole
    print(f"Wrote {len(table):,} rows of drug offences for {area.name} to {out} (check with `suna validate {out} --kind crime`)")
    return 0


def _cmd_shapes(args: argparse.Namespace) -> int:
    from suna.model import areas
    from suna.sources import shapes

    for area in areas.load_all_areas() if not args.area else [areas.load_area(a) for a in args.area]:
        layer = shapes.district_layer(area)
        print(f"{area.name:<16} {len(layer):>3} {area.district_type:<45} {layer.attrs.get('bytes', 0):>9,} bytes")
    return 0


def _cmd_areas(args: argparse.Namespace) -> int:
    from suna.core import paths
    from suna.sources import area_registry

    if args.areas_command == "add":
        row = area_registry.match(args.name)
        path = area_registry.write_params(row, force=args.force)
        shown = path.relative_to(paths.project_root()) if path.is_relative_to(paths.project_root()) else path
        print(f"Wrote {shown}: {area_registry.summary(area_registry.params_for(row))}")
        return 0
    table = area_registry.list_authorities()
    if args.csv:
        from suna.sources.store import write_csv

        write_csv(table, Path(args.csv))
        print(f"Wrote {len(table)} English upper-tier authorities to {args.csv}")
        return 0
    shown = table.assign(districts=[f"{n:>3} {area_registry.DISTRICT_KIND[k]}" for n, k in zip(table["districts"], table["district_type"])])
    columns = ["code", "name", "type", "region", "districts"]
    widths = {c: max(len(c), *(len(str(v)) for v in shown[c])) for c in columns}
    lines = ["  ".join(str(rec[c]).ljust(widths[c]) for c in columns).rstrip()
             for rec in [dict(zip(columns, columns)), *shown[columns].to_dict("records")]]
    counts = table["type"].value_counts()
    plural = {"county": "counties", "unitary": "unitaries", "metropolitan district": "metropolitan districts",
              "london borough": "London boroughs"}
    lines.append(f"{len(table)} authorities: " + ", ".join(f"{counts.get(t, 0)} {name}" for t, name in plural.items())
                 + ". Add one with `suna areas add NAME_OR_CODE`.")
    try:
        sys.stdout.write("\n".join(lines) + "\n")
        sys.stdout.flush()
    except BrokenPipeError:  # `suna areas list | head`: the reader has what it wanted
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="suna", description="SUNA: Substance Use Needs Assessment for English local authorities.")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("sample", help="build the embedded synthetic sample data")
    p.add_argument("--out", help="folder to write to (default data/sample)")
    p.add_argument("--seed", type=int, default=2024)
    p.add_argument("--scale", type=float, default=1.0, help="multiply record volumes (benchmarks)")
    p.set_defaults(func=_cmd_sample)

    p = sub.add_parser("indicators", help="print or export the computed indicators for an area")
    p.add_argument("--la", required=True, help="area slug, code or name (params/<area>.yaml)")
    p.add_argument("--period", help="financial year, e.g. 2023/24 (default: the area's)")
    p.add_argument("--data", help="folder of the council's own extracts (default: sample)")
    p.add_argument("--csv", help="write the table to this file in the Fingertips CSV layout")
    p.set_defaults(func=_cmd_indicators)

    p = sub.add_parser("batch", help="run every notebook for every area with papermill and publish HTML reports")
    p.add_argument("--area", action="append",
                   help="only this area (repeatable, or comma-separated); all-england runs every English upper-tier authority")
    p.add_argument("--jobs", type=int, default=None, help="parallel jobs (default: the machine's cores)")
    p.add_argument("--force", action="store_true", help="rerun even what is up to date")
    p.add_argument("--scheduler", help="Dask distributed scheduler address, e.g. tcp://host:8786")
    p.add_argument("--data", help="folder of the council's own extracts for every area")
    p.add_argument("--out", help="reports folder (default reports/)")
    p.add_argument("--fresh-kernels", action="store_true", help="start a new kernel for every notebook (slower; default reuses one per worker)")
    p.add_argument("--pdf", action="store_true",
                   help="also write each area's board pack, reports/<area>/board-pack.pdf (needs chromium and Playwright)")
    p.set_defaults(func=_cmd_batch)

    # Every option can come from the environment (SUNA_APP_HOST, ...), as containers and services set it.
    env = os.environ.get
    p = sub.add_parser("app", help="serve the district explorer with Voilà (on 127.0.0.1 unless --host); see docs/deploy.md")
    p.add_argument("--host", default=env("SUNA_APP_HOST", "127.0.0.1"),
                   help="address to listen on (default 127.0.0.1; 0.0.0.0 for every interface: put a sign-in in front or use --token)")
    p.add_argument("--port", type=int, default=env("SUNA_APP_PORT", "8866"))
    p.add_argument("--base-url", default=env("SUNA_APP_BASE_URL", "/"), help="path prefix behind a reverse proxy, e.g. /suna/")
    p.add_argument("--pool-size", type=int, default=env("SUNA_APP_POOL_SIZE", "1"),
                   help="preheated kernels kept ready for arriving viewers (default 1)")
    p.add_argument("--max-kernels", type=int, default=env("SUNA_APP_MAX_KERNELS", "20"),
                   help="at most this many viewers at once, each with a kernel of about 0.15 GiB once the area's views are drawn "
                        "(0.5 GiB while a kernel draws; preheated ones on top); "
                        "later arrivals get a 'try again' page (default 20; 0 for no limit)")
    p.add_argument("--cull-idle", type=int, metavar="SECONDS", default=env("SUNA_APP_CULL_IDLE", "1800"),
                   help="shut down a viewer's kernel idle this long with no browser connected (default 1800; 0 never)")
    p.add_argument("--token", default=None,
                   help="require this token (?token=... once per browser); better given as SUNA_APP_TOKEN, out of the process list")
    p.add_argument("--no-browser", action="store_true")
    p.add_argument("--prepare", action="append", metavar="AREA",
                   help="before serving, draw every district, section and substance group of AREA's year (params/AREA.yaml), "
                        "so no viewer waits; repeat for more areas")
    p.add_argument("--health-check", action="store_true",
                   help="ask the app running on this machine whether it is ready (exit 0) or not (exit 1)")
    p.set_defaults(func=_cmd_app)

    p = sub.add_parser("validate", help="check a council extract (records, or the partnership's crime figures) or a Fingertips CSV and list every problem")
    p.add_argument("file")
    p.add_argument("--kind", required=True, choices=["treatment", "admissions", "deaths", "population", "population_ethnicity", "crime",
                                                     "prison_releases", "indicators"])
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser("fetch", help="download published data (Fingertips, police recorded crime) or ONS boundaries; convert a Census 2021 download")
    p.add_argument("what", choices=["fingertips", "shapes", "census-ethnicity", "police"])
    p.add_argument("--indicators", default="", help="Fingertips indicator ids, comma separated")
    p.add_argument("--area-type", type=int, default=502, help="Fingertips area type id (502 = counties & UAs from April 2023)")
    p.add_argument("--parent-area-type", type=int, default=None)
    p.add_argument("--layer", default="lad", help="boundary layer for `fetch shapes`: lad or wards")
    p.add_argument("--file", help="for `fetch census-ethnicity`: the TS021 file from the Nomis bulk download")
    p.add_argument("--la", help="for `fetch census-ethnicity` and `fetch police`: area slug, code or name (params/<area>.yaml)")
    p.add_argument("--csp-url", help="for `fetch police`: address of the Home Office CSP open data table (CSV or .xlsx)")
    p.add_argument("--csp-file", help="for `fetch police`: the Home Office CSP open data table, downloaded")
    p.add_argument("--street-file", help="for `fetch police`: a data.police.uk street-level download (YYYY-MM-<force>-street.csv)")
    p.add_argument("--poly", help="for `fetch police`: the area as 'lat,lng:lat,lng:...' for the data.police.uk API")
    p.add_argument("--months", help="for `fetch police --poly`: months, comma separated, e.g. 2024-01,2024-02")
    p.add_argument("--out", help="output file")
    p.set_defaults(func=_cmd_fetch)

    p = sub.add_parser("shapes", help="build the offline district boundary cache from the shipped ONS geometry")
    p.add_argument("--area", action="append")
    p.set_defaults(func=_cmd_shapes)

    p = sub.add_parser("areas", help="list England's upper-tier authorities, or add one as params/<area>.yaml")
    areas_sub = p.add_subparsers(dest="areas_command", required=True)
    q = areas_sub.add_parser("list", help="every English upper-tier authority: code, name, type, region, districts")
    q.add_argument("--csv", help="write the list to this CSV file instead")
    q.set_defaults(func=_cmd_areas)
    q = areas_sub.add_parser("add", help="write params/<area>.yaml for an authority from the ONS lookups")
    q.add_argument("name", metavar="NAME_OR_CODE", help="authority name or ONS code, e.g. 'Kent', 'Bristol', E08000010")
    q.add_argument("--force", action="store_true", help="replace the params file if it exists")
    q.set_defaults(func=_cmd_areas)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        return int(args.func(args) or 0)
    except SunaError as exc:
        print(f"suna: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("suna: interrupted; outputs already written are left as they were.", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
