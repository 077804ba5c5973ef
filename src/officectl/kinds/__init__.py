"""What a kind's workflow data cannot express, one small module per kind.

A workflow file names its module with ``rules: <name>``; the module lives here, in
``officectl.kinds.<name>`` (a register cannot point the engine at code of its own). A
module may define any of:

``before_step(register, kind, action, tree, step) -> None``
    Called after the step's fields are set and before the record is validated and
    written. It may change ``tree`` (an editable record: ``yamlio.set_field``) or raise
    ``BadInput`` / ``Refused`` to stop the step; nothing has been written yet.

``check(register, kind, data) -> list[tuple[tuple, str]]``
    Extra validation of a record's plain data: (path in the record, message) pairs,
    reported by ``validate`` and enforced on every step like schema problems.

``number_of(data) -> tuple[sequence, int] | None``
    The record's place in a numbered sequence (a 发文字号 per issuer code and year, a
    收文编号 per year): the sequence as JSON-able text, numbers and tuples, and the
    number; None before it has one. The index keeps it, so that numbering the next
    record and finding duplicates read no record files.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from officectl.workflow import Kind


def rules_of(kind: Kind) -> ModuleType | None:
    """The kind's rules module, or None when its workflow names none."""
    return rules_named(kind.rules)


def rules_named(name: str) -> ModuleType | None:
    """The rules module called ``name`` (a kind's ``rules:``), or None for ""."""
    return importlib.import_module(f"officectl.kinds.{name}") if name else None
