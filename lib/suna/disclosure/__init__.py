"""Disclosure control: the one engine every SUNA output passes through before anyone sees it.

Small counts are suppressed by the rule of the source they come from (thresholds live in
``data/reference/disclosure_rules.yaml``): NDTMS-derived counts 1-4, HES-derived counts 1-7 (other
HES counts rounded to the nearest 5), ONS death counts 1-2. Rates are not calculated under the
ONS/PHE minimum counts and flagged as unreliable under 20 events.

Primary suppression alone is not enough: a hidden cell can be worked out from a total and the cells
beside it. So the caller declares how the table adds up (its dimensions and which values of a
dimension are totals of others) and the engine adds secondary (complementary) suppression until no
hidden cell can be worked out. It first makes sure that no additive relation has exactly one
hidden member (the classic "suppress the next smallest cell in the row/column" rule, iterated
until stable), then audits the whole table (``suna.disclosure.secondary``): each hidden cell's smallest and
largest value consistent with everything shown, by linear programming. While any interval is under
1 wide (a cell exactly determined has width 0), one more cell of a relation it is in is hidden
(Cox 1980, "Suppression methodology and statistical disclosure control", JASA 75:377-385;
Hundepool et al. 2012, "Statistical Disclosure Control", ch. 4).

Choices, stated once:

* A true zero is shown (the NDTMS, HES and ONS rules do not suppress zeros). Zeros are not used as
  complementary cells unless nothing else is left (a warning is logged): a hidden zero protects
  nothing against a reader who guesses it is an impossible combination, and with non-negativity a
  ring of hidden zeros can pin a small cell down exactly.
* The audit uses what a reader knows beyond the sums: zeros are shown, so a hidden count is at
  least 1 (a total of 5 over five hidden categories gives each away), and a remainder has a sign.
* A shown table does not say which hidden cells fell under the rule and which protect them (the
  note is the same for both, and the footnote gives no numbers): a reader who knew would know
  ``Male *, Female *, Persons 6`` is 1 and 5, and with ONS's 1-2 rule a hidden total over two
  hidden children pins all three. The record keeps the distinction for the analyst; it is an
  audit trail, not something to publish.
* HES tables get the same secondary suppression as the others (conservative: rounding already
  blurs differences), and rounding means rows and margins need not add up; the footnote says so.
* A margin whose true value differs from the sum of the children present (people with no known
  district, categories outside the table) has an unpublished remainder, which the engine treats
  as unknown to a reader. A child row that is absent is taken as zero when the sum holds.
* A count that is missing in the input (for example suppressed at source) is unknown to a reader
  and is left as it is; the engine protects the cells it hides itself.

The package, one job a module: ``rules`` (each source's rule, ``Protected``, the footnote),
``cells`` (cells, additive relations, secondary suppression), ``tables`` (``protect_table``),
``indicator_table`` (``protect_indicators``), ``guard`` (``assert_protected``, ``safe_count_text``);
above them ``counts`` (the views' area count tables) and ``cohorts`` (a cohort's breakdowns as one
table). The engine's public names are all here: ``disclosure.protect_table(...)`` reads as before.
"""

from __future__ import annotations

from suna.core.errors import DisclosureError
from suna.disclosure.cells import whole_area_cost
from suna.disclosure.guard import assert_protected, safe_count_text
from suna.disclosure.indicator_table import METHODS, protect_indicators
from suna.disclosure.rules import (COMPARISON_COLUMNS, MEASURES, RECORD_COLUMNS, SUPPRESSED, VALUE_COLUMNS, Protected,
                                   Rule, footnote, rule)
from suna.disclosure.tables import is_hidden_note, protect_table

__all__ = [
    "COMPARISON_COLUMNS", "METHODS", "MEASURES", "RECORD_COLUMNS", "SUPPRESSED", "VALUE_COLUMNS", "DisclosureError",
    "Protected", "Rule", "assert_protected", "footnote", "is_hidden_note", "protect_indicators", "protect_table", "rule",
    "safe_count_text", "whole_area_cost",
]
