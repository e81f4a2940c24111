"""The board pack in the app: the PDF that ``suna batch --pdf`` made for the area, offered to a board member.

The app does not print the pack itself: that runs every report of the area (minutes, not a click). It
offers the pack the batch made, and only when that pack was made from the same data folder the app
reads (the reports' own papermill parameters say which), so a board member never downloads figures
that differ from those on the screen. The PDF went through the same disclosure control as the reports.
Sent on request only (a button), as a link the browser saves: nothing is served from the file system.
"""

from __future__ import annotations

import base64
import html
import json
import logging
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from suna.batch import board_pack
from suna.core import paths
from suna.model import formatting as fmt

log = logging.getLogger(__name__)

MAX_BYTES = 20 * 1024 * 1024  # a pack is well under 1 MB; anything this large is not one SUNA made
OVERVIEW = "00_overview.ipynb"  # the report whose parameters say which data the pack was made from


@dataclass(frozen=True)
class PackOffer:
    """What the app can offer for one area: the pack's bytes and the words around it, or why there is none."""

    area_name: str
    pdf: bytes | None = None
    period: str = ""
    made_on: str = ""
    reason: str = ""

    @property
    def available(self) -> bool:
        return self.pdf is not None

    @property
    def file_name(self) -> str:
        return f"board-pack-{'-'.join(self.area_name.lower().split())}.pdf"

    def html(self) -> str:
        """The download link (the PDF inside it), or a sentence saying why there is none."""
        name = html.escape(self.area_name)
        if self.pdf is None:
            return f'<p class="suna-pack" role="status">{html.escape(self.reason)}</p>'
        size = fmt.format_count(round(len(self.pdf) / 1024))
        data = base64.b64encode(self.pdf).decode("ascii")
        label = f"Save the board pack for {name}, {html.escape(fmt.format_period(self.period))} (PDF, {size} KB)"
        return (f'<p class="suna-pack"><a download="{html.escape(self.file_name)}" href="data:application/pdf;base64,{data}">'
                f"{label}</a>. Made on {html.escape(self.made_on)} from the same figures as this app, with the same "
                "protection of small numbers.</p>")


def find_pack(slug: str, area_name: str, data_dir: str | Path = "", reports_dir: Path | None = None) -> PackOffer:
    """The pack ``suna batch --pdf`` made for ``slug``, if it was made from ``data_dir`` (empty: the sample)."""
    reports = Path(reports_dir or paths.reports_dir()) / slug
    pdf_path = reports / board_pack.PACK_NAME
    missing = PackOffer(area_name, reason=f"No board pack has been made for {area_name} from these figures yet: "
                                         "your analysts make it with the reports (suna batch --pdf).")
    if not pdf_path.is_file():
        return missing
    made_from = _parameters(reports / OVERVIEW)
    if made_from is None or _data_folder(made_from.get("data_dir", "")) != _data_folder(data_dir):
        log.info("Board pack %s: not made from the app's data folder; not offered", pdf_path)
        return missing
    pdf = pdf_path.read_bytes()
    if len(pdf) > MAX_BYTES or not pdf.startswith(b"%PDF"):
        log.warning("Board pack %s: not a board pack SUNA made (%d bytes); not offered", pdf_path, len(pdf))
        return missing
    made_on = datetime.fromtimestamp(pdf_path.stat().st_mtime).strftime("%d %B %Y").lstrip("0")
    return PackOffer(area_name, pdf=pdf, period=str(made_from.get("period") or ""), made_on=made_on)


def _parameters(notebook: Path) -> dict[str, Any] | None:
    """The papermill parameters an executed report ran with (None when it cannot be read)."""
    try:
        metadata = json.loads(notebook.read_text(encoding="utf-8")).get("metadata", {})
    except (OSError, ValueError):
        return None
    found = metadata.get("papermill", {}).get("parameters")
    return found if isinstance(found, dict) else None


def _data_folder(data_dir: str | Path) -> Path:
    return (Path(data_dir) if str(data_dir) else paths.sample_dir()).resolve()
