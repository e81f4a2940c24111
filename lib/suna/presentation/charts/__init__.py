"""Altair charts for SUNA: trend, compare areas, funnel, spine, tartan rug, shares, pyramid, flows, cascade.

One module per kind of chart: ``trends`` (an indicator over time; counts by category over years),
``bars`` (areas compared; one place broken down), ``funnel``, ``spine`` (area profile and tartan rug),
``shares`` (share bars, pyramid, flows, cascade); ``base`` holds what they share. The public names
are all here, so ``from suna import charts`` and ``charts.trend_chart(...)`` read as before. What a caller
chooses for any chart (title, source, footnote, palette, disclosure rule, size) is one ``ChartOptions``,
passed as ``options=``.

Every chart here:
- refuses a frame that has not passed disclosure control (``suna.disclosure.assert_protected``);
- shows suppressed values as the word "suppressed" (or "*" in a dense grid), never as zero or a gap
  without explanation;
- carries a title and, as its subtitle, the source, the period and the suppression footnote;
- has a tooltip on every mark, with numbers formatted by ``suna.model.formatting``;
- uses colour-blind-safe colours and never colour alone (legend words, tooltips, outlines, labels).

Colours. Fingertips' own significance colours (better #92D050, similar #FFC000, worse #C00000;
lower #5555E6, higher #C2CCFF for "no judgement") are available as ``palette="fingertips"``, but
simulated protanopia (Machado et al. 2009) brings its better and similar within a CIELAB ΔE of 15,
and three of them fall below WCAG 2.1's 3:1 contrast for graphics on white. The default
``palette="accessible"`` keeps the familiar meaning (green-ish better, amber similar, red worse, blue
lower, orange higher) with colours from ColorBrewer (Brewer 2003) and the Government Analysis
Function's chart palette: every pair stays at ΔE ≥ 21 under simulated protanopia, deuteranopia and
tritanopia, and every mark gets a dark outline so the light "similar" and "not compared" fills
still meet 3:1 against the page.
"""

from __future__ import annotations

from suna.presentation.charts.bars import breakdown_chart, compare_areas_chart
from suna.presentation.charts.base import (CAPTION_KEY, CATEGORICAL, DEFAULT_SOURCE, ENGLAND_CODE, OUTLINE, PALETTES,
                                           PRIVACY_WORDS, SEQUENTIAL, SERIES_COLOURS, SERIES_DASHES, ChartOptions,
                                           assert_protected, caption, stack_charts)
from suna.presentation.charts.funnel import FUNNEL_LIMITS, funnel_chart
from suna.presentation.charts.shares import cascade_chart, flow_chart, population_pyramid, share_chart
from suna.presentation.charts.spine import (LATEST_EACH, NARROW_LABEL_CHARS, RUG_COLUMNS, RUG_NARROW_COLUMNS,
                                            SPINE_DOMAIN, SPREAD_COLUMNS, overview_rug, spine_chart)
from suna.presentation.charts.trends import category_trend_chart, trend_chart

__all__ = [
    "CAPTION_KEY", "CATEGORICAL", "ChartOptions", "DEFAULT_SOURCE", "ENGLAND_CODE", "FUNNEL_LIMITS", "LATEST_EACH", "NARROW_LABEL_CHARS",
    "OUTLINE", "PALETTES", "PRIVACY_WORDS", "RUG_COLUMNS", "RUG_NARROW_COLUMNS", "SEQUENTIAL", "SERIES_COLOURS",
    "SERIES_DASHES", "SPINE_DOMAIN", "SPREAD_COLUMNS", "assert_protected", "breakdown_chart", "caption", "cascade_chart",
    "category_trend_chart", "compare_areas_chart", "flow_chart", "funnel_chart", "overview_rug", "population_pyramid",
    "share_chart", "spine_chart", "stack_charts", "trend_chart",
]
