"""The app's board pack: offered only when the batch made it from the data the app shows."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest
from made_reports import PDF, write_reports

from suna.app import pack as app_pack
from suna.core import paths


def _link(markup: str) -> tuple[str, bytes]:
    found = re.search(r'<a download="([^"]+)" href="data:application/pdf;base64,([^"]+)">', markup)
    assert found, markup[:300]
    return found.group(1), base64.b64decode(found.group(2))


def test_the_pack_made_from_the_apps_data_is_offered_whole_with_its_year(tmp_path):
    write_reports(tmp_path, "halton")
    offer = app_pack.find_pack("halton", "Halton", "", reports_dir=tmp_path)
    assert offer.available and offer.period == "2023/24"
    name, pdf = _link(offer.html())
    assert name == "board-pack-halton.pdf" and pdf == PDF
    assert "Save the board pack for Halton, 2023/24 (PDF, 0 KB)" in offer.html()
    assert "same protection of small numbers" in offer.html()


def test_a_pack_made_from_other_data_is_not_offered(tmp_path):
    council = tmp_path / "council-extract"
    council.mkdir()
    write_reports(tmp_path, "halton", data_dir=str(council))
    offer = app_pack.find_pack("halton", "Halton", "", reports_dir=tmp_path)  # the app shows the sample
    assert not offer.available and "href" not in offer.html()
    assert offer.html().startswith('<p class="suna-pack" role="status">No board pack has been made for Halton from these figures')
    # the same folder named another way is the same data
    assert app_pack.find_pack("halton", "Halton", str(council / ".." / "council-extract"), reports_dir=tmp_path).available


def test_the_sample_named_as_a_folder_is_the_sample(tmp_path):
    write_reports(tmp_path, "sefton", data_dir=str(paths.sample_dir()))
    assert app_pack.find_pack("sefton", "Sefton", "", reports_dir=tmp_path).available


@pytest.mark.parametrize("damage", ["no pack", "no overview", "not a pdf", "unreadable overview"])
def test_what_is_not_a_pack_made_from_these_data_is_never_offered(tmp_path, damage):
    mine = write_reports(tmp_path, "essex", pdf=b"<html>not a pdf</html>" if damage == "not a pdf" else PDF)
    if damage == "no pack":
        (mine / "board-pack.pdf").unlink()
    elif damage == "no overview":
        (mine / app_pack.OVERVIEW).unlink()
    elif damage == "unreadable overview":
        (mine / app_pack.OVERVIEW).write_text("{not json", encoding="utf-8")
    offer = app_pack.find_pack("essex", "Essex", "", reports_dir=tmp_path)
    assert not offer.available and "Essex" in offer.reason and "suna batch --pdf" in offer.reason


def test_the_reports_folder_can_be_moved_for_a_service(tmp_path, monkeypatch):
    monkeypatch.setenv("SUNA_REPORTS_DIR", str(tmp_path))
    write_reports(tmp_path, "halton")
    assert paths.reports_dir() == tmp_path.resolve()
    assert app_pack.find_pack("halton", "Halton", "").available
