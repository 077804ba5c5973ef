"""What a kind's workflow data cannot express, one small module per kind.

A workflow file names its module with ``rules: <name>``; the module lives here, in
``officectl.kinds.<name>`` (a register cannot point the engine at code of its own). A
module may define either or both of:

``before_step(register, kind, action, tree, step) -> None``
    Called after the step's fields are set and before the record is validated and
    written. It may change ``tree`` (an editable record: ``yamlio.set_field``) or raise
    ``BadInput`` / ``Refused`` to stop the step; nothing has been written yet.

``check(register, kind, data) -> list[tuple[tuple, str]]``
    Extra validation of a record's plain data: (path in the record, message) pairs,
    reported by ``validate`` and enforced on every step like schema problems.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from officectl.workflow import Kind


def rules_of(kind: Kind) -> ModuleType | None:
    """The kind's rules module, or None when its workflow names none."""
    if not kind.rules:
        return None
    return importlib.import_module(f"officectl.kinds.{kind.rules}")
