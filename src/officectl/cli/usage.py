"""click's usage errors, said in Chinese.

click words its own messages in English ("Missing argument 'ID'."). The office reads
Chinese, so each kind of usage error click raises is said again here from what the
exception carries (the parameter, the option name, the choices); a message click builds
from something this module does not know is passed on as it is. Imported only when a
command line is wrong, so a good command pays nothing for it.
"""

from __future__ import annotations

import difflib
import re

import click

# The value click names in its message ("'xml' is not one of …", "-1 is not in …").
_GIVEN = re.compile(r"'?(.*?)'? is not ")
_EXTRA = re.compile(r"Got unexpected extra arguments? \((.*)\)")


def in_chinese(err: click.UsageError) -> str:
    """One line saying what is wrong with the command line and what is wanted."""
    if isinstance(err, click.NoSuchOption):
        return _no_such_option(err)
    if isinstance(err, click.BadOptionUsage):
        if err.message.endswith("requires an argument."):
            return f"选项 {err.option_name} 后面须跟一个值"
        return err.format_message()
    if isinstance(err, click.MissingParameter):
        return f"缺少{_what(err.param)}"
    if isinstance(err, click.BadParameter):
        given = _GIVEN.match(err.message)
        value = f"{given.group(1)!r} " if given else ""
        return f"{_what(err.param)} 的值 {value}无效：{_wanted(err)}"
    extra = _EXTRA.fullmatch(err.message)
    if extra:
        return f"多余的参数：{extra.group(1)}"
    return err.format_message()


def no_such_command(name: str, commands: list[str]) -> str:
    close = difflib.get_close_matches(name, commands, n=1)
    hint = f"（是不是 {close[0]}？）" if close else ""
    return f"没有 {name} 这个命令{hint}；officectl --help 列出全部命令"


def _no_such_option(err: click.NoSuchOption) -> str:
    hint = ""
    if err.possibilities:
        hint = f"（是不是 {'、'.join(sorted(err.possibilities))}？）"
    return f"没有 {err.option_name} 这个选项{hint}；--help 列出本命令的选项"


def _what(param: click.Parameter | None) -> str:
    if param is None:
        return "参数"
    if isinstance(param, click.Option):
        return f"选项 {param.opts[0]}"
    return f"参数 {param.human_readable_name}"


def _wanted(err: click.BadParameter) -> str:
    kind = err.param.type if err.param is not None else None
    if isinstance(kind, click.Choice):
        return "应为 " + "、".join(str(choice) for choice in kind.choices) + " 之一"
    if isinstance(kind, click.IntRange) and kind.min is not None and kind.max is None:
        return f"应为不小于 {kind.min} 的整数"
    if isinstance(kind, click.types.IntParamType):
        return "应为整数"
    return err.message  # what click found, in its words
