"""Where the default schemas, workflows and templates are found.

An installed wheel carries them under ``officectl/_data``; an editable install runs from
a source checkout, where they are the top-level folders of the project.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def default_dir(name: str) -> Path:
    """The shipped folder ``name`` (``schemas``, ``workflows`` or ``templates``)."""
    packaged = _PACKAGE / "_data" / name
    if packaged.is_dir():
        return packaged
    return _PACKAGE.parent.parent / name
