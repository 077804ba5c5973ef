"""JSON Schemas for record kinds, and validation findings a clerk can act on.

Each kind has ``schemas/<kind>.schema.json`` (draft 2020-12); shared definitions live in
``common.schema.json`` and are reached by relative ``$ref``. All schema files are loaded
into one in-memory registry, so references resolve the same from any working directory
and nothing is ever fetched. Formats are checked (``2026-02-30`` is not a date).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

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


@dataclass(frozen=True)
class Finding:
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
    """The schemas of a register: its own files first, then the shipped ones."""

    def __init__(self, folders: Iterable[Path]) -> None:
        self.documents: dict[str, dict[str, Any]] = {}
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
        bundled: dict[str, Any] = self._inline(self.schema(kind), self.schema(kind), ())
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
        errors = self.validator(kind).iter_errors(instance)
        found = [(_where(e), _message(e)) for e in errors]
        return sorted(found, key=lambda item: [str(part) for part in item[0]])

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

    def _resolve(self, node: dict[str, Any], document: dict[str, Any]) -> Any:
        while "$ref" in node:
            target, _, pointer = node["$ref"].partition("#")
            if target:
                document = self.documents[target]
            resolved: Any = document
            for part in filter(None, pointer.split("/")):
                resolved = resolved[part]
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


def _wanted(title: str | None) -> str:
    return f"，应为{title}" if title else ""
