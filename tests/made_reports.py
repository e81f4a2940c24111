"""An area's reports folder as ``suna batch --pdf`` leaves it, for the tests of the app's board pack."""

from __future__ import annotations

import json
from pathlib import Path

from suna.app import pack as app_pack

# A one-page PDF, written out by hand (what matters here is that it is a file the app must pass on unchanged).
PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
       b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n")


def write_reports(folder: Path, area: str, *, data_dir: str = "", period: str = "2023/24", pdf: bytes = PDF) -> Path:
    """An area's reports folder as ``suna batch --pdf`` leaves it: the pack and the overview it was made from."""
    mine = folder / area
    mine.mkdir(parents=True, exist_ok=True)
    (mine / "board-pack.pdf").write_bytes(pdf)
    overview = {"cells": [], "metadata": {"papermill": {"parameters": {"area": area, "data_dir": data_dir, "period": period}}},
                "nbformat": 4, "nbformat_minor": 5}
    (mine / app_pack.OVERVIEW).write_text(json.dumps(overview), encoding="utf-8")
    return mine
