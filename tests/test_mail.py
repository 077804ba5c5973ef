"""``officectl overdue --mail``: each unit its own list, through a real SMTP conversation.

The server is a small one started by the test on 127.0.0.1, speaking as much SMTP as
smtplib uses (EHLO, AUTH PLAIN, MAIL, RCPT, DATA, RSET, QUIT); messages are parsed back
with the standard library, as a mail client would.
"""

from __future__ import annotations

import base64
import datetime as dt
import email
import email.policy
import json
import socket
import socketserver
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path

import pytest

from officectl import mail, reports
from officectl.register import Register

AS_OF = "2026-04-01"
PHONE, ID_NUMBER, ADDRESS = "13800001234", "420102199003071234", "江城市东湖区幸福路8号"


@dataclass
class Delivered:
    sender: str
    recipients: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        return parsed

    def text(self) -> str:
        return str(self.message.get_body(("plain",)).get_content())

    def html(self) -> str:
        return str(self.message.get_body(("html",)).get_content())


@dataclass
class Mailbox:
    """What the server took in, and what it is told to refuse."""

    port: int
    delivered: list[Delivered] = field(default_factory=list)
    logins: list[tuple[str, str]] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)

    def to(self, address: str) -> Delivered:
        (found,) = [d for d in self.delivered if d.recipients == [address]]
        return found


class _Session(socketserver.StreamRequestHandler):
    mailbox: Mailbox

    def reply(self, line: str) -> None:
        self.wfile.write(f"{line}\r\n".encode())

    def handle(self) -> None:
        self.reply("220 127.0.0.1 test SMTP")
        sender, recipients = "", []
        while line := self.rfile.readline():
            command = line.decode("utf-8").rstrip("\r\n")
            verb, _, argument = command.partition(" ")
            verb = verb.upper()
            if verb == "EHLO":
                self.wfile.write(b"250-127.0.0.1\r\n250-AUTH PLAIN\r\n250 8BITMIME\r\n")
            elif verb == "AUTH":
                _, _, encoded = argument.partition(" ")
                _, user, password = base64.b64decode(encoded).decode().split("\0")
                self.mailbox.logins.append((user, password))
                self.reply("235 2.7.0 authenticated")
            elif verb == "MAIL":
                sender, recipients = argument.split(":", 1)[1].strip("<> "), []
                self.reply("250 OK")
            elif verb == "RCPT":
                address = argument.split(":", 1)[1].strip("<> ")
                if address in self.mailbox.refuse:
                    self.reply("550 5.1.1 no such mailbox")
                else:
                    recipients.append(address)
                    self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 go ahead")
                self.mailbox.delivered.append(
                    Delivered(sender, recipients, self._data())
                )
                self.reply("250 OK queued")
            elif verb in {"RSET", "NOOP", "HELO"}:
                self.reply("250 OK")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("502 not implemented")

    def _data(self) -> bytes:
        lines = []
        while (line := self.rfile.readline()) != b".\r\n":
            lines.append(line[1:] if line.startswith(b"..") else line)
        return b"".join(lines)


@pytest.fixture
def smtp() -> Iterator[Mailbox]:
    server = socketserver.TCPServer(("127.0.0.1", 0), _Session)
    mailbox = Mailbox(server.server_address[1])
    _Session.mailbox = mailbox
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield mailbox
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def set_mail(register: Path, port: int, extra: str = "") -> None:
    settings = register / "officectl.yaml"
    text = settings.read_text(encoding="utf-8")
    settings.write_text(
        text + "mail:\n  host: 127.0.0.1\n"
        f"  port: {port}\n"
        "  from: 江城市税务局办公室 <officectl@jiangcheng-tax.example>\n" + extra,
        encoding="utf-8",
    )


CONTACTS = "  bureau_contacts:\n    donghu: xinfang@donghu.jiangcheng-tax.example\n"


@pytest.fixture
def overdue_register(cli, letter) -> Path:
    """Three letters overdue on 2026-04-01, each answered for by another unit.

    LTR-2026-0001 (with the personal data of conftest.FIRST_LETTER) is assigned to the
    东湖区 bureau, which has not said whether it accepts; LTR-2026-0002 is assigned to
    the 征管和科技发展处, likewise; LTR-2026-0003 lies unhandled with 王丽 of the
    办公室.
    """
    steps = [
        ["do", "LTR-2026-0001", "assign", "--set", "unit=donghu", "--date", "2026-03-09"],
        ["new", "letter", "--set", "received=2026-03-03", "--set", "petitioner.name=李四",
         "--set", "title=反映发票领用问题", "--set", "content=c", "--date", "2026-03-03"],
        ["do", "LTR-2026-0002", "assign", "--set", "unit=collection", "--date", "2026-03-04"],
        ["new", "letter", "--set", "received=2026-03-02", "--set", "petitioner.name=王五",
         "--set", "title=咨询退税进度", "--set", "content=c", "--date", "2026-03-02"],
    ]  # fmt: skip
    for args in steps:
        result = cli(*args, "--by", "wangli")
        assert result.exit_code == 0, result.output
    return letter.parents[3]


OFFICE = "lijun@jiangcheng-tax.example"  # 李军, head of the 办公室
COLLECTION = "hanbing@jiangcheng-tax.example"  # 韩冰, head of the 征管和科技发展处
DONGHU = "xinfang@donghu.jiangcheng-tax.example"


def test_each_unit_gets_exactly_its_own_rows(cli, overdue_register, smtp):
    set_mail(overdue_register, smtp.port, CONTACTS)
    report = json.loads(cli("overdue", "--as-of", AS_OF, "--format", "json").stdout)
    rows = report["overdue"] + report["due_soon"]

    result = cli("overdue", "--as-of", AS_OF, "--mail")

    assert result.exit_code == 0, result.output
    assert sorted(d.recipients[0] for d in smtp.delivered) == sorted(
        [OFFICE, COLLECTION, DONGHU]
    )
    units = {
        OFFICE: "办公室",
        COLLECTION: "征管和科技发展处",
        DONGHU: "江城市东湖区税务局",
    }
    for address, unit in units.items():
        own = {(r["record"], r["limit"]) for r in rows if r["department"] == unit}
        delivered = smtp.to(address)
        for part in (delivered.text(), delivered.html()):
            shown = {(r["record"], r["limit"]) for r in rows if _row_in(r, part)}
            assert shown == own, unit
    assert {r["department"] for r in rows} == set(units.values())
    assert "已发送 办公室" in result.stderr
    assert result.stdout.startswith(
        "国家税务总局江城市税务局办公室 逾期事项报告"
    )  # as before


def _row_in(row: dict[str, str], part: str) -> bool:
    """Whether a report row is in a message: its id and limit on one table line."""
    lines = (
        part.replace("</td>", " ")
        .replace("<td>", " ")
        .replace("<tr>", "\n")
        .splitlines()
    )
    return any(row["record"] in line and row["limit"] in line for line in lines)


def test_the_mail_is_utf8_with_encoded_headers_and_chinese_intact(
    cli, overdue_register, smtp
):
    set_mail(overdue_register, smtp.port, CONTACTS)

    cli("overdue", "--as-of", AS_OF, "--mail")

    delivered = smtp.to(COLLECTION)
    message = delivered.message
    assert message["Subject"] == "逾期事项提醒（截至 2026-04-01）— 征管和科技发展处"
    assert message["To"] == "韩冰 <hanbing@jiangcheng-tax.example>"
    assert message["From"] == "江城市税务局办公室 <officectl@jiangcheng-tax.example>"
    assert message["Auto-Submitted"] == "auto-generated"
    head = delivered.data.split(b"\r\n\r\n", 1)[0]
    assert head.isascii()  # every header encoded (RFC 2047), none raw UTF-8
    assert delivered.sender == "officectl@jiangcheng-tax.example"
    text = delivered.text()
    assert text.startswith("韩冰同志：")
    assert "反映发票领用问题" in text and "承办单位告知是否受理" in text
    assert "反映发票领用问题" in delivered.html()
    plain, html = message.get_body(("plain",)), message.get_body(("html",))
    assert plain.get_content_charset() == html.get_content_charset() == "utf-8"


def test_no_mail_carries_personal_data(cli, overdue_register, smtp):
    set_mail(overdue_register, smtp.port, CONTACTS)

    cli("overdue", "--as-of", AS_OF, "--mail")

    assert len(smtp.delivered) == 3
    for delivered in smtp.delivered:
        for part in (delivered.text(), delivered.html()):
            assert not any(
                secret in part for secret in (PHONE, ID_NUMBER, ADDRESS, "张三")
            )


def test_a_bureau_without_an_address_is_skipped_and_named(cli, overdue_register, smtp):
    set_mail(overdue_register, smtp.port)

    result = cli("overdue", "--as-of", AS_OF, "--mail")

    assert result.exit_code == 0, result.output
    assert sorted(d.recipients[0] for d in smtp.delivered) == sorted(
        [OFFICE, COLLECTION]
    )
    assert "未发送 江城市东湖区税务局（1 项）" in result.stderr
    assert "mail.bureau_contacts" in result.stderr


def test_a_dry_run_sends_nothing_and_says_who_would_get_what(
    cli, overdue_register, smtp
):
    set_mail(overdue_register, smtp.port, CONTACTS)

    result = cli("overdue", "--as-of", AS_OF, "--mail", "--dry-run")

    assert result.exit_code == 0, result.output
    assert smtp.delivered == []
    assert (
        "将发送给 征管和科技发展处 韩冰 <hanbing@jiangcheng-tax.example>：已逾期 1 项"
        in (result.stderr)
    )


def test_the_password_comes_from_the_variable_the_settings_name(
    cli, overdue_register, smtp, monkeypatch
):
    login = "  username: officectl\n  password_env: OFFICECTL_TEST_SMTP\n"
    set_mail(overdue_register, smtp.port, CONTACTS + login)
    monkeypatch.setenv("OFFICECTL_TEST_SMTP", "s3cret-pass")

    result = cli("overdue", "--as-of", AS_OF, "--mail")

    assert result.exit_code == 0, result.output
    assert smtp.logins == [("officectl", "s3cret-pass")]
    assert "s3cret" not in (overdue_register / "officectl.yaml").read_text(
        encoding="utf-8"
    )


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        ("  username: officectl\n  password_env: OFFICECTL_TEST_UNSET\n",
         ["OFFICECTL_TEST_UNSET", "未设置"]),
        ("  password: hunter2\n", ["password", "password_env"]),
        ("  username: officectl\n  password_env: OFFICECTL_TEST_CHINESE\n",
         ["OFFICECTL_TEST_CHINESE", "非 ASCII"]),
        ("  username: officectl\n", ["password_env"]),
        ("  prot: 25\n", ["prot"]),
    ],
    ids=["password variable unset", "password in the register", "non-ASCII password",
         "no password variable",
         "misspelt key"],
)  # fmt: skip
def test_bad_mail_settings_are_one_clear_error(
    cli, overdue_register, smtp, one_line_error, monkeypatch, extra, words
):
    monkeypatch.delenv("OFFICECTL_TEST_UNSET", raising=False)
    monkeypatch.setenv("OFFICECTL_TEST_CHINESE", "口令")
    set_mail(overdue_register, smtp.port, extra)

    result = cli("overdue", "--as-of", AS_OF, "--format", "json", "--mail")

    one_line_error(result, 2, *words)
    assert smtp.delivered == []


def test_a_refused_recipient_is_named_after_the_others_are_sent(
    cli, overdue_register, smtp
):
    set_mail(overdue_register, smtp.port, CONTACTS)
    smtp.refuse.add(COLLECTION)

    result = cli("overdue", "--as-of", AS_OF, "--mail")

    assert result.exit_code == 4
    assert sorted(d.recipients[0] for d in smtp.delivered) == sorted([OFFICE, DONGHU])
    last = result.stderr.strip().splitlines()[-1]
    assert "已发送 2 封" in last and "征管和科技发展处" in last and "550" in last


def test_a_server_that_cannot_be_reached_is_one_clear_error(
    cli, overdue_register, one_line_error
):
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    set_mail(overdue_register, port, CONTACTS)

    result = cli("overdue", "--as-of", AS_OF, "--format", "json", "--mail")

    one_line_error(result, 4, f"邮件服务器 127.0.0.1:{port}", "没有发出任何邮件")


def test_send_overdue_from_the_library(overdue_register, smtp):
    set_mail(overdue_register, smtp.port, CONTACTS)
    register = Register(overdue_register)
    day = dt.date.fromisoformat(AS_OF)
    entries, _ = reports.running(register, day, 3)
    items = reports.due_items(register, entries, day, 3, None)

    lines = mail.send_overdue(register, items, day)

    assert len(lines) == len(smtp.delivered) == 3
    assert all(line.startswith("已发送 ") for line in lines)


def test_dry_run_without_mail_is_refused(cli, one_line_error):
    result = cli("overdue", "--as-of", AS_OF, "--dry-run")

    one_line_error(result, 2, "--dry-run", "--mail")
