"""Writing a file a person asked for with ``-o``: a form, chase slips, an export.

Every such file is written the same way: to a temporary file beside it, then renamed
over it, so a failed or killed run leaves either the old file or the whole new one.
A file that cannot be written is :class:`BadInput` naming it, never a traceback.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from pathlib import Path

from officectl.errors import BadInput


def write_with(path: Path, write: Callable[[Path], None]) -> None:
    """Let ``write`` fill a temporary path, then put it in place as ``path``."""
    if not path.parent.is_dir():
        # Said before anything is written: a writer stopped halfway (openpyxl) would
        # leave its own parts open.
        raise BadInput(f"{path}: 无法写入：没有文件夹 {path.parent}")
    temporary = path.with_name(f".{path.name}.tmp")
    try:
        write(temporary)
        os.replace(temporary, path)
    except OSError as err:
        raise BadInput(f"{path}: 无法写入：{err.strerror or err}") from None
    finally:
        # Nothing was written there, or the folder cannot be reached at all.
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)


def write_text(path: Path, text: str, bom: bool = False) -> None:
    """Write ``text`` as UTF-8; ``bom`` for a file Excel opens (it then reads UTF-8)."""
    encoding = "utf-8-sig" if bom else "utf-8"

    def write(temporary: Path) -> None:
        with open(temporary, "w", encoding=encoding, newline="") as stream:
            stream.write(text)

    write_with(path, write)
