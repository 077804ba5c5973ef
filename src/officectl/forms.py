"""Printed forms: one record through a Jinja2 template, as HTML or Markdown.

A kind's forms are listed in its workflow file; each is a template named
``templates/<kind>/<form>.<html|md>.j2``. The register's own ``templates`` folder is
searched before the shipped one, so a register file of the same name overrides.

Two faults seen in the field shape the environment. A name a template does not know is
an error, never an empty cell on a form that goes out (``StrictUndefined``). A record
field that may be absent is therefore read with ``field("petitioner.phone")``, which
checks the name against the kind's schema and gives ``""`` only when the record has no
value. And every value is escaped for its format: HTML entities in HTML; in Markdown the
same entities plus a backslash before the characters that make tables, links and code,
so a petitioner's ``<img onerror=…>`` prints as text in either.

A time limit from ``deadline(name)`` or ``extension()`` shows its due date as it counts
on today's calendar, and says whether it is still ``provisional``; print it with
``date_cn(entry.due, entry.provisional)`` so a 暂定 date is marked as on every report.

Templates see ``record``, ``kind``, ``form``, ``office`` (the settings),
``state_label``, ``history`` (steps with ``label``, ``person``, ``on``), ``today``;
the helpers ``person(id)``, ``unit(id)``, ``date_cn(d)``, ``deadline(name)``,
``step(action)``, ``field(path)``, ``filled(path)``, ``rows(path)``, ``extension()``;
and the filters ``date_cn``, ``yes_no``, ``oneline`` and ``paragraphs``.
"""

from __future__ import annotations

import datetime as dt
import re
import traceback
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup

from officectl import engine
from officectl.errors import BadInput
from officectl.register import Register, Settings
from officectl.reports import PROVISIONAL, settled
from officectl.workflow import Form, Kind

FORMATS = ("html", "md")


class FormError(BadInput):
    """A form that cannot be printed: unknown, missing fields, or a broken template."""


def form_names(register: Register, kind_name: str) -> list[str]:
    """The forms a kind prints, in the order its workflow file lists them."""
    return list(register.kind(kind_name).forms)


def render(
    register: Register, record: dict[str, Any], form: str | None, fmt: str = "html"
) -> str:
    """The text of ``form`` for ``record``; ``None`` is the kind's first form.

    ``record`` is the plain mapping a record file loads to. Raises :class:`FormError`
    for an unknown form or format, a record that lacks what the form needs, and any
    template error, naming the template, its line and the name at fault.
    """
    kind = _kind_of(register, record)
    chosen = _choose(kind, form)
    _check_needs(register, kind, chosen, record)

    environment = _environment(register, fmt)
    name = f"{kind.name}/{chosen.name}.{fmt}.j2"
    context = _Helpers(register, kind, record).context(chosen)
    try:
        return environment.get_template(name).render(context)
    except jinja2.TemplateNotFound as err:
        raise FormError(_not_found(register, name, err)) from None
    except jinja2.TemplateSyntaxError as err:
        where = f"{_shown(register, err.filename or err.name or name)}:{err.lineno}"
        raise FormError(f"{where}: 模板语法错误：{err.message}") from None
    except jinja2.UndefinedError as err:
        where = _where(register, err, name)
        raise FormError(f"{where}: 模板中的 {_undefined_name(err)} 未定义") from None
    except jinja2.TemplateError as err:
        raise FormError(f"{_where(register, err, name)}: 模板错误：{err}") from None
    except BadInput as err:
        raise FormError(f"{_where(register, err, name)}: {err}") from None
    except UnicodeDecodeError:
        raise FormError(_not_utf8(register, name)) from None


def render_report(register: Register, name: str, context: dict[str, Any]) -> str:
    """A printable HTML report (``templates/reports/<name>.html.j2``) of ready values."""
    environment = _environment(register, "html")
    template = f"reports/{name.removesuffix('.html')}.html.j2"
    try:
        return environment.get_template(template).render(
            {"office": register.settings, **context}
        )
    except jinja2.TemplateNotFound as err:
        raise FormError(_not_found(register, template, err)) from None
    except jinja2.UndefinedError as err:
        where = _where(register, err, template)
        raise FormError(f"{where}: 模板中的 {_undefined_name(err)} 未定义") from None
    except jinja2.TemplateError as err:
        raise FormError(f"{_where(register, err, template)}: 模板错误：{err}") from None
    except UnicodeDecodeError:
        raise FormError(_not_utf8(register, template)) from None


def _not_utf8(register: Register, name: str) -> str:
    """A template (or one it includes) saved in another encoding than UTF-8."""
    return f"{name}（或它引用的模板）: 不是 UTF-8 编码的文本，请用 UTF-8 编码另存后重试"


# --- choosing the form --------------------------------------------------------------


def _kind_of(register: Register, record: Mapping[str, Any]) -> Kind:
    kind_name = record.get("kind")
    if not isinstance(kind_name, str) or not kind_name:
        raise FormError(f"记录 {record.get('id', '')} 没有 kind 字段，无法选择表单")
    return register.kind(kind_name)


def _choose(kind: Kind, form: str | None) -> Form:
    if not kind.forms:
        raise FormError(f"{kind.label}（{kind.name}）没有可打印的表单")
    if form is None:
        return next(iter(kind.forms.values()))
    if form not in kind.forms:
        known = "、".join(f"{f.name}（{f.label}）" for f in kind.forms.values())
        raise FormError(f"{kind.label}没有表单 {form}；可用：{known}")
    return kind.forms[form]


def _check_needs(
    register: Register, kind: Kind, form: Form, record: Mapping[str, Any]
) -> None:
    missing = [path for path in form.needs if _lookup(record, path) in (None, "", [])]
    if not missing:
        return

    named = "、".join(_titled(register, kind, path) for path in missing)
    raise FormError(
        f"{record.get('id', '')} 还不能打印{form.label}（{form.name}）："
        f"须先填写 {named}"
    )


def _titled(register: Register, kind: Kind, path: str) -> str:
    try:
        title = engine.schemas(register).field_schema(kind.name, path).get("title")
    except BadInput:
        title = None
    return f"{path}（{title}）" if title else path


# --- the Jinja2 environment ---------------------------------------------------------


def _environment(register: Register, fmt: str) -> SandboxedEnvironment:
    if fmt not in FORMATS:
        raise FormError(f"没有 {fmt} 格式的表单；可用：{'、'.join(FORMATS)}")

    folders = [str(path) for path in register.folder("templates")]
    # A register's templates come with the register, from whoever committed them: the
    # sandbox keeps them to the values they are given. Autoescape is on for Markdown
    # too, so a macro's output and ``|safe`` come back as Markup and pass once, while
    # every plain value goes through the finalizer.
    environment = SandboxedEnvironment(
        loader=jinja2.FileSystemLoader(folders),
        undefined=jinja2.StrictUndefined,
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        finalize=_finalize_markdown if fmt == "md" else _finalize_html,
    )
    environment.filters.update(
        date_cn=date_cn, yes_no=yes_no, oneline=oneline, paragraphs=paragraphs
    )
    return environment


def _finalize_html(value: Any) -> Any:
    """An absent value prints as nothing, not ``None``; HTML escaping follows."""
    return "" if value is None else value


_MARKDOWN_SPECIAL = re.compile(r"([\\|\[\]`])")


def _finalize_markdown(value: Any) -> Any:
    """Escape a value for Markdown: HTML entities, then table, link and code marks."""
    if value is None:
        return ""
    if isinstance(value, Markup):
        return value
    text = str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return Markup(_MARKDOWN_SPECIAL.sub(r"\\\1", text))


# --- what templates see -------------------------------------------------------------


class _Helpers:
    """The values and functions one record's templates are given."""

    def __init__(self, register: Register, kind: Kind, record: dict[str, Any]) -> None:
        self.register = register
        self.kind = kind
        self.record = record
        self.settings: Settings = register.settings

    def context(self, form: Form) -> dict[str, Any]:
        return {
            "record": self.record,
            "kind": self.kind,
            "form": form,
            "office": self.settings,
            "state_label": self.kind.state_label(str(self.record.get("state", ""))),
            "history": self.history(),
            "today": self.register.today(),
            "person": self.person,
            "unit": self.unit,
            "date_cn": date_cn,
            "deadline": self.deadline,
            "step": self.step,
            "field": self.field,
            "filled": self.filled,
            "rows": self.rows,
            "extension": self.extension,
        }

    def person(self, person_id: Any) -> str:
        """A person's name; an id no longer in the roster prints as itself."""
        # Old cases outlive the roster: a form for them must still print.
        if not person_id:
            return ""
        known = self.settings.people.get(str(person_id))
        return known.name if known else str(person_id)

    def unit(self, unit_id: Any) -> str:
        if not unit_id:
            return ""
        known = self.settings.units.get(str(unit_id))
        return known.name if known else str(unit_id)

    def field(self, path: str) -> Any:
        """A field the kind's schema knows, or ``""`` when the record has no value."""
        engine.schemas(self.register).field_schema(self.kind.name, path)
        value = _lookup(self.record, path)
        return "" if value is None else value

    def filled(self, path: str) -> dict[str, Any]:
        """An object field with every property its schema names, ``""`` when absent."""
        value = self.field(path) or {}
        names = _properties(self.register, self.kind, path)
        return dict.fromkeys(names, "") | dict(value)

    def rows(self, path: str) -> list[Any]:
        """A list field's items; objects get every property, ``""`` when absent."""
        items = self.field(path) or []
        names = _properties(self.register, self.kind, path, of_items=True)
        if not names:
            return list(items)
        return [dict.fromkeys(names, "") | dict(item) for item in items]

    def history(self) -> list[dict[str, Any]]:
        return [self._step(entry) for entry in self.record.get("history") or []]

    def step(self, action: str) -> dict[str, Any] | None:
        """The latest history entry of ``action``, or None if it was never taken."""
        if action not in self.kind.actions:
            known = "、".join(self.kind.actions)
            raise FormError(f"{self.kind.label}没有动作 {action}；可用：{known}")
        taken = [entry for entry in self.history() if entry["action"] == action]
        return taken[-1] if taken else None

    def deadline(self, name: str) -> dict[str, Any] | None:
        """The latest entry for time limit ``name``, or None if it never started."""
        if name not in self.kind.limits:
            known = "、".join(self.kind.limits)
            raise FormError(f"{self.kind.label}没有时限 {name}；可用：{known}")
        entries = [
            e for e in self.record.get("deadlines") or [] if e.get("limit") == name
        ]
        if not entries:
            return None

        optional = {
            "done": "",
            "extended": 0,
            "late": 0,
            "original_due": "",
            "original_provisional": False,
            "provisional": False,
            "chased": [],
        }
        # A due date counted as 暂定 is shown as it counts on today's calendar.
        entry = settled(self.register, self.kind, dict(entries[-1]))
        return optional | entry | {"term": self.kind.limits[name].describe()}

    def extension(self) -> dict[str, Any]:
        """The limit an extension lengthens: due before and after, and who approved."""
        action = next((a for a in self.kind.actions.values() if a.extends), None)
        if action is None or action.extends is None:
            raise FormError(f"{self.kind.label}的流程没有延期动作")

        rule = action.extends
        limit = self.kind.limits[rule.limit]
        entry = self.deadline(rule.limit)
        days = int(_lookup(self.record, rule.field) or 0)
        approval = self.step(action.name)
        original = due = None
        original_provisional = provisional = False
        if entry is not None and entry["extended"]:
            original, due = entry["original_due"], entry["due"]
            original_provisional = entry["original_provisional"]
            provisional = entry["provisional"]
        elif entry is not None:
            # Asked for, not yet approved: the due date in force, and the one it would be.
            original, original_provisional = entry["due"], entry["provisional"]
            if days:
                start = _as_date(entry["start"])
                due, provisional = engine.due_date(
                    self.register.calendar, limit, start, extra=days
                )
        return {
            "limit": limit,
            "start": entry["start"] if entry else None,
            "original_due": original,
            "original_provisional": original_provisional,
            "due": due,
            "provisional": provisional,
            "days": days,
            "approved": approval is not None,
            "approved_by": approval["person"] if approval else "",
            "approved_on": approval["on"] if approval else None,
        }

    def _step(self, entry: Mapping[str, Any]) -> dict[str, Any]:
        action = self.kind.actions.get(str(entry.get("action")))
        behalf = str(entry.get("on_behalf_of") or "")
        return (
            {"from": "", "on_behalf_of": "", "note": ""}
            | dict(entry)
            | {
                "label": action.label if action else str(entry.get("action")),
                "person": self.person(entry.get("by")),
                "behalf": self.unit(behalf)
                if behalf in self.settings.units
                else behalf,
                "on": self._local_date(entry.get("at")),
                "to_label": self.kind.state_label(str(entry.get("to", ""))),
            }
        )

    def _local_date(self, value: Any) -> dt.date | None:
        """The office's calendar day of a step, whatever offset it was written with."""
        moment = _as_moment(value)
        if isinstance(moment, dt.datetime) and moment.tzinfo is not None:
            from zoneinfo import ZoneInfo

            return moment.astimezone(ZoneInfo(self.settings.timezone)).date()
        return moment.date() if isinstance(moment, dt.datetime) else moment


def _properties(
    register: Register, kind: Kind, path: str, of_items: bool = False
) -> list[str]:
    """The property names of an object field, or of a list field's items."""
    schemas = engine.schemas(register)
    node = schemas.field_schema(kind.name, path)
    if not of_items:
        return list(node.get("properties", {}))

    # field_schema follows references down to the list, not into its items.
    document = schemas.schema(kind.name)
    node = node.get("items", {})
    while "$ref" in node:
        target, _, pointer = node["$ref"].partition("#")
        document = schemas.documents[target] if target else document
        node = document
        for part in filter(None, pointer.split("/")):
            node = node[part]
    return list(node.get("properties", {}))


# --- filters ------------------------------------------------------------------------


def date_cn(value: Any, provisional: bool = False) -> str:
    """A date as a Chinese document writes it: 2026年3月2日, no zero padding.

    A ``provisional`` date (a due date that rests on a year whose holidays are not yet
    published) is marked 暂定 as every report marks it: 2027年1月29日（暂定）.
    """
    moment = _as_moment(value)
    if moment is None:
        return ""
    mark = PROVISIONAL if provisional else ""
    return f"{moment.year}年{moment.month}月{moment.day}日{mark}"


def yes_no(value: Any) -> str:
    if value is None or value == "":
        return ""
    return "是" if value else "否"


def oneline(value: Any) -> str:
    """Multi-line text on one line, for a Markdown table cell."""
    lines = (line.strip() for line in str(value or "").splitlines())
    return " ".join(line for line in lines if line)


def paragraphs(value: Any) -> str:
    """Each line of a text as its own Markdown paragraph, so line breaks survive."""
    lines = (line.strip() for line in str(value or "").splitlines())
    return "\n\n".join(line for line in lines if line)


def _as_moment(value: Any) -> dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        return value
    try:
        moment = dt.datetime.fromisoformat(str(value))
    except ValueError:
        raise FormError(f"{value!r} 不是日期（应为 YYYY-MM-DD）") from None
    return moment.date() if len(str(value)) == 10 else moment


def _as_date(value: Any) -> dt.date | None:
    moment = _as_moment(value)
    return moment.date() if isinstance(moment, dt.datetime) else moment


def _lookup(record: Mapping[str, Any], path: str) -> Any:
    node: Any = record
    for part in path.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


# --- error messages -----------------------------------------------------------------


def _where(register: Register, err: BaseException, name: str) -> str:
    """``template:line`` of the innermost template frame the error passed through."""
    frames = traceback.extract_tb(err.__traceback__)
    for frame in reversed(frames):
        if frame.filename.endswith(".j2"):
            return f"{_shown(register, frame.filename)}:{frame.lineno}"
    return name


def _shown(register: Register, filename: str) -> str:
    """A template path as a clerk can find it: in the register, or shipped."""
    path = Path(filename)
    if not path.is_absolute():
        return filename
    for folder in register.folder("templates"):
        if path.is_relative_to(folder):
            inside = path.relative_to(folder).as_posix()
            if folder.is_relative_to(register.root):
                return register.relative(folder / inside)
            return f"内置模板 {inside}"
    return filename


_UNDEFINED_PATTERNS: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    (re.compile(r"^'([^']+)' is undefined"), lambda m: f"变量 {m[1]}"),
    (re.compile(r"has no attribute '([^']+)'"), lambda m: f"字段 {m[1]}"),
]


def _undefined_name(err: jinja2.UndefinedError) -> str:
    message = str(err.message or "")
    for pattern, describe in _UNDEFINED_PATTERNS:
        found = pattern.search(message)
        if found:
            return describe(found)
    return message


def _not_found(register: Register, name: str, err: jinja2.TemplateNotFound) -> str:
    missing = err.name if isinstance(err.name, str) else name
    places = "、".join(str(path) for path in register.folder("templates"))
    return f"没有模板 {missing}（查找位置：{places}）"
