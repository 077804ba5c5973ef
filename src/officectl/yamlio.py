"""Reading and writing record files.

Two paths, one meaning. Reports and validation read many files, so they go through
libyaml (PyYAML's C loader) set to YAML 1.2 rules, the rules ruamel.yaml edits by: ``NO``
stays the word NO, ``010`` is the number 10 (and a schema that wants text says to quote
it), ``12:30`` stays text. Editing one record goes through ruamel.yaml's round trip, so
that a comment a person wrote stays above its field, and every file is written in one
canonical style (two-space indent, lists indented under their key, no line folding,
Chinese as itself).

Both refuse what a record has no use for and what has hurt registers in the field: a
``%YAML`` directive, duplicate keys, anchors and aliases (a few hundred bytes of nested
aliases can stall a validator for minutes), and tabs.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import yaml

from officectl.errors import BadInput

_CLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class YamlError(BadInput):
    """A file that is not a well-formed record file; the message is ``path:line: what``."""


# --- reading ------------------------------------------------------------------------

_INT = re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
_FLOAT = re.compile(
    r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)
_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_TIMESTAMP = re.compile(
    r"^(?:[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}"
    r"(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)$"
)


class _Loader(_CLoader):  # type: ignore[misc, valid-type]
    """libyaml with the YAML 1.2 core schema, line numbers, and refusals."""

    yaml_implicit_resolvers: ClassVar[dict[str, list[tuple[str, re.Pattern[str]]]]] = {}

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.key_lines: dict[int, dict[Any, int]] = {}
        self.item_lines: dict[int, list[int]] = {}

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        if node in self.constructed_objects or node in self.recursive_objects:
            raise _AliasFound(node.start_mark.line + 1)
        return super().construct_object(node, deep=deep)

    def construct_yaml_timestamp(self, node: yaml.ScalarNode) -> Any:
        """A date that does not exist (2026-02-30) stays text; the schema names it."""
        try:
            return super().construct_yaml_timestamp(node)
        except ValueError:
            return str(self.construct_scalar(node))

    def construct_yaml_int(self, node: yaml.ScalarNode) -> int:
        text = str(self.construct_scalar(node))
        if text.startswith("0o"):
            return int(text[2:], 8)
        if text.startswith("0x"):
            return int(text[2:], 16)
        return int(text)

    def construct_record_map(self, node: yaml.MappingNode) -> Iterator[dict[Any, Any]]:
        data: dict[Any, Any] = {}
        yield data
        lines: dict[Any, int] = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            if key in lines:
                raise YamlError(
                    f"{line}: 字段 {key} 重复（第 {lines[key]} 行和第 {line} 行），"
                    "请只保留一个"
                )
            lines[key] = line
            data[key] = self.construct_object(value_node, deep=True)
        self.key_lines[id(data)] = lines

    def construct_record_seq(self, node: yaml.SequenceNode) -> Iterator[list[Any]]:
        data: list[Any] = []
        yield data
        data.extend(self.construct_object(child, deep=True) for child in node.value)
        self.item_lines[id(data)] = [child.start_mark.line + 1 for child in node.value]


class _AliasFound(Exception):
    def __init__(self, line: int) -> None:
        self.line = line


for _tag, _pattern, _first in [
    ("tag:yaml.org,2002:bool", _BOOL, "tTfF"),
    ("tag:yaml.org,2002:int", _INT, "-+0123456789"),
    ("tag:yaml.org,2002:float", _FLOAT, "-+0123456789."),
    ("tag:yaml.org,2002:null", _NULL, ["~", "n", "N", ""]),
    ("tag:yaml.org,2002:timestamp", _TIMESTAMP, "0123456789"),
]:
    _Loader.add_implicit_resolver(_tag, _pattern, list(_first))
_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_yaml_int)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_yaml_timestamp)
_Loader.add_constructor("tag:yaml.org,2002:map", _Loader.construct_record_map)
_Loader.add_constructor("tag:yaml.org,2002:seq", _Loader.construct_record_seq)


class Lines:
    """Where each field of a loaded record stands in its file."""

    def __init__(self, data: Any, key_lines: dict[int, dict[Any, int]], items: Any):
        self._data = data  # keeps the ids below alive
        self._keys = key_lines
        self._items = items

    def of(self, path: tuple[Any, ...] | list[Any]) -> int:
        """The line of the deepest part of ``path`` that exists; 1 for the top."""
        line, node = 1, self._data
        for part in path:
            if isinstance(node, dict) and part in node:
                line = self._keys.get(id(node), {}).get(part, line)
            elif isinstance(node, list) and isinstance(part, int) and part < len(node):
                line = self._items.get(id(node), [line] * (part + 1))[part]
            else:
                break
            node = node[part]
        return line


def loads(text: str, name: str = "<record>") -> tuple[Any, Lines]:
    """Parse one record file's text; raise :class:`YamlError` as ``name:line: what``."""
    _refuse_directives(text, name)
    loader = _Loader(text)
    try:
        data = loader.get_single_data()
    except _AliasFound as found:
        raise YamlError(
            f"{name}:{found.line}: 记录中不允许使用锚点和别名（& 和 *），请写出完整的值"
        ) from None
    except YamlError as err:
        raise YamlError(f"{name}:{err}") from None
    except yaml.MarkedYAMLError as err:
        raise YamlError(_describe(err, name, text)) from None
    except yaml.YAMLError as err:
        raise YamlError(f"{name}: 不是有效的 YAML：{err}") from None
    finally:
        loader.dispose()
    return data, Lines(data, loader.key_lines, loader.item_lines)


def load_file(path: Path, name: str | None = None) -> tuple[Any, Lines]:
    """Read and parse one record file (UTF-8)."""
    label = name or str(path)
    return loads(read_text(path, label), label)


def read_text(path: Path, name: str | None = None) -> str:
    """The text of a file a person may have edited; not UTF-8 or unreadable is
    :class:`YamlError` naming it."""
    label = name or str(path)
    try:
        data = path.read_bytes()
    except OSError as err:
        raise YamlError(f"{label}: 无法读取：{err.strerror}") from None
    return decode(data, label)


def decode(data: bytes, name: str) -> str:
    """UTF-8 bytes as text; anything else (a GBK file from an old editor) names the
    byte, so a clerk can find it and save the file again as UTF-8."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise YamlError(
            f"{name}: 不是 UTF-8 编码的文本（第 {err.start} 字节），"
            "请用 UTF-8 编码另存后重试"
        ) from None


def _refuse_directives(text: str, name: str) -> None:
    for number, line in enumerate(text.splitlines(), start=1):
        if line.startswith("%"):
            raise YamlError(
                f"{name}:{number}: 记录中不允许使用 {line.split()[0]} 指令"
                "（YAML 1.1 会把 NO、off 等读成真假值），请删除这一行"
            )
        if line.strip() and not line.startswith(("#", "---")):
            return


def _describe(err: yaml.MarkedYAMLError, name: str, text: str) -> str:
    mark = err.problem_mark or err.context_mark
    if mark is None:
        return f"{name}: YAML 格式错误：{err.problem or err.context}"
    line = text.splitlines()[mark.line] if mark.line < len(text.splitlines()) else ""
    if "\t" in line:
        column = line.index("\t") + 1
        return f"{name}:{mark.line + 1}:{column}: 含有制表符（Tab），请改用空格缩进"
    return f"{name}:{mark.line + 1}: YAML 格式错误：{err.problem or err.context}"


def to_json(value: Any) -> Any:
    """The record as JSON Schema sees it: dates and times as ISO 8601 text."""
    if isinstance(value, dict):
        return {key: to_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [to_json(item) for item in value]
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


# --- writing ------------------------------------------------------------------------

# Text that a YAML 1.1 reader (an older tool, a spreadsheet import) would take for a
# boolean, a number or a time is always written quoted, so it reads the same anywhere.
_AMBIGUOUS = re.compile(
    r"^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF|true|True|TRUE|false|False"
    r"|FALSE|~|null|Null|NULL|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)?"
    r"|[-+]?0[0-9_]+|[-+]?[0-9][0-9_]*\.?[0-9_]*(?:[eE][-+]?[0-9]+)?|[0-9]{4}-[0-9].*)$"
)


# Text a block scalar (|) holds as it is: printable lines, none led by a space.
_PLAIN_BLOCK = re.compile(
    r"^(?:[^\s\x00-\x1f\x7f][^\x00-\x09\x0b-\x1f\x7f]*)?(?:\n(?:[^\s\x00-\x1f\x7f][^\x00-\x09\x0b-\x1f\x7f]*)?)*$"
)


def _editor() -> Any:
    from ruamel.yaml import YAML
    from ruamel.yaml.representer import RoundTripRepresenter
    from ruamel.yaml.scalarstring import LiteralScalarString

    class Representer(RoundTripRepresenter):
        def ignore_aliases(self, data: Any) -> bool:
            return True  # a record never shares a value by anchor: each is written out

    def represent_str(rep: Any, data: str) -> Any:
        if "\n" in data and not _PLAIN_BLOCK.match(data):
            # Tabs or control characters do not survive a block scalar: escape them.
            return rep.represent_scalar("tag:yaml.org,2002:str", data, style='"')
        if "\n" in data:
            return rep.represent_scalar(
                "tag:yaml.org,2002:str", LiteralScalarString(data), style="|"
            )
        style = "'" if _AMBIGUOUS.match(data) else None
        return rep.represent_scalar("tag:yaml.org,2002:str", data, style=style)

    Representer.add_representer(str, represent_str)
    editor = YAML(typ="rt")
    editor.Representer = Representer
    editor.indent(mapping=2, sequence=4, offset=2)
    editor.width = 100_000
    editor.allow_unicode = True
    editor.allow_duplicate_keys = False
    return editor


_EDITOR: Any = None


def editor() -> Any:
    """The one ruamel.yaml instance every record is edited with."""
    global _EDITOR
    if _EDITOR is None:
        _EDITOR = _editor()
    return _EDITOR


def load_for_edit(text: str, name: str) -> Any:
    """A record as an editable tree that keeps comments; refuses what :func:`loads` does.

    ruamel.yaml's round trip costs tens of milliseconds a record; a file with no comment
    in it has nothing for it to keep, so it is read by libyaml and turned into the same
    editable tree, which dumps to the same canonical text.
    """
    data, _ = loads(text, name)
    if "#" not in text:
        return _editable(data)
    try:
        tree = editor().load(text)
    except ValueError as err:
        raise YamlError(
            f"{name}: 含有无效的值（{err}）：请先运行 officectl validate"
        ) from None
    _attach_comments(tree)
    return tree


def _editable(value: Any) -> Any:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(value, dict):
        return CommentedMap((key, _editable(item)) for key, item in value.items())
    if isinstance(value, list):
        return CommentedSeq(_editable(item) for item in value)
    return value


def dumps(tree: Any) -> str:
    """The canonical text of a record tree.

    A tree that carries no comment is written by :func:`_emit`, which writes exactly
    what ruamel.yaml would for the plain shapes records have, a hundred times faster;
    anything outside those shapes, and every tree with comments, goes to ruamel.yaml.
    """
    if not _has_comments(tree):
        try:
            return _emit(tree)
        except _Unsupported:
            pass
    stream = io.StringIO()
    editor().dump(tree, stream)
    return stream.getvalue()


class _Unsupported(Exception):
    """A value :func:`_emit` leaves to ruamel.yaml."""


def _has_comments(node: Any) -> bool:
    comments = getattr(node, "ca", None)
    if comments is not None and (comments.items or comments.comment or comments.end):
        return True
    if isinstance(node, dict):
        return any(_has_comments(value) for value in node.values())
    if isinstance(node, list):
        return any(_has_comments(value) for value in node)
    return False


def _emit(tree: Any) -> str:
    if not isinstance(tree, dict) or not tree:
        raise _Unsupported
    out: list[str] = []
    _emit_map(tree, 0, out, first_inline=False)
    return "".join(out)


def _emit_map(
    node: dict[Any, Any], indent: int, out: list[str], first_inline: bool
) -> None:
    for index, (key, value) in enumerate(node.items()):
        pad = "" if first_inline and index == 0 else " " * indent
        head = f"{pad}{_scalar(key, indent)}:"
        if isinstance(value, dict):
            if not value:
                out.append(f"{head} {{}}\n")
                continue
            out.append(f"{head}\n")
            _emit_map(value, indent + 2, out, first_inline=False)
        elif isinstance(value, list):
            if not value:
                out.append(f"{head} []\n")
                continue
            out.append(f"{head}\n")
            _emit_seq(value, indent + 2, out)
        else:
            out.append(f"{head} {_scalar(value, indent)}\n")


def _emit_seq(node: list[Any], indent: int, out: list[str]) -> None:
    for item in node:
        if isinstance(item, dict) and item:
            out.append(" " * indent + "- ")
            _emit_map(item, indent + 2, out, first_inline=True)
        elif isinstance(item, dict | list):
            raise _Unsupported
        else:
            out.append(" " * indent + f"- {_scalar(item, indent)}\n")


_PLAIN_START = set("-?:,[]{}#&*!|>'\"%@`. ")


def _scalar(value: Any, indent: int) -> str:
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value.isoformat()
    if type(value) is not str:
        raise _Unsupported
    if "\n" in value:
        return _literal(value, indent)
    if not value.isprintable() or value != value.strip():
        raise _Unsupported
    if _AMBIGUOUS.match(value) or _resolves(value):
        if "'" in value:
            raise _Unsupported
        return f"'{value}'"
    if _plain(value):
        return value
    raise _Unsupported


def _resolves(text: str) -> bool:
    """Whether plain ``text`` would read back as something other than text."""
    return any(p.match(text) for p in (_INT, _FLOAT, _BOOL, _NULL, _TIMESTAMP))


def _plain(text: str) -> bool:
    """Whether ``text`` is certainly written plain (anything doubtful is not)."""
    return not (
        not text
        or text[0] in _PLAIN_START
        or text.endswith(":")
        or ": " in text
        or " #" in text
    )


def _literal(text: str, indent: int) -> str:
    """A block scalar ``|`` or ``|-``, as ruamel.yaml writes one."""
    body, chomp = (text[:-1], "|") if text.endswith("\n") else (text, "|-")
    lines = body.split("\n")
    if body.endswith("\n") or not lines[0] or "\r" in text:
        raise _Unsupported
    if any(line[:1] == " " or not line.isprintable() for line in lines):
        raise _Unsupported
    pad = " " * (indent + 2)
    return chomp + "".join(f"\n{pad}{line}" if line else "\n" for line in lines)


def new_map(pairs: dict[str, Any] | None = None) -> Any:
    """An empty editable mapping, for building a new record."""
    from ruamel.yaml.comments import CommentedMap

    return CommentedMap(pairs or {})


def set_field(tree: Any, key: str, value: Any, before: str | None = None) -> None:
    """Set ``key`` in an editable mapping; a new key goes before ``before`` or last."""
    if key in tree:
        tree[key] = value
        return
    keys = list(tree.keys())
    position = keys.index(before) if before in keys else len(keys)
    tree.insert(position, key, value)


def remove_field(tree: Any, key: str) -> None:
    """Remove ``key`` and the comment that stood above it."""
    if key in tree:
        del tree[key]


# --- keeping comments with their fields -----------------------------------------------


def _attach_comments(node: Any) -> None:
    """Make each full-line comment belong to the field it stands above.

    ruamel.yaml files a comment that stands above a field with whatever came before
    it, often deep inside the previous block. Moved to the field's own "before" slot,
    it stays above that field whatever is later added or removed around it.
    """
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    if isinstance(node, CommentedMap):
        keys = list(node.keys())
        for previous, key in itertools.pairwise(keys):
            lines = _take_trailing_lines(node, previous)
            if lines:
                _set_before(node, key, lines)
        for value in node.values():
            _attach_comments(value)
    elif isinstance(node, CommentedSeq):
        for item in node:
            _attach_comments(item)


def _take_trailing_lines(mapping: Any, key: Any) -> list[str]:
    """Detach the full-line comments that follow ``mapping[key]`` and its contents."""
    owner, slot = _last_comment_slot(mapping, key)
    if owner is None:
        return []
    entry = owner.ca.items.get(slot)
    index = 2 if isinstance(slot, str) or hasattr(owner, "keys") else 0
    token = entry[index] if entry else None
    if token is None or "\n" not in token.value:
        return []
    eol, _, rest = token.value.partition("\n")
    if not rest:
        return []
    token.value = eol + "\n"
    return rest.split("\n")[:-1] if rest.endswith("\n") else rest.split("\n")


def _last_comment_slot(mapping: Any, key: Any) -> tuple[Any, Any]:
    """The mapping (or sequence) and key whose comment slot ends ``mapping[key]``."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    owner, slot = mapping, key
    value = mapping[key]
    while True:
        if isinstance(value, CommentedMap) and value:
            owner, slot = value, list(value.keys())[-1]
            value = value[slot]
        elif isinstance(value, CommentedSeq) and value:
            if not isinstance(value[-1], CommentedMap | CommentedSeq):
                return (
                    (value, len(value) - 1)
                    if value.ca.items.get(len(value) - 1)
                    else (
                        None,
                        None,
                    )
                )
            value = value[-1]
        else:
            return owner, slot


def _set_before(mapping: Any, key: Any, lines: list[str]) -> None:
    from ruamel.yaml.error import CommentMark
    from ruamel.yaml.tokens import CommentToken

    tokens = []
    for line in lines:
        stripped = line.lstrip(" ")
        column = len(line) - len(stripped)
        tokens.append(CommentToken(stripped + "\n", CommentMark(column), None))
    entry = mapping.ca.items.setdefault(key, [None, None, None, None])
    entry[1] = tokens + (entry[1] or [])
