"""SUNA's domain errors and the user-facing wording, in one place.

Every error a user can cause is one of these, with a message that names the file, column,
row or parameter and what was expected. The CLI and the apps show ``str(error)``, never a traceback.
"""

from __future__ import annotations

from typing import Any


class SunaError(Exception):
    """Base of every error a user can cause; its message is safe to show to a board member."""


class UnknownAreaError(SunaError):
    def __init__(self, given: str, known: list[str], kind: str = "area") -> None:
        self.given = given
        self.known = known
        shown = ", ".join(known[:20]) + (" ..." if len(known) > 20 else "")
        super().__init__(f"Unknown {kind} {given!r}. Expected one of: {shown}.")


class ParametersError(SunaError):
    def __init__(self, source: str, key: str, problem: str) -> None:
        self.source = source
        self.key = key
        super().__init__(f"{source}: parameter {key!r} {problem}.")


class ValidationError(SunaError):
    """A table broke its schema. Carries every failing row so nothing is hidden."""

    def __init__(self, table: str, problems: Any, source: str | None = None) -> None:
        self.table = table
        self.problems = problems  # DataFrame: column, row, value, expected
        self.source = source
        super().__init__(self._message())

    def _message(self) -> str:
        where = f"{self.source} ({self.table})" if self.source else f"table {self.table!r}"
        rows = self.problems
        n = len(rows)
        lines = [f"{where}: {n} problem{'s' if n != 1 else ''} found."]
        for rec in rows.head(20).to_dict("records"):
            row = rec.get("row")
            row_txt = f"row {row}" if row is not None and row == row else "whole table"
            value = rec.get("value")
            value_txt = f" value {value!r};" if value is not None and value == value else ""
            lines.append(f"  - {row_txt}, column {rec.get('column')!r}:{value_txt} expected {rec.get('expected')}.")
        if n > 20:
            lines.append(f"  ... and {n - 20} more.")
        return "\n".join(lines)


class DataSourceError(SunaError):
    """A file or download could not be read as what it claims to be."""


class DisclosureError(SunaError):
    """An output tried to leave without passing disclosure control."""
