"""Robust reading of the files people actually have: CSV in any common encoding, Excel with title rows.

Councils export extracts from case-management systems and Excel, so a file may be Windows-1252 or
UTF-8 with a byte-order mark, may have a title or two above the header, blank lines at the end, or
dates stored as Excel dates. This module turns any of them into a table of *text* cells whose index
is the file's own row number (the header is the row it sits on; for a plain CSV the header is row 1
and the first data row is row 2), so every later message can point at a row the user can find.
It never modifies the file and refuses files over a size limit *before* reading them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from suna.core.errors import DataSourceError

log = logging.getLogger(__name__)

DEFAULT_MAX_INPUT_MB = 500.0
MAX_INPUT_ENV = "SUNA_MAX_INPUT_MB"
HEADER_SEARCH_ROWS = 20
TEXT_SUFFIXES = (".csv", ".txt", ".tsv")
EXCEL_SUFFIXES = (".xlsx", ".xlsm")
PARQUET_SUFFIXES = (".parquet", ".pq")
SUPPORTED_SUFFIXES = TEXT_SUFFIXES + EXCEL_SUFFIXES + PARQUET_SUFFIXES


class InputTooLargeError(DataSourceError):
    """A file is over the configured input size limit (refused before it is read)."""


@dataclass
class RawTable:
    """A file read as text cells, before any meaning is given to them.

    ``frame`` holds strings (missing cells are ``None``) indexed by file row number;
    ``header_row`` is the file row the column headings were found on; ``problems`` are
    structural problems (a row with too many or too few values) as dicts with row, column,
    value, expected; ``notes`` are things the user should know (encoding guessed, title rows skipped).
    """

    path: Path
    frame: pd.DataFrame
    header_row: int
    encoding: str | None = None
    sheet: str | None = None
    notes: list[str] = field(default_factory=list)
    problems: list[dict] = field(default_factory=list)
    title_lines: list[str] = field(default_factory=list)


def normalise_name(name: object) -> str:
    """A column heading reduced to lower-case words joined by '_' ("Age at start " -> "age_at_start")."""
    text = "" if name is None else str(name)
    text = text.replace("\ufeff", "").strip().casefold()
    return re.sub(r"[^0-9a-z+]+", "_", text).strip("_")


def max_input_bytes(max_mb: float | None = None) -> int:
    """The input size limit in bytes: the argument, else $SUNA_MAX_INPUT_MB, else 500 MB."""
    if max_mb is None:
        raw = os.environ.get(MAX_INPUT_ENV)
        if raw:
            try:
                max_mb = float(raw)
            except ValueError:
                raise DataSourceError(
                    f"The environment variable {MAX_INPUT_ENV} is {raw!r}; expected a number of megabytes such as 500."
                ) from None
        else:
            max_mb = DEFAULT_MAX_INPUT_MB
    if max_mb <= 0:
        raise DataSourceError(f"The input size limit must be a positive number of megabytes, not {max_mb}.")
    return int(max_mb * 1024 * 1024)


def check_input_file(path: Path, max_mb: float | None = None) -> int:
    """Refuse a missing, empty, unsupported or too-large file before reading a byte of it; return its size."""
    path = Path(path)
    if not path.exists():
        raise DataSourceError(f"File not found: {path}.")
    if path.is_dir():
        raise DataSourceError(f"{path} is a folder; expected a file.")
    suffix = path.suffix.lower()
    if suffix == ".xls":
        raise DataSourceError(
            f"{path.name} is an old-style Excel file (.xls), which SUNA does not read: open it in Excel and save it as .xlsx or CSV."
        )
    if suffix not in SUPPORTED_SUFFIXES:
        raise DataSourceError(
            f"{path.name}: SUNA reads {', '.join(SUPPORTED_SUFFIXES)} files; this file ends in {suffix or '(nothing)'!r}."
        )
    size = path.stat().st_size
    limit = max_input_bytes(max_mb)
    if size > limit:
        raise InputTooLargeError(
            f"{path.name} is {_human_size(size)}, over SUNA's input limit of {_human_size(limit)}. "
            f"Split it (for example by year), or raise the limit by setting {MAX_INPUT_ENV} to a larger number of megabytes."
        )
    if size == 0:
        raise DataSourceError(f"{path.name} is empty (0 bytes): expected a header row and at least one data row.")
    return size


def _human_size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / 1024 / 1024:,.1f} MB"
    if n >= 1024:
        return f"{n / 1024:,.1f} KB"
    return f"{n:,} bytes"


def decode_text(data: bytes, name: str) -> tuple[str, str, list[str]]:
    """Bytes -> text, trying UTF-8 (with or without BOM) and then Windows-1252; refuse mixtures.

    Returns the text, the encoding used and notes for the user.
    """
    if b"\x00" in data[:4096]:
        raise DataSourceError(
            f"{name} is not a text file (it contains binary data; is it a spreadsheet or UTF-16 file saved with the wrong ending?). "
            "Save it as CSV UTF-8 or as .xlsx."
        )
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "utf-8-sig", []
        except UnicodeDecodeError as exc:
            line = data[: 3 + exc.start].count(b"\n") + 1
            raise DataSourceError(
                f"{name} starts as UTF-8 but line {line} is not valid UTF-8 (the file mixes encodings). "
                "Open it in a spreadsheet and save it again as CSV UTF-8."
            ) from None
    try:
        return data.decode("utf-8"), "utf-8", []
    except UnicodeDecodeError as exc:
        bad_line = data[: exc.start].count(b"\n") + 1
    # Not UTF-8. A Windows-1252 file has no valid multi-byte UTF-8 sequences; a mixture has both.
    utf8_seq = re.search(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}", data)
    if utf8_seq is not None:
        good_line = data[: utf8_seq.start()].count(b"\n") + 1
        raise DataSourceError(
            f"{name} mixes text encodings: line {good_line} is UTF-8 but line {bad_line} is not (probably Windows-1252). "
            "Open it in a spreadsheet and save it again as CSV UTF-8."
        )
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        raise DataSourceError(
            f"{name}: line {bad_line} is neither UTF-8 nor Windows-1252 text. Save the file again as CSV UTF-8."
        ) from None
    note = f"{name} is not UTF-8; read it as Windows-1252 (the usual Excel 'CSV' encoding on Windows)."
    log.warning(note)
    return text, "cp1252", [note]


def _cell_text(value: object) -> str | None:
    """An Excel or Parquet cell as the text a user would type ("2023-04-01" for a date, "34" for 34.0)."""
    try:
        if value is None or bool(pd.isna(value)):
            return None
    except (TypeError, ValueError):  # a list or array in a cell: not a missing value
        pass
    if isinstance(value, dt.datetime):
        if (value.hour, value.minute, value.second, value.microsecond) == (0, 0, 0, 0):
            return value.strftime("%Y-%m-%d")
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value)
    return text if text.strip() != "" else None


def find_header_row(rows: list[list[str | None]], score: Callable[[list[str | None]], int]) -> int:
    """Index (0-based) of the header among the first rows: the row that best matches the expected names.

    Title rows above a header ("Treatment episodes, Essex, 2023/24") score nothing; ties go to the
    earliest row; with no match at all the first non-empty row is the header.
    """
    best, best_score = None, 0
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        s = score(row)
        if s > best_score:
            best, best_score = i, s
    if best is not None and best_score >= 2:
        return best
    for i, row in enumerate(rows):
        if any(c not in (None, "") for c in row):
            return i
    return 0


def _build(
    path: Path,
    rows: list[list[str | None]],
    row_numbers: list[int],
    score: Callable[[list[str | None]], int],
    flag_short_rows: bool = True,
) -> tuple[pd.DataFrame, int, list[dict], list[str], list[str]]:
    """Rows of cells -> text frame indexed by file row, plus structural problems and skipped title lines."""
    if not rows or all(all(c in (None, "") for c in r) for r in rows):
        raise DataSourceError(f"{path.name} has no content: expected a header row and at least one data row.")
    h = find_header_row(rows, score)
    header_cells = [("" if c is None else str(c)).replace("\ufeff", "").strip() for c in rows[h]]
    while header_cells and header_cells[-1] == "":
        header_cells.pop()
    titles = [" ".join(str(c) for c in r if c not in (None, "")) for r in rows[:h]]
    titles = [t for t in titles if t]
    problems: list[dict] = []
    seen: dict[str, int] = {}
    names = []
    for j, name in enumerate(header_cells):
        if name == "":
            name = f"(unnamed column {j + 1})"
        key = name.casefold()
        if key in seen:
            problems.append({"row": row_numbers[h], "column": name, "value": name,
                             "expected": "each column heading to appear once (this heading is repeated)"})
            name = f"{name} ({j + 1})"
        seen[key] = j
        names.append(name)
    width = len(names)
    data, index = [], []
    for r, n in zip(rows[h + 1:], row_numbers[h + 1:]):
        if all(c in (None, "") for c in r):
            continue  # blank lines (often at the end of an export) carry nothing
        cells = list(r)
        extra = [c for c in cells[width:] if c not in (None, "")]
        if extra:
            problems.append({"row": n, "column": "(whole row)", "value": ", ".join(str(c) for c in extra[:3]),
                             "expected": f"{width} values like the header; this row has {width + len(extra)} (an unquoted comma?)"})
        elif len(cells) < width and flag_short_rows:
            problems.append({"row": n, "column": "(whole row)", "value": None,
                             "expected": f"{width} values like the header; this row has {len(cells)} (is the file cut short or a line broken?)"})
        cells = (cells + [None] * width)[:width]
        data.append([None if c is None or str(c).strip() == "" else str(c) for c in cells])
        index.append(n)
    frame = pd.DataFrame(data, columns=names, index=pd.Index(index, name="row"), dtype=object)
    return frame, row_numbers[h], problems, titles, names


def read_raw_table(
    path: Path | str,
    score: Callable[[list[str | None]], int],
    max_mb: float | None = None,
    sheet_hint: Iterable[str] = (),
) -> RawTable:
    """Read a CSV, Excel or Parquet file as text cells indexed by file row number.

    Args:
        path: the file; never modified.
        score: how well a row looks like the expected header (count of known column names);
            used to skip title rows above the header.
        max_mb: size limit in megabytes (default $SUNA_MAX_INPUT_MB or 500); checked before reading.
        sheet_hint: words that name the wanted sheet in a workbook ("treatment").

    Raises:
        DataSourceError: missing, empty, too large, unreadable, truncated or wrongly encoded files.
    """
    path = Path(path)
    check_input_file(path, max_mb)
    suffix = path.suffix.lower()
    if suffix in PARQUET_SUFFIXES:
        return _read_parquet(path)
    if suffix in EXCEL_SUFFIXES:
        return _read_excel(path, score, list(sheet_hint))
    return _read_text(path, score)


def _read_text(path: Path, score: Callable[[list[str | None]], int]) -> RawTable:
    data = path.read_bytes()
    text, encoding, notes = decode_text(data, path.name)
    if text.strip() == "":
        raise DataSourceError(f"{path.name} has no content (only blank space): expected a header row and at least one data row.")
    sample = "\n".join(text.splitlines()[:HEADER_SEARCH_ROWS])
    delimiter = ","
    if path.suffix.lower() == ".tsv":
        delimiter = "\t"
    else:
        counts = {d: sample.count(d) for d in (",", ";", "\t", "|")}
        if counts[","] == 0 and max(counts.values()) > 0:
            delimiter = max(counts, key=counts.get)
            notes.append(f"{path.name} uses {delimiter!r} between values instead of commas.")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows: list[list[str | None]] = []
    numbers: list[int] = []
    start = 1
    try:
        for record in reader:
            rows.append(list(record))
            numbers.append(start)
            start = reader.line_num + 1
    except csv.Error as exc:
        raise DataSourceError(
            f"{path.name}, line {reader.line_num}: the file cannot be read as CSV ({exc}); "
            "it may be cut short (a quote never closed) or damaged. Export it again."
        ) from None
    frame, header_row, problems, titles, _ = _build(path, rows, numbers, score)
    if titles:
        notes.append(f"{path.name}: skipped {len(titles)} title line(s) above the header on row {header_row}.")
    if not text.endswith(("\n", "\r")) and len(frame) and problems and problems[-1]["row"] == frame.index[-1]:
        problems[-1]["expected"] += "; the file does not end with a line break, so it may be truncated"
    return RawTable(path, frame, header_row, encoding=encoding, notes=notes, problems=problems, title_lines=titles)


def _read_excel(path: Path, score: Callable[[list[str | None]], int], sheet_hint: list[str]) -> RawTable:
    import zipfile

    from openpyxl import load_workbook

    try:
        wb = load_workbook(path, data_only=True)  # not read-only: merged cells must be visible
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise DataSourceError(f"{path.name} cannot be opened as an Excel workbook ({exc.__class__.__name__}): is it damaged or truncated? Save it again as .xlsx.") from None
    try:
        sheets = wb.worksheets
        candidates = []
        for ws in sheets:
            rows = [[_cell_text(c) for c in r] for r in ws.iter_rows(values_only=True)]
            head = rows[:HEADER_SEARCH_ROWS]
            best = max((score(r) for r in head), default=0)
            named = any(h.casefold() in ws.title.casefold() for h in sheet_hint)
            candidates.append((best + (100 if named and best >= 2 else 0), ws, rows))
        _, ws, rows = max(candidates, key=lambda c: c[0])  # max keeps the first of equals
        numbers = list(range(1, len(rows) + 1))
        frame, header_row, problems, titles, names = _build(path, rows, numbers, score, flag_short_rows=False)
        notes = []
        if len(sheets) > 1:
            notes.append(f"{path.name}: read sheet {ws.title!r} (of {len(sheets)}).")
        if titles:
            notes.append(f"{path.name}: skipped {len(titles)} title row(s) above the header on row {header_row}.")
        for rng in ws.merged_cells.ranges:
            if rng.max_row >= header_row:
                problems.append({
                    "row": rng.min_row, "column": "(merged cells)", "value": str(rng.coord),
                    "expected": "no merged cells in the header or data: unmerge them so every row has its own value in every column",
                })
        return RawTable(path, frame, header_row, sheet=ws.title, notes=notes, problems=problems, title_lines=titles)
    finally:
        wb.close()


def _read_parquet(path: Path) -> RawTable:
    try:
        table = pd.read_parquet(path)
    except Exception as exc:  # pyarrow raises several unrelated types for a damaged file
        raise DataSourceError(f"{path.name} cannot be read as Parquet ({exc.__class__.__name__}: {exc}).") from None
    index = pd.Index(range(2, len(table) + 2), name="row")
    frame = pd.DataFrame({str(c): pd.Series([_cell_text(v) for v in table[c].tolist()], index=index, dtype=object)
                          for c in table.columns}, index=index)
    if frame.empty:
        raise DataSourceError(f"{path.name} has columns but no data rows.")
    return RawTable(path, frame, 1, notes=[f"{path.name}: Parquet has no row numbers; rows are counted from 2 as if the header were row 1."])
