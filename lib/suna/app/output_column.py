"""A section of the district explorer as a column of Output widgets, one display output each.

Why: an ipywidgets ``Output`` sends all its outputs again whenever any of them changes, and the
browser then redraws every chart in it. With fifty viewers on one server, the browsers redrawing
charts that had not changed (a chart of the whole area while the viewer moves between its districts)
was most of the work of a district change. Here each output has a widget of its own and only the
outputs that differ from what the slot shows are sent; the others stay on the page as they are.

Consistency: a change never shows one choice's output beside another's. Every slot whose output
changes is emptied first, and only then are the new outputs sent, in page order; in between the page
shows the old outputs that are left, the outputs that are the same for both choices, and gaps, never
a mix of the old choice's and the new one's.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any


def output_digest(output: dict[str, Any]) -> str:
    """What identifies an output's content (two equal outputs draw the same)."""
    return hashlib.sha1(json.dumps(output, sort_keys=True, default=str).encode()).hexdigest()


class OutputColumn:
    """Display outputs shown in order, each in its own ``ipywidgets.Output``, re-sent only when it changes.

    Reads and writes like an ``Output`` widget's ``outputs`` (a tuple of output dicts); ``widget`` is
    what goes on the page. ``sent`` counts the outputs put on the page (not those left as they were).
    """

    def __init__(self, layout: Any = None) -> None:
        import ipywidgets as w

        self.widget = w.VBox(layout=layout or w.Layout(width="100%"))
        self._slots: list[Any] = []
        self._digests: list[str | None] = []
        self.sent = 0

    def add_class(self, name: str) -> OutputColumn:
        self.widget.add_class(name)
        return self

    @property
    def slots(self) -> tuple[Any, ...]:
        """The Output widgets, in page order (one output each, or none)."""
        return tuple(self._slots)

    @property
    def outputs(self) -> tuple[dict[str, Any], ...]:
        return tuple(output for slot in self._slots for output in slot.outputs)

    @outputs.setter
    def outputs(self, outputs: Sequence[dict[str, Any]]) -> None:
        self.show(outputs)

    def show(self, outputs: Sequence[dict[str, Any]]) -> list[int]:
        """Show ``outputs``; the positions whose output was sent (those that changed)."""
        digests = [output_digest(output) for output in outputs]
        self._grow(len(digests))
        wanted = digests + [None] * (len(self._slots) - len(digests))
        changed = [i for i, digest in enumerate(wanted) if digest != self._digests[i]]
        for i in changed:  # first take every output that changes off the page
            if self._slots[i].outputs:
                self._slots[i].outputs = ()
            self._digests[i] = None
        for i in changed:  # then put the new ones on it
            if wanted[i] is not None:
                self._slots[i].outputs = (outputs[i],)
                self._digests[i] = wanted[i]
                self.sent += 1
        return [i for i in changed if wanted[i] is not None]

    def clear(self) -> None:
        self.show(())

    def _grow(self, count: int) -> None:
        import ipywidgets as w

        if count <= len(self._slots):
            return
        while len(self._slots) < count:
            slot = w.Output(layout=w.Layout(width="100%"))
            slot.add_class("suna-output")
            self._slots.append(slot)
            self._digests.append(None)
        self.widget.children = tuple(self._slots)


__all__ = ["OutputColumn", "output_digest"]
