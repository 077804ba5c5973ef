"""The fast canonical writer must write exactly what ruamel.yaml writes, or step aside."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from ruamel.yaml.comments import CommentedMap, CommentedSeq

from officectl import yamlio

TEXT = st.text(
    alphabet=st.sampled_from(
        list("abcXYZ019 -:#'\",.?!&*|>%@`[]{}\n\t")
        + list("张三丽事由，。：；“”（）《》〔〕号")
        + ["\u3000", "\u2028", "\ufeff"]
    ),
    max_size=24,
)
KEYS = st.sampled_from(["id", "name", "n", "yes", "state", "due", "note", "a_b", "x-y"])
SCALARS = (
    TEXT
    | st.integers(-(10**6), 10**6)
    | st.booleans()
    | st.dates(dt.date(1990, 1, 1), dt.date(2030, 12, 31))
    | st.sampled_from(
        ["NO", "off", "010", "12:30", "2026-03-02", "1e3", "null", "~", ""]
    )
)


def _tree(value: Any) -> Any:
    if isinstance(value, dict):
        return CommentedMap((key, _tree(item)) for key, item in value.items())
    if isinstance(value, list):
        return CommentedSeq(_tree(item) for item in value)
    return value


RECORDS = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(KEYS, children, max_size=4)
    ),
    max_leaves=12,
).filter(lambda v: isinstance(v, dict) and bool(v))


def _ruamel(tree: Any) -> str:
    stream = io.StringIO()
    yamlio.editor().dump(tree, stream)
    return stream.getvalue()


@settings(max_examples=400, deadline=None)
@given(RECORDS)
def test_fast_writer_matches_ruamel_or_steps_aside(record: dict[str, Any]) -> None:
    tree = _tree(record)
    try:
        fast = yamlio._emit(tree)
    except yamlio._Unsupported:
        return
    assert fast == _ruamel(tree)


@settings(max_examples=200, deadline=None)
@given(RECORDS)
def test_written_text_reads_back_as_the_same_data(record: dict[str, Any]) -> None:
    text = yamlio.dumps(_tree(record))
    data, _ = yamlio.loads(text)
    assert data == record


def test_a_typical_record_takes_the_fast_path() -> None:
    record = {
        "id": "LTR-2026-0001",
        "received": dt.date(2026, 3, 2),
        "petitioner": {"name": "张三", "phone": "13800001234"},
        "content": "第一段。\n\n第二段：说明。\n",
        "history": [{"action": "register", "at": "2026-03-03T09:00:00+08:00"}],
    }
    assert yamlio._emit(_tree(record)) == _ruamel(_tree(record))
