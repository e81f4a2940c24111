"""The app's sections as columns of outputs: only what changed goes to the browser, old and new never mixed."""

from __future__ import annotations

from suna.app.output_column import OutputColumn


def _html(text: str) -> dict:
    return {"output_type": "display_data", "data": {"text/html": text, "text/plain": ""}, "metadata": {}}


def _recorded(column: OutputColumn) -> list:
    """Every change the browser is sent, in order: (slot position, outputs it now shows)."""
    events: list = []
    for i, slot in enumerate(column.slots):
        slot.observe(lambda change, i=i: events.append((i, change["new"])), names="outputs")
    return events


def test_outputs_read_back_in_order_and_equal_outputs_are_not_sent_again():
    column = OutputColumn()
    first = [_html("<h1>Harlow</h1>"), _html("chart of Essex"), _html("chart of Harlow")]
    assert column.show(first) == [0, 1, 2]
    assert column.outputs == tuple(first) and column.sent == 3
    events = _recorded(column)
    column.outputs = [_html("<h1>Basildon</h1>"), _html("chart of Essex"), _html("chart of Basildon")]
    assert [o["data"]["text/html"] for o in column.outputs] == ["<h1>Basildon</h1>", "chart of Essex", "chart of Basildon"]
    assert {i for i, _ in events} == {0, 2}, "the chart of the whole area, the same for both, is not sent again"
    assert column.sent == 5
    events.clear()
    column.outputs = list(column.outputs)
    assert events == [] and column.sent == 5, "the same outputs again: nothing sent"


def test_changed_outputs_leave_the_page_before_any_new_one_arrives():
    column = OutputColumn()
    column.show([_html("<h1>Harlow</h1>"), _html("same"), _html("Harlow's chart"), _html("Harlow's table")])
    events = _recorded(column)
    column.show([_html("<h1>Basildon</h1>"), _html("same"), _html("Basildon's chart"), _html("Basildon's table")])
    cleared = [n for n, (_, new) in enumerate(events) if new == ()]
    filled = [n for n, (_, new) in enumerate(events) if new != ()]
    assert [events[n][0] for n in cleared] == [0, 2, 3] and [events[n][0] for n in filled] == [0, 2, 3]
    assert max(cleared) < min(filled), "no state shows Basildon's heading beside Harlow's chart"
    shown = [column.slots[i].outputs for i in range(4)]
    assert all("Harlow" not in str(outputs) for outputs in shown)


def test_fewer_outputs_empty_the_slots_left_over_and_more_add_slots():
    column = OutputColumn()
    column.show([_html("a"), _html("b"), _html("c")])
    column.show([_html("a")])
    assert column.outputs == (_html("a"),) and len(column.slots) == 3
    assert [slot.outputs for slot in column.slots[1:]] == [(), ()]
    column.show([_html("a"), _html("b"), _html("c"), _html("d")])
    assert len(column.slots) == 4 and tuple(column.widget.children) == column.slots
    column.clear()
    assert column.outputs == ()
