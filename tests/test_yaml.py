"""Record files: one canonical way to write YAML, comments kept, nothing misread."""

from __future__ import annotations

import datetime as dt
import time

import pytest
import yaml

from officectl import yamlio

ID = "LTR-2026-0001"

# A closed letter in the canonical style: every kind of value a record holds. It has no
# comment, so it also takes the fast path that skips ruamel.yaml.
CLOSED_LETTER = """\
id: LTR-2026-0007
kind: letter
state: closed
received: 2026-03-02
channel: 网上信访
urgent: false
petitioner:
  name: 张三
  phone: '13800001234'
  id_number: 42010219900307123X
co_signers: 3
serial: '0089'
title: 'NO'
category: 'off'
content: |
  第一行：小区物业费上涨。
  第二行："未公示"，要求说明。
handler: wangli
attachments:
  - name: 原信
    path: attachments/LTR-2026-0007/letter.pdf
    pages: 2
deadlines:
  - limit: close
    label: 办结
    start: 2026-03-02
    due: 2026-05-06
    done: 2026-04-10
history:
  - action: register
    to: registered
    by: wangli
    at: '2026-03-06T09:00:00+08:00'
  - action: reply
    from: registered
    to: closed
    by: wangli
    at: '2026-04-10T15:30:00+08:00'
    note: 已电话告知
"""

# The same kind of record as a clerk annotates it by hand.
COMMENTED_LETTER = """\
# 这封信由局长批示转来，办理时注意保密。
id: LTR-2026-0001
kind: letter
state: registered
received: 2026-03-02
channel: 领导转来
petitioner:
  name: 李四  # 化名
# 事由照信封原文登记
title: 反映办税服务厅排队时间过长
content: 排队两小时
# 经办人由信访岗指定
handler: wangli
# 以下由 officectl 维护
history:
  - action: register
    to: registered
    by: wangli
    at: '2026-03-06T09:00:00+08:00'
"""


def field_below(text: str, comment: str) -> str:
    """The key of the first field after the line holding ``comment``."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if comment in line)
    following = (
        line for line in lines[start + 1 :] if not line.lstrip().startswith("#")
    )
    return next(following).split(":")[0].strip()


# --- canonical text -----------------------------------------------------------------


@pytest.mark.parametrize(
    "text", [CLOSED_LETTER, COMMENTED_LETTER], ids=["plain", "with comments"]
)
def test_canonical_file_round_trips_byte_for_byte(text):
    tree = yamlio.load_for_edit(text, "letter.yaml")

    assert yamlio.dumps(tree) == text


def test_file_written_by_the_tool_is_canonical(letter):
    text = letter.read_text(encoding="utf-8")

    assert yamlio.dumps(yamlio.load_for_edit(text, "letter.yaml")) == text


def test_both_readers_agree():
    data, _ = yamlio.loads(CLOSED_LETTER)
    tree = yamlio.load_for_edit(CLOSED_LETTER, "letter.yaml")

    assert yamlio.to_json(data) == yamlio.to_json(_plain(tree))
    assert data["received"] == dt.date(2026, 3, 2)
    assert (data["serial"], data["title"], data["category"]) == ("0089", "NO", "off")


def _plain(value):
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


# --- comments -----------------------------------------------------------------------

# Comments a clerk adds by hand to a record the tool wrote: (text before, comment).
HAND_COMMENTS = [
    ("id:", "# 这封信由局长批示转来，办理时注意保密。"),
    ("title:", "# 事由照信封原文登记"),
    ("deadlines:", "# 时限由 officectl 计算"),
    ("history:", "# 以下由 officectl 维护"),
]


def comment_cases(removals: list[str]) -> list[object]:
    """HAND_COMMENTS x removals as params."""
    cases = []
    for text_before, comment in HAND_COMMENTS:
        field = text_before.rstrip(":")
        for removed in removals:
            cases.append(
                pytest.param(
                    comment,
                    field,
                    removed,
                    id=f"{field}-{removed}" if removed else field,
                )
            )
    return cases


@pytest.fixture
def annotated(letter, hand_commit):
    """The first letter with a channel and the HAND_COMMENTS, committed by hand."""
    text = letter.read_text(encoding="utf-8")
    text = text.replace("title:", "channel: 邮寄\ntitle:", 1)
    for field, comment in HAND_COMMENTS:
        assert f"\n{field}" in f"\n{text}"
        text = f"\n{text}".replace(f"\n{field}", f"\n{comment}\n{field}", 1)[1:]
    hand_commit(letter, text)
    return letter


@pytest.mark.parametrize(("comment", "field", "removed"), comment_cases([""]))
def test_comment_stays_above_its_field_when_a_step_adds_fields(
    cli, annotated, comment, field, removed
):
    result = cli("do", ID, "assign", "--set", "unit=donghu", "--by", "wangli")

    assert result.exit_code == 0, result.output
    text = annotated.read_text(encoding="utf-8")
    assert "\nunit: donghu\n" in text and "  - limit: accept\n" in text
    assert field_below(text, comment) == field


@pytest.mark.parametrize(
    ("comment", "field", "removed"), comment_cases(["channel", "petitioner.address"])
)
def test_comment_stays_above_its_field_when_a_step_removes_a_field(
    cli, annotated, comment, field, removed
):
    result = cli(
        "do", ID, "assign", "--set", "unit=donghu", "--set", f"{removed}=",
        "--by", "wangli",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    text = annotated.read_text(encoding="utf-8")
    assert f"{removed.split('.')[-1]}:" not in text
    assert field_below(text, comment) == field


def test_inline_comment_stays_on_its_line(cli, letter, hand_commit):
    hand_commit(
        letter,
        letter.read_text(encoding="utf-8").replace(
            "  name: 张三", "  name: 张三  # 化名"
        ),
    )

    assert (
        cli("do", ID, "assign", "--set", "unit=donghu", "--by", "wangli").exit_code == 0
    )

    assert "\n  name: 张三  # 化名\n" in letter.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "removed",
    [
        "channel",
        "content",
        "petitioner",
    ],
)
def test_remove_field_keeps_the_comment_above_the_next_field(removed):
    tree = yamlio.load_for_edit(COMMENTED_LETTER, "letter.yaml")

    yamlio.remove_field(tree, removed)

    text = yamlio.dumps(tree)
    assert f"\n{removed}:" not in text
    assert field_below(text, "# 事由照信封原文登记") == "title"
    assert field_below(text, "# 经办人由信访岗指定") == "handler"
    assert field_below(text, "# 以下由 officectl 维护") == "history"


@pytest.mark.parametrize(
    ("key", "value", "before"),
    [
        ("unit", "donghu", "history"),
        ("category", "物业", "handler"),
        ("urgent", True, None),
        ("deadlines", [yamlio.new_map({"limit": "close"})], "history"),
    ],
    ids=["text", "text mid-record", "at the end", "a list"],
)
def test_set_field_keeps_the_comment_above_the_next_field(key, value, before):
    tree = yamlio.load_for_edit(COMMENTED_LETTER, "letter.yaml")

    yamlio.set_field(tree, key, value, before=before)

    text = yamlio.dumps(tree)
    assert f"\n{key}:" in text
    assert field_below(text, "# 事由照信封原文登记") == "title"
    assert field_below(text, "# 经办人由信访岗指定") == "handler"
    assert field_below(text, "# 以下由 officectl 维护") == "history"


# --- what is written ----------------------------------------------------------------


def test_chinese_is_written_as_characters():
    tree = yamlio.new_map(
        {"title": "反映安全生产问题", "content": "“引号”与《书名号》"}
    )

    text = yamlio.dumps(tree)

    assert text == "title: 反映安全生产问题\ncontent: “引号”与《书名号》\n"


@pytest.mark.parametrize(
    "word",
    ["NO", "no", "off", "On", "Y", "n", "yes", "true", "False", "null", "~",
     "010", "0089", "12:30", "1e3", "3.14", "-7", "2026-03-02", "0o17", "0x1F"],
)  # fmt: skip
def test_text_that_looks_like_another_type_is_quoted(word):
    text = yamlio.dumps(yamlio.new_map({"code": word}))

    assert text in (f"code: '{word}'\n", f'code: "{word}"\n')
    assert yaml.safe_load(text) == {"code": word}  # PyYAML reads YAML 1.1
    assert yamlio.loads(text)[0] == {"code": word}


def test_yes_no_words_set_on_the_command_line_stay_text(cli, register):
    result = cli(
        "new", "letter", "--set", "received=2026-03-02", "--set", "petitioner.name=Y",
        "--set", "title=NO", "--set", "category=off", "--set", "serial=0089",
        "--set", "content=c", "--by", "wangli",
    )  # fmt: skip

    assert result.exit_code == 0, result.output
    text = (register / "registers/letter/2026/LTR-2026-0001.yaml").read_text("utf-8")
    for line in ("  name: 'Y'", "title: 'NO'", "category: 'off'", "serial: '0089'"):
        assert f"\n{line}\n" in text
    record = yaml.safe_load(text)  # a YAML 1.1 reader sees the same text
    assert (record["title"], record["category"], record["petitioner"]["name"]) == (
        "NO",
        "off",
        "Y",
    )
    assert cli("validate").exit_code == 0


def test_a_date_stays_an_unquoted_date(cli, letter):
    assert "\nreceived: 2026-03-02\n" in letter.read_text(encoding="utf-8")

    result = cli("do", ID, "assign", "--set", "unit=donghu", "--by", "wangli")

    assert result.exit_code == 0, result.output
    text = letter.read_text(encoding="utf-8")
    assert "\nreceived: 2026-03-02\n" in text
    assert "'2026-03-02'" not in text
    assert yamlio.loads(text)[0]["received"] == dt.date(2026, 3, 2)


def test_a_date_set_on_the_command_line_is_checked(cli, register, one_line_error):
    result = cli(
        "new", "letter", "--set", "received=2026-02-30",
        "--set", "petitioner.name=张三", "--set", "title=t", "--set", "content=c",
        "--by", "wangli",
    )  # fmt: skip

    one_line_error(result, 2, "received", "2026-02-30")


# --- refusals -----------------------------------------------------------------------

# 201 bytes that stand for 9**6 (531,441) items once every alias is followed.
ALIAS_BOMB = """\
a: &a [x,x,x,x,x,x,x,x,x]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
"""


def test_alias_bomb_is_refused_fast():
    assert len(ALIAS_BOMB.encode()) == 201
    started = time.perf_counter()
    with pytest.raises(yamlio.YamlError, match="锚点和别名"):
        yamlio.loads(ALIAS_BOMB, "bomb.yaml")
    with pytest.raises(yamlio.YamlError, match="锚点和别名"):
        yamlio.load_for_edit(ALIAS_BOMB, "bomb.yaml")

    assert time.perf_counter() - started < 1


def test_alias_bomb_in_the_register_is_named_and_skipped(
    cli, register, letter, hand_commit
):
    hand_commit(register / "registers/letter/2026/LTR-2026-0002.yaml", ALIAS_BOMB)

    started = time.perf_counter()
    checked = cli("validate")
    seconds = time.perf_counter() - started
    listed = cli("list", "--format", "json")

    assert seconds < 1
    assert checked.exit_code == 1
    assert checked.stdout.startswith("registers/letter/2026/LTR-2026-0002.yaml:1: ")
    assert listed.exit_code == 0 and ID in listed.stdout
    assert "LTR-2026-0002.yaml" in listed.stderr


def test_overdue_report_names_a_record_it_skips(cli, register, letter, hand_commit):
    hand_commit(register / "registers/letter/2026/LTR-2026-0002.yaml", ALIAS_BOMB)

    result = cli("overdue", "--as-of", "2026-04-01", "--format", "json")

    assert result.exit_code == 0
    assert ID in result.stdout
    assert "LTR-2026-0002.yaml" in result.stderr


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("a: 1\nb: 2\na: 3\n", 3),
        ("%YAML 1.1\n---\na: NO\n", 1),
        ("a: &x 1\nb: *x\n", 1),
        ("a:\n  b: 1\n\tc: 2\n", 3),
        ("id: LTR-2026-0001\ntitle: 事由: 物业\n", 2),
    ],
    ids=["duplicate", "directive", "alias", "tab", "colon in a value"],
)
def test_refused_text_names_file_and_line(text, line):
    with pytest.raises(yamlio.YamlError) as caught:
        yamlio.loads(text, "x.yaml")

    assert str(caught.value).startswith(f"x.yaml:{line}:")
    assert "\n" not in str(caught.value)


def test_impossible_date_stays_text_for_the_schema_to_name():
    data, lines = yamlio.loads("id: LTR-2026-0001\nreceived: 2026-02-30\n", "x.yaml")

    assert data["received"] == "2026-02-30"
    assert lines.of(("received",)) == 2
