"""Mail each department its own overdue list, by SMTP.

The server and sender come from ``officectl.yaml``::

    mail:
      host: smtp.jiangcheng-tax.example
      port: 587                  # default 25; 587 with starttls, 465 with ssl
      from: 江城市税务局办公室 <officectl@jiangcheng-tax.example>
      starttls: true             # or ssl: true for a server that speaks TLS from the start
      username: officectl
      password_env: OFFICECTL_SMTP_PASSWORD   # the password is read from this variable
      bureau_contacts:           # lower bureaus have no head in the roster
        donghu: xinfang@donghu.jiangcheng-tax.example

A department's list goes to its head in the roster; a lower bureau's to its address in
``bureau_contacts`` (one address or a list). A unit with no address is skipped and
named, never guessed. Each message is plain text with an HTML alternative (the printable
overdue report, cut to the unit's own rows), UTF-8 throughout. The rows come from the
overdue report, so they carry no petitioner's personal data.
"""

from __future__ import annotations

import datetime as dt
import os
import smtplib
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr
from typing import Any

from officectl import reports
from officectl.errors import BadInput, RegisterError
from officectl.register import Register
from officectl.reports import DueItem

SETTINGS_KEYS = {
    "host", "port", "from", "starttls", "ssl", "username", "password_env",
    "bureau_contacts", "timeout",
}  # fmt: skip


@dataclass(frozen=True)
class MailSettings:
    host: str
    port: int
    sender: Address
    starttls: bool
    tls: bool  # TLS from the first byte (port 465)
    username: str
    password_env: str
    contacts: dict[str, tuple[str, ...]]
    timeout: float


@dataclass(frozen=True)
class Letter:
    """One unit's message, ready to send."""

    unit: str
    recipients: str  # as people read them, for the report
    overdue: int
    due_soon: int
    message: EmailMessage


def mail_settings(register: Register) -> MailSettings:
    """The ``mail`` section of ``officectl.yaml``; every problem names its key."""
    data = register.settings.raw.get("mail")
    where = "officectl.yaml: mail"
    if not isinstance(data, dict):
        raise BadInput(
            f"{where}: 没有邮件设置：在 officectl.yaml 中写 mail: {{host, from, …}}"
        )
    if "password" in data:
        raise BadInput(
            f"{where}.password: 密码不能写在登记簿里（它在 git 中人人可见）："
            "改用 password_env 指定存放密码的环境变量"
        )
    unknown = sorted(set(map(str, data)) - SETTINGS_KEYS)
    if unknown:
        raise BadInput(
            f"{where}: 未知的键 {'、'.join(unknown)}；可用：{'、'.join(sorted(SETTINGS_KEYS))}"
        )
    host = str(data.get("host") or "")
    name, address = parseaddr(str(data.get("from") or ""))
    if not host or "@" not in address:
        raise BadInput(f"{where}: 需要 host（邮件服务器）和 from（发件地址）")
    starttls, tls = data.get("starttls", False), data.get("ssl", False)
    if type(starttls) is not bool or type(tls) is not bool or (starttls and tls):
        raise BadInput(f"{where}: starttls 和 ssl 应为 true 或 false，至多一个为 true")
    port = data.get("port", 465 if tls else 587 if starttls else 25)
    timeout = data.get("timeout", 30)
    if type(port) is not int or type(timeout) not in (int, float):
        raise BadInput(f"{where}: port 应为端口号，timeout 应为秒数")
    username = str(data.get("username") or "")
    password_env = str(data.get("password_env") or "")
    if username and not password_env:
        raise BadInput(
            f"{where}: 有 username 就要有 password_env（存放密码的环境变量名）"
        )
    return MailSettings(
        host=host,
        port=port,
        sender=_address(name or register.settings.office, address),
        starttls=starttls,
        tls=tls,
        username=username,
        password_env=password_env,
        contacts=_contacts(where, data.get("bureau_contacts")),
        timeout=float(timeout),
    )


def _contacts(where: str, data: Any) -> dict[str, tuple[str, ...]]:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise BadInput(f"{where}.bureau_contacts: 应为“单位编号: 邮箱”的映射")
    contacts = {}
    for unit, value in data.items():
        addresses = tuple(
            str(v) for v in (value if isinstance(value, list) else [value])
        )
        if not addresses or any("@" not in a for a in addresses):
            raise BadInput(f"{where}.bureau_contacts.{unit}: {value!r} 不是邮箱地址")
        contacts[str(unit)] = addresses
    return contacts


def _address(name: str, address: str) -> Address:
    try:
        return Address(display_name=name, addr_spec=address)
    except (ValueError, IndexError):
        raise BadInput(f"officectl.yaml: mail: {address!r} 不是邮箱地址") from None


# --- composing ----------------------------------------------------------------------


def compose(
    register: Register,
    items: Sequence[DueItem],
    as_of: dt.date,
    soon: int = 3,
    settings: MailSettings | None = None,
) -> tuple[list[Letter], list[str]]:
    """One message for each unit with items, and a line for each unit with no address."""
    settings = settings or mail_settings(register)
    by_unit: dict[str, list[DueItem]] = {}
    for item in items:
        by_unit.setdefault(item.department, []).append(item)
    letters, skipped = [], []
    for unit, unit_items in by_unit.items():
        recipients, greeting, reason = _recipients(register, settings, unit)
        if not recipients:
            skipped.append(f"未发送 {unit}（{len(unit_items)} 项）：{reason}")
            continue
        message = _message(register, settings)
        message["To"] = recipients
        message["Subject"] = f"逾期事项提醒（截至 {as_of.isoformat()}）— {unit}"
        message.set_content(
            _text(register, unit, greeting, unit_items, as_of, soon), cte="base64"
        )
        message.add_alternative(
            _html(register, unit_items, as_of, soon), subtype="html", cte="base64"
        )
        late = sum(1 for item in unit_items if item.overdue)
        shown = ", ".join(str(address) for address in recipients)
        letters.append(Letter(unit, shown, late, len(unit_items) - late, message))
    return letters, skipped


def _recipients(
    register: Register, settings: MailSettings, unit_name: str
) -> tuple[list[Address], str, str]:
    """Who gets a unit's list and how to greet them; or nobody, and why."""
    roster = register.settings
    unit = next((u for u in roster.units.values() if u.name == unit_name), None)
    if unit is None:
        return [], "", "不是名册中的处室或下级单位，不知道该发给谁"
    if unit.head:
        head = roster.people.get(unit.head)
        if head is None or not head.email:
            why = (
                f"负责人 {unit.head} 在名册中没有邮箱（officectl.yaml 的 people.email）"
            )
            return [], "", why
        return [_address(head.name, head.email)], f"{head.name}同志", ""
    addresses = settings.contacts.get(unit.id) or settings.contacts.get(unit.name)
    if not addresses:
        why = (
            "名册中没有负责人，officectl.yaml 的 mail.bureau_contacts 中"
            f"也没有 {unit.id} 的邮箱"
        )
        return [], "", why
    return [_address(unit.name, a) for a in addresses], unit.name, ""


def _message(register: Register, settings: MailSettings) -> EmailMessage:
    message = EmailMessage()
    message["From"] = settings.sender
    message["Date"] = format_datetime(register.now())
    message["Message-ID"] = make_msgid("officectl", settings.sender.domain)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to this
    return message


def _columns() -> dict[str, str]:
    """The overdue report's columns, less the unit, which every row of a letter shares."""
    return {k: v for k, v in reports.OVERDUE_HEADERS.items() if k != "department"}


def _text(
    register: Register,
    unit: str,
    greeting: str,
    items: list[DueItem],
    as_of: dt.date,
    soon: int,
) -> str:
    from officectl.tables import text_table

    headers = _columns()
    parts = [
        f"{greeting}：",
        "",
        f"截至 {as_of.isoformat()}，{unit}有以下事项已逾期或即将到期，"
        "请督促办理。逾期按工作日计算。",
    ]
    for title, chosen in _sections(items, soon):
        rows = reports.overdue_rows(chosen)
        body = [
            ["" if row[key] is None else str(row[key]) for key in headers]
            for row in rows
        ]
        table = text_table(list(headers.values()), body)
        parts += ["", f"{title}：{len(chosen)} 项", "", table if chosen else "（无）"]
    parts += [
        "",
        f"{register.settings.office}",
        "（本邮件由 officectl 按登记簿自动生成）",
        "",
    ]
    return "\n".join(parts)


def _html(register: Register, items: list[DueItem], as_of: dt.date, soon: int) -> str:
    from officectl.forms import render_report

    (_, late), (_, coming) = _sections(items, soon)
    return render_report(register, "overdue", {
        "as_of": as_of,
        "overdue": reports.overdue_rows(late),
        "due_soon": reports.overdue_rows(coming),
        "headers": _columns(),
        "soon": soon,
    })  # fmt: skip


def _sections(items: list[DueItem], soon: int) -> list[tuple[str, list[DueItem]]]:
    late = [item for item in items if item.overdue]
    coming = [item for item in items if not item.overdue]
    return [("已逾期", late), (f"{soon} 个工作日内到期", coming)]


# --- sending ------------------------------------------------------------------------


def send_overdue(
    register: Register,
    items: Sequence[DueItem],
    as_of: dt.date,
    dry_run: bool = False,
    soon: int = 3,
) -> list[str]:
    """Mail each unit its own items; a line for each message sent or unit skipped.

    ``dry_run`` composes every message and says who would get it, sending nothing. A
    server that cannot be reached, or refuses the login, stops the run with
    :class:`RegisterError`; a message the server refuses is named in the error after
    the others have gone.
    """
    settings = mail_settings(register)
    letters, skipped = compose(register, items, as_of, soon, settings)
    if dry_run:
        return [f"将发送给 {_line(letter)}" for letter in letters] + skipped
    if not letters:
        return skipped
    return _deliver(settings, letters) + skipped


def _line(letter: Letter) -> str:
    return (
        f"{letter.unit} {letter.recipients}：已逾期 {letter.overdue} 项，"
        f"即将到期 {letter.due_soon} 项"
    )


def _deliver(settings: MailSettings, letters: list[Letter]) -> list[str]:
    password = _password(settings)
    server = f"{settings.host}:{settings.port}"
    sent: list[str] = []
    failed: list[str] = []
    try:
        with _connect(settings) as smtp:
            if settings.starttls:
                smtp.starttls(context=ssl.create_default_context())
            if settings.username:
                _login(smtp, settings, password)
            for letter in letters:
                try:
                    smtp.send_message(letter.message)
                except (
                    smtplib.SMTPRecipientsRefused,
                    smtplib.SMTPResponseException,
                ) as err:
                    failed.append(f"{letter.unit}（{_reason(err)}）")
                else:
                    sent.append(f"已发送 {_line(letter)}")
    except (OSError, smtplib.SMTPException) as err:
        done = f"；此前已发送 {len(sent)} 封" if sent else "；没有发出任何邮件"
        raise RegisterError(f"邮件服务器 {server}：{_reason(err)}{done}") from None
    if failed:
        raise RegisterError(
            f"已发送 {len(sent)} 封；邮件服务器 {server} 拒收了 {len(failed)} 封："
            + "、".join(failed)
        )
    return sent


def _connect(settings: MailSettings) -> smtplib.SMTP:
    if settings.tls:
        context = ssl.create_default_context()
        return smtplib.SMTP_SSL(
            settings.host, settings.port, timeout=settings.timeout, context=context
        )
    return smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)


def _login(smtp: smtplib.SMTP, settings: MailSettings, password: str) -> None:
    try:
        smtp.login(settings.username, password)
    except UnicodeEncodeError:
        # smtplib sends credentials as ASCII only.
        raise BadInput(
            f"邮箱用户名或密码（环境变量 {settings.password_env}）含有中文等非 ASCII "
            "字符，无法登录：请改用只含字母、数字和符号的密码"
        ) from None


def _password(settings: MailSettings) -> str:
    if not settings.username:
        return ""
    password = os.environ.get(settings.password_env)
    if not password:
        raise BadInput(
            f"环境变量 {settings.password_env} 未设置：邮箱密码从这里读取"
            "（officectl.yaml 的 mail.password_env）"
        )
    return password


def _reason(err: BaseException) -> str:
    """What went wrong, in one line: the server's reply, or the network's."""
    if isinstance(err, smtplib.SMTPRecipientsRefused):
        replies = [f"{code} {_decoded(text)}" for code, text in err.recipients.values()]
        return "收件人被拒：" + "；".join(replies)
    if isinstance(err, smtplib.SMTPAuthenticationError):
        return "登录失败，用户名或密码不对"
    if isinstance(err, smtplib.SMTPNotSupportedError):
        return f"服务器不支持：{err}"
    if isinstance(err, smtplib.SMTPResponseException):
        return f"{err.smtp_code} {_decoded(err.smtp_error)}"
    if isinstance(err, smtplib.SMTPServerDisconnected):
        return "服务器断开了连接"
    if isinstance(err, TimeoutError):
        return "连接超时"
    if isinstance(err, OSError):
        return f"无法连接（{err.strerror or err}）"
    return str(err)


def _decoded(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else reply
