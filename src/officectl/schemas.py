"""JSON Schemas for record kinds, and validation findings a clerk can act on.

Each kind has ``schemas/<kind>.schema.json`` (draft 2020-12); shared definitions live in
``common.schema.json`` and are reached by relative ``$ref``. All schema files are loaded
into one in-memory registry, so references resolve the same from any working directory
and nothing is ever fetched. Formats are checked (``2026-02-30`` is not a date).

jsonschema finds every problem in a record and says where, which is what a clerk needs;
it also costs 0.1 s to import and about 1.5 ms a record. Most records have no problem,
so each is first put to a gate: the kind's schema compiled to plain Python by
fastjsonschema (twenty times faster, and never fetching anything either). A record the
gate passes has nothing for jsonschema to find; any other goes to jsonschema for the
findings. The gate is only as lenient as jsonschema where both are defined, so it is
built only for schemas whose every keyword means the same in both (``_GATE_KEYWORDS``);
its compiled code is kept under ``.git/officectl/`` keyed by the schema's digest.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Callable, Iterable
from functools import cached_property
from pathlib import Path
from typing import Any, NamedTuple
from urllib.parse import unquote

from officectl.errors import BadInput

BASE_URI = "https://officectl.invalid/schemas/"

_TYPE_NAMES = {
    "string": "文本",
    "integer": "整数",
    "number": "数字",
    "boolean": "是/否（true 或 false）",
    "array": "列表",
    "object": "键值映射",
    "null": "空值",
}


class Finding(NamedTuple):
    """One problem in one file: where it is and what is wanted."""

    file: str
    line: int
    message: str
    record: str = ""
    column: int = 0

    def __str__(self) -> str:
        where = f"{self.line}:{self.column}" if self.column else f"{self.line}"
        return f"{self.file}:{where}: {self.message}"


class SchemaSet:
    """The schemas of a register: its own files first, then the shipped ones.

    ``cache`` is where compiled gates are kept (none are kept without it).
    """

    def __init__(self, folders: Iterable[Path], cache: Path | None = None) -> None:
        self.documents: dict[str, dict[str, Any]] = {}
        self.cache = cache
        for folder in folders:
            for path in sorted(folder.glob("*.schema.json")):
                self.documents.setdefault(path.name, _read(path))

    def schema(self, kind: str) -> dict[str, Any]:
        try:
            return self.documents[f"{kind}.schema.json"]
        except KeyError:
            raise BadInput(
                f"没有记录类型 {kind} 的 schema（{kind}.schema.json）"
            ) from None

    @cached_property
    def _registry(self) -> Any:
        from referencing import Registry, Resource

        resources = [
            (BASE_URI + name, Resource.from_contents(document))
            for name, document in self.documents.items()
        ]
        return Registry().with_resources(resources)

    def validator(self, kind: str) -> Any:
        cache = self.__dict__.setdefault("_validators", {})
        if kind not in cache:
            from jsonschema import Draft202012Validator

            cache[kind] = Draft202012Validator(
                self.bundled(kind),
                registry=self._registry,
                format_checker=Draft202012Validator.FORMAT_CHECKER,
            )
        return cache[kind]

    def bundled(self, kind: str) -> dict[str, Any]:
        """The kind's schema with every ``$ref`` written out in place.

        Resolving references is most of what jsonschema spends on a record; record
        schemas are not recursive, so they are resolved once, here.
        """
        try:
            bundled: dict[str, Any] = self._inline(
                self.schema(kind), self.schema(kind), ()
            )
        except BadInput as err:
            raise BadInput(f"{kind}.schema.json: {err}") from None
        return bundled

    def _inline(
        self, node: Any, document: dict[str, Any], seen: tuple[str, ...]
    ) -> Any:
        if isinstance(node, list):
            return [self._inline(item, document, seen) for item in node]
        if not isinstance(node, dict):
            return node
        if "$ref" not in node:
            return {
                key: self._inline(value, document, seen) for key, value in node.items()
            }
        if node["$ref"] in seen:
            raise BadInput(f"schema 中的 $ref {node['$ref']} 循环引用")
        target, document_of_target = self._resolve({"$ref": node["$ref"]}, document)
        inner = self._inline(target, document_of_target, (*seen, node["$ref"]))
        siblings = {k: v for k, v in node.items() if k != "$ref"}
        if set(siblings) <= _ANNOTATIONS:
            return {**inner, **siblings}
        return {"allOf": [inner, self._inline(siblings, document, seen)]}

    def problems(self, kind: str, instance: Any) -> list[tuple[tuple[Any, ...], str]]:
        """Every schema problem as (path in the record, message in Chinese)."""
        gate = self.gate(kind)
        if gate is not None and gate(instance):
            return []
        errors = self.validator(kind).iter_errors(instance)
        found = [(_where(e), _message(e)) for e in errors]
        return sorted(found, key=lambda item: [str(part) for part in item[0]])

    def get_ready(self) -> None:
        """Import what gates run with, ahead of the first record."""
        import fastjsonschema  # noqa: F401
        import rfc3339_validator  # noqa: F401

    def gate(self, kind: str) -> Callable[[Any], bool] | None:
        """The kind's fast check: True when the record has no schema problem, False
        when jsonschema must look; None when the schema uses a keyword it cannot check
        the same way."""
        gates = self.__dict__.setdefault("_gates", {})
        if kind not in gates:
            gates[kind] = self._build_gate(kind)
        gate: Callable[[Any], bool] | None = gates[kind]
        return gate

    def _build_gate(self, kind: str) -> Callable[[Any], bool] | None:
        schema = {
            key: value
            for key, value in self.bundled(kind).items()
            if key not in {"$schema", "$id"}  # fastjsonschema knows drafts up to 7
        }
        if not _gate_can_check(schema):
            return None
        namespace: dict[str, Any] = {}
        try:
            exec(
                _gate_code(kind, schema, self.cache), namespace
            )  # code made just above
        except Exception:  # a pattern fastjsonschema rewrites into a bad one: no gate
            return None
        check = namespace["validate"]

        def gate(instance: Any) -> bool:
            try:
                check(instance, custom_formats=_GATE_FORMATS)
            except Exception:  # its finding, or its own failure: jsonschema decides
                return False
            return True

        return gate

    def field_schema(self, kind: str, path: str) -> dict[str, Any]:
        """The schema of a dotted field path (``petitioner.phone``), refs followed."""
        node = self.schema(kind)
        document = node
        for part in path.split("."):
            node, document = self._resolve(node, document)
            properties = node.get("properties", {})
            if part not in properties:
                known = "、".join(properties)
                raise BadInput(f"{kind} 记录没有字段 {path}；可用字段：{known}")
            node = properties[part]
        return self._resolve(node, document)[0]

    def text_rule(self, kind: str, path: str) -> dict[str, Any] | None:
        """The schema of the text at dotted ``path``, through lists to their items and
        with the field's own title; None when the kind has no such field."""
        node, document = self.schema(kind), self.schema(kind)
        title = None
        for part in (*path.split("."), ""):
            node, document = self._resolve(node, document)
            title = node.get("title", title)
            while node.get("type") == "array" and isinstance(node.get("items"), dict):
                node, document = self._resolve(node["items"], document)
            if not part:
                return {**node, "title": node.get("title") or title}
            properties = node.get("properties", {})
            if part not in properties:
                return None
            node, title = properties[part], None
        return None  # not reached: the loop returns at its last part

    def _resolve(self, node: dict[str, Any], document: dict[str, Any]) -> Any:
        while "$ref" in node:
            reference = node["$ref"]
            target, _, pointer = reference.partition("#")
            try:
                if target:
                    document = self.documents[unquote(target)]
                resolved: Any = document
                for part in filter(None, pointer.split("/")):
                    # JSON Pointer: %xx in the URI fragment, then ~1 for / and ~0 for ~
                    part = unquote(part).replace("~1", "/").replace("~0", "~")
                    resolved = resolved[
                        int(part) if isinstance(resolved, list) else part
                    ]
            except (KeyError, IndexError, ValueError, TypeError):
                raise BadInput(
                    f"schema 中的 $ref {reference} 指向不存在的文件或位置"
                    f"（可用的 schema 文件：{'、'.join(sorted(self.documents))}）"
                ) from None
            merged = {k: v for k, v in node.items() if k != "$ref"}
            node = {**resolved, **merged}
        return node, document

    def coerce(self, kind: str, path: str, text: str) -> Any:
        """A ``--set FIELD=VALUE`` value as the field's type (dates, numbers, lists)."""
        spec = self.field_schema(kind, path)
        kind_of = spec.get("type")
        if text == "":
            return None
        try:
            if kind_of == "integer":
                return int(text)
            if kind_of == "number":
                return float(text)
            if kind_of == "boolean":
                return _boolean(text)
            if kind_of == "array":
                return [item.strip() for item in text.replace("，", ",").split(",")]
        except ValueError:
            raise BadInput(
                f"{path} 应为{_TYPE_NAMES.get(str(kind_of), str(kind_of))}，收到 {text!r}"
            ) from None
        if spec.get("format") == "date":
            try:
                return dt.date.fromisoformat(text)
            except ValueError:
                raise BadInput(f"{path} 应为日期 YYYY-MM-DD，收到 {text!r}") from None
        return text


_ANNOTATIONS = {"title", "description", "examples", "default", "$comment"}

# Keywords where fastjsonschema (draft 7) is never more lenient than jsonschema
# (2020-12), and no keyword that turns "stricter" into "more lenient". fastjsonschema
# is stricter in places: a pattern's "$" matches only at the very end, 1.0 is not an
# integer. That is safe where a failing check can only fail the record (the record
# then goes to jsonschema) but not under "not", "if" or "oneOf", where a check that
# fails can make the record pass; those keywords, and patternProperties (whose key
# patterns fastjsonschema compiles its own way), keep a schema off the gate. So do
# array-form "items" (a tuple in draft 7, prefixItems in 2020-12), a format other than
# these three, and a multipleOf that is not a whole number (fastjsonschema divides in
# Decimal, where 0.3 is a multiple of 0.1; in floating point, as jsonschema divides, it
# is not).
_GATE_KEYWORDS = _ANNOTATIONS | {
    "$defs", "readOnly", "writeOnly", "deprecated",
    "type", "enum", "const", "format",
    "properties", "additionalProperties", "required",
    "minProperties", "maxProperties",
    "items", "minItems", "maxItems", "uniqueItems",
    "minLength", "maxLength", "pattern",
    "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
    "allOf", "anyOf",
}  # fmt: skip
_RE_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)


def _gate_can_check(schema: Any) -> bool:
    """Whether every keyword of ``schema`` (walked through its subschemas) is one the
    gate checks exactly as jsonschema does."""
    if isinstance(schema, bool):
        return True
    if not isinstance(schema, dict) or not set(schema) <= _GATE_KEYWORDS:
        return False
    if "format" in schema and schema["format"] not in _GATE_FORMATS:
        return False
    if "items" in schema and not isinstance(schema["items"], dict | bool):
        return False
    divisor = schema.get("multipleOf", 1)
    if isinstance(divisor, bool) or not isinstance(divisor, int):
        return False
    named = [
        sub
        for key in ("properties", "patternProperties", "$defs")
        for sub in (schema.get(key) or {}).values()
    ]
    single = [
        schema[key]
        for key in ("additionalProperties", "items", "not", "if", "then", "else")
        if key in schema
    ]
    listed = [sub for key in ("allOf", "anyOf", "oneOf") for sub in schema.get(key, [])]
    return all(_gate_can_check(sub) for sub in (*named, *single, *listed))


def _is_date(text: str) -> bool:
    """As jsonschema's format checker: YYYY-MM-DD, and a day that exists."""
    try:
        return bool(_RE_DATE.fullmatch(text) and dt.date.fromisoformat(text))
    except ValueError:
        return False


def _is_date_time(text: str) -> bool:
    from rfc3339_validator import validate_rfc3339

    return bool(validate_rfc3339(text.upper()))


def _is_email(text: str) -> bool:
    return "@" in text


_GATE_FORMATS: dict[str, Callable[[str], bool]] = {
    "date": _is_date,
    "date-time": _is_date_time,
    "email": _is_email,
}


def _gate_code(kind: str, schema: dict[str, Any], cache: Path | None) -> Any:
    """The compiled code of the gate for ``schema``, from ``cache`` when kept there
    (one file a kind: a gate for an older schema of the kind is removed)."""
    import hashlib
    import marshal
    import sys

    import fastjsonschema

    source = json.dumps(schema, sort_keys=True, ensure_ascii=False)
    key = f"{fastjsonschema.VERSION}/{sys.version}/{source}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:20]
    kept = cache / f"gate-{kind}-{digest}.marshal" if cache is not None else None
    if kept is not None:
        try:
            return marshal.loads(kept.read_bytes())
        except (OSError, EOFError, ValueError, TypeError):
            pass  # not kept yet, or unreadable: compile it again
    text = fastjsonschema.compile_to_code(
        schema, formats=_GATE_FORMATS, use_default=False
    )
    code = compile(text, f"<gate {digest}>", "exec")
    if kept is not None:
        temporary = kept.with_name(f"{kept.name}.{os.getpid()}.tmp")
        try:
            kept.parent.mkdir(exist_ok=True)  # inside .git, never a .git of its own
            temporary.write_bytes(marshal.dumps(code))
            os.replace(temporary, kept)
            for older in kept.parent.glob(f"gate-{kind}-{'?' * 20}.marshal"):
                if older != kept:
                    older.unlink(missing_ok=True)
        except OSError:
            temporary.unlink(missing_ok=True)
    return code


def _where(error: Any) -> tuple[Any, ...]:
    """The path of a problem; an unknown field is reported at its own line."""
    path = tuple(error.absolute_path)
    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        if extra:
            return (*path, extra[0])
    return path


def _boolean(text: str) -> bool:
    if text.lower() in {"true", "yes", "是", "1"}:
        return True
    if text.lower() in {"false", "no", "否", "0"}:
        return False
    raise ValueError(text)


def _read(path: Path) -> dict[str, Any]:
    try:
        document: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise BadInput(f"{path}: 不是有效的 JSON Schema 文件：{err}") from None
    return document


def _message(error: Any) -> str:
    """A validation error in words a clerk can act on, naming the field."""
    field = ".".join(str(part) for part in error.absolute_path) or "（记录）"
    title = error.schema.get("title") if isinstance(error.schema, dict) else None
    named = f"{field}（{title}）" if title else field
    value = error.instance
    validator = error.validator
    if validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        return f"{field}: 缺少必填字段 {missing}"
    if validator == "additionalProperties":
        extra = sorted(set(value) - set(error.schema.get("properties", {})))
        return f"{field}: 未知字段 {'、'.join(map(str, extra))}（拼写错误？）"
    if validator == "enum":
        choices = "、".join(map(str, error.validator_value))
        return f"{named}: {value!r} 不是允许的值；应为：{choices}"
    if validator == "const":
        return f"{named}: 应为 {error.validator_value!r}，而不是 {value!r}"
    if validator == "type":
        wanted = _TYPE_NAMES.get(str(error.validator_value), str(error.validator_value))
        hint = ""
        if error.validator_value == "string" and isinstance(value, int | float):
            hint = "；编号、电话、010 这类数字串请加引号写成文本"
        return f"{named}: 应为{wanted}，而不是 {value!r}{hint}"
    if validator == "format":
        return (
            f"{named}: {value!r} 不是有效的{_FORMATS.get(error.validator_value, '值')}"
        )
    if validator == "pattern":
        described = error.schema.get("description")
        if described:  # what the pattern allows, in words (一行文字 …)
            return f"{named}: {described}{first_refused(value, error.validator_value)}"
        return f"{named}: {value!r} 格式不对{_wanted(title)}"
    if validator in {"maxItems", "minItems"}:
        word = "最多" if validator == "maxItems" else "至少"
        return f"{named}: {word} {error.validator_value} 项，现有 {len(value)} 项"
    if validator in {"maximum", "minimum"}:
        word = "不能大于" if validator == "maximum" else "不能小于"
        return f"{named}: {word} {error.validator_value}，收到 {value}"
    if validator in {"maxLength", "minLength"}:
        word = "不能超过" if validator == "maxLength" else "至少"
        return f"{named}: {word} {error.validator_value} 个字"
    return f"{named}: {error.message}"


_FORMATS = {"date": "日期（YYYY-MM-DD）", "date-time": "时间", "email": "电子邮箱"}


def first_refused(value: Any, pattern: str) -> str:
    """Which character of ``value`` the pattern refuses first, and where it stands."""
    for place, char in enumerate(str(value), start=1):
        if not re.search(pattern, char):
            name = "换行" if char == "\n" else f"U+{ord(char):04X}"
            return f"（第 {place} 个字符是 {name}）"
    return ""


def _wanted(title: str | None) -> str:
    return f"，应为{title}" if title else ""
