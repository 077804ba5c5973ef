"""Record numbers that never collide, however many clerks number records offline.

A register kept by one clerk numbers each kind and year one after the other: the next
number is one more than the highest on file (``LTR-2026-0042`` follows ``0041``).

Once a register has a remote (several clones share it), that is no longer safe: two
clones offline would both take ``0042``. From then on each clone numbers only from
**blocks leased to it**, recorded in the committed file ``ids.yaml``::

    block: 500
    leases:
      - {prefix: 'LTR', year: 2026, first: 501, last: 1000, clone: '3f9c2a1b7d40',
         by: 'wangli', host: 'pc-xinfang-2', at: '2026-03-02T09:12:40+08:00'}

* ``officectl sync`` leases, for every kind, a block of ``block`` numbers for the
  current year (and the previous year until the end of March, the next year from
  December, and any year ``new`` ran out of numbers for since the last sync) whenever
  this clone has fewer than half a block left there. The lease is a commit of
  ``ids.yaml`` on top of everything fetched from the remote; it is pushed before the
  local branch moves to it, so it exists only if the push succeeded, and a push
  succeeds only on top of every lease pushed before it. Two clones can therefore never
  hold overlapping blocks: whoever pushes second fetches the first lease and leases
  after it. ``audit`` checks that ``ids.yaml`` only ever gains blocks that overlap none.
* ``officectl new`` takes the next number after the highest one this clone has used in
  its own blocks; it needs no network. When the blocks of a kind and year are used up
  it refuses, with what to do: sync when online.
* A clone is known by a random id kept in ``.git/officectl/clone`` together with the
  folder it was made for. A clone copied or moved to another folder gets a new id (and
  new blocks) on its next sync, so a copy never numbers from the original's blocks.

The folder a remote was first made from is a clone like the others once it names the
remote (``git remote add origin …``); until then it still numbers one after the other,
so after making the remote, work in clones (or add the remote there and sync).

Numbers stay ``<PREFIX>-<YEAR>-<NNNN>`` (four digits, more when a year needs them).
Numbers of a block never used are a gap in the sequence, never a duplicate; the
register's history says which clone held them.
"""

from __future__ import annotations

import datetime as dt
import secrets
import socket
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from officectl import gitstore, yamlio
from officectl.errors import RegisterError
from officectl.register import ID_PATTERN, RECORDS

if TYPE_CHECKING:
    from officectl.register import Person, Register
    from officectl.workflow import Kind

LEASES = "ids.yaml"
DEFAULT_BLOCK = 500
LARGEST = 999_999  # ID_PATTERN allows six digits

HEADER = """\
# 编号段：多人各自的副本离线登记时，只从本副本领取的编号段中取号，编号永不重复。
# 由 officectl sync 领取和维护，请勿手工修改；说明见 officectl 文档“多人协作”。
"""


@dataclass(frozen=True)
class Lease:
    """Numbers ``first``–``last`` of one prefix and year, for one clone."""

    prefix: str
    year: int
    first: int
    last: int
    clone: str
    by: str = ""
    host: str = ""
    at: str = ""

    def label(self) -> str:
        return f"{self.prefix}-{self.year} {self.first}–{self.last}"


@dataclass(frozen=True)
class Leases:
    block: int
    leases: tuple[Lease, ...]

    def of(self, prefix: str, year: int) -> list[Lease]:
        return [x for x in self.leases if x.prefix == prefix and x.year == year]


def parse(text: str, name: str = LEASES) -> Leases:
    """The leases in the text of ``ids.yaml``; a malformed file is :class:`BadInput`."""
    data, _ = yamlio.loads(text, name)
    if data is None:
        return Leases(DEFAULT_BLOCK, ())
    try:
        block = int(data.get("block", DEFAULT_BLOCK))
        leases = tuple(_lease(entry) for entry in data.get("leases") or [])
    except (AttributeError, KeyError, TypeError, ValueError) as err:
        raise yamlio.YamlError(f"{name}: 编号段文件格式不对：{err}") from None
    return Leases(block, leases)


def _lease(entry: dict[str, Any]) -> Lease:
    return Lease(
        prefix=str(entry["prefix"]),
        year=int(entry["year"]),
        first=int(entry["first"]),
        last=int(entry["last"]),
        clone=str(entry["clone"]),
        by=str(entry.get("by") or ""),
        host=str(entry.get("host") or ""),
        at=str(entry.get("at") or ""),
    )


def dumps(leases: Leases) -> str:
    """The text of ``ids.yaml``: one line a lease, so each lease is one line of diff."""
    lines = [HEADER, f"block: {leases.block}\n", "leases:\n"]
    for lease in leases.leases:
        fields = ", ".join(
            f"{key}: {_scalar(value)}"
            for key, value in asdict(lease).items()
            if value != ""
        )
        lines.append(f"  - {{{fields}}}\n")
    return "".join(lines)


def _scalar(value: object) -> str:
    if isinstance(value, int):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def load(root: Path) -> Leases | None:
    """The register's leases, or None when it has no ``ids.yaml`` yet."""
    path = root / LEASES
    if not path.is_file():
        return None
    return parse(yamlio.read_text(path, LEASES))


def leasing(root: Path) -> bool:
    """Whether numbers must come from leased blocks: ``ids.yaml`` exists or a remote."""
    return (root / LEASES).is_file() or gitstore.has_remote(root)


# --- taking a number --------------------------------------------------------------


def next_id(
    register: Register, kind: Kind, year: int, used: set[int] | None = None
) -> str:
    """The id the next new record of ``kind`` in ``year`` gets on this clone.

    ``used`` are the numbers already taken, when a caller numbering many records at
    once knows more than the folder does; by default, the numbers on file.
    """
    if used is None:
        used = numbers_on_file(register.root, kind, year)
    if not leasing(register.root):
        return _format(kind.prefix, year, max(used, default=0) + 1)
    leases = load(register.root) or Leases(DEFAULT_BLOCK, ())
    mine = _mine(register.root, leases, kind.prefix, year)
    number = _next_free(mine, used)
    if number is None:
        want(register.root, kind.prefix, year)
        state = "已用完" if mine else "还没有"
        raise RegisterError(
            f"本副本{state} {kind.prefix}-{year} 的编号段（多人共用的登记簿只从本副本"
            f"领取的编号段取号，以免编号重复）：联网后运行 officectl sync 领取新的编号段"
        )
    return _format(kind.prefix, year, number)


def numbers_on_file(root: Path, kind: Kind, year: int) -> set[int]:
    """The numbers of the records of ``kind`` and ``year`` in the working tree."""
    folder = root / RECORDS / kind.name / str(year)
    return {
        int(match["number"])
        for path in folder.glob(f"{kind.prefix}-{year}-*.yaml")
        if (match := ID_PATTERN.match(path.stem))
    }


def _mine(root: Path, leases: Leases, prefix: str, year: int) -> list[Lease]:
    clone = clone_id(root)
    if not clone:
        return []
    return sorted(
        (x for x in leases.of(prefix, year) if x.clone == clone), key=lambda x: x.first
    )


def _next_free(mine: list[Lease], used: set[int]) -> int | None:
    """The number after the highest used in ``mine``, moving on to later blocks."""
    floor = max(
        (n for n in used if any(x.first <= n <= x.last for x in mine)), default=0
    )
    for lease in mine:
        start = max(lease.first, floor + 1)
        if start <= lease.last:
            return start
    return None


def _free_count(mine: list[Lease], used: set[int]) -> int:
    floor = max(
        (n for n in used if any(x.first <= n <= x.last for x in mine)), default=0
    )
    return sum(max(0, x.last - max(x.first, floor + 1) + 1) for x in mine)


def _format(prefix: str, year: int, number: int) -> str:
    return f"{prefix}-{year}-{number:04d}"


# --- leasing (at sync) -----------------------------------------------------------


def lease_years(today: dt.date) -> list[int]:
    """The years a clone keeps numbers for: this one, and its neighbour near the turn."""
    years = [today.year]
    if today.month <= 3:
        years.insert(0, today.year - 1)  # letters received last December
    if today.month == 12:
        years.append(today.year + 1)
    return years


def top_up(
    register: Register, person: Person, now: dt.datetime
) -> tuple[str, list[Lease]] | None:
    """The new text of ``ids.yaml`` with the blocks this clone needs, or None.

    Each new block starts after every block leased before and every number on file,
    so it overlaps nothing the register knows of at this commit.
    """
    root = register.root
    current = load(root) or Leases(DEFAULT_BLOCK, ())
    clone = clone_id(root, create=True)
    host = socket.gethostname()
    added: list[Lease] = []
    asked = wanted(root)
    for kind in register.kinds.values():
        years = {*lease_years(now.date()), *(y for p, y in asked if p == kind.prefix)}
        for year in sorted(years):
            used = numbers_on_file(root, kind, year)
            everyone = current.of(kind.prefix, year) + [
                x for x in added if x.prefix == kind.prefix and x.year == year
            ]
            mine = sorted(
                (x for x in everyone if x.clone == clone), key=lambda x: x.first
            )
            if _free_count(mine, used) >= current.block // 2:
                continue
            first = max([x.last for x in everyone] + list(used), default=0) + 1
            last = first + current.block - 1
            if last > LARGEST:
                raise RegisterError(
                    f"{kind.prefix}-{year} 的编号已超过 {LARGEST}：无法再领取编号段"
                )
            added.append(
                Lease(
                    kind.prefix,
                    year,
                    first,
                    last,
                    clone,
                    person.id,
                    host,
                    now.isoformat(),
                )
            )
    if not added:
        return None
    return dumps(Leases(current.block, current.leases + tuple(added))), added


def _wanted_file(root: Path) -> Path:
    return root / ".git" / "officectl" / "wanted-ids"


def want(root: Path, prefix: str, year: int) -> None:
    """Remember that this clone ran out of numbers for ``prefix`` and ``year``."""
    path = _wanted_file(root)
    if (prefix, year) not in wanted(root):
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as stream:
            stream.write(f"{prefix} {year}\n")


def wanted(root: Path) -> set[tuple[str, int]]:
    """The kinds and years this clone ran out of numbers for since its last sync."""
    try:
        lines = _wanted_file(root).read_text(encoding="utf-8").splitlines()
    except OSError:
        return set()
    pairs = (line.split() for line in lines)
    return {(p[0], int(p[1])) for p in pairs if len(p) == 2 and p[1].isdigit()}


def forget_wanted(root: Path) -> None:
    """After a sync has leased what was asked for."""
    _wanted_file(root).unlink(missing_ok=True)


def clone_id(root: Path, create: bool = False) -> str:
    """This clone's id; a copy of the folder elsewhere is a different clone."""
    path = root / ".git" / "officectl" / "clone"
    try:
        clone, _, folder = path.read_text(encoding="utf-8").strip().partition(" ")
    except OSError:
        clone, folder = "", ""
    if clone and folder == str(root.resolve()):
        return clone
    if not create:
        return ""
    clone = secrets.token_hex(6)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"{clone} {root.resolve()}\n", encoding="utf-8")
    return clone


# --- auditing ----------------------------------------------------------------------


def check_change(before: str | None, after: str | None) -> list[str]:
    """What is wrong with a commit's change to ``ids.yaml``: leases only ever added."""
    try:
        old = parse(before).leases if before else ()
        new = parse(after) if after is not None else None
    except yamlio.YamlError as err:
        return [str(err)]
    if new is None:
        return ["ids.yaml 被删除：已领取的编号段记录不能删除"] if old else []
    problems = []
    if new.leases[: len(old)] != old:
        problems.append("已领取的编号段被修改或删除：编号段只能追加")
    taken = list(old)
    for lease in new.leases[len(old) :]:
        clash = next(
            (
                x
                for x in taken
                if (x.prefix, x.year) == (lease.prefix, lease.year)
                and x.first <= lease.last
                and lease.first <= x.last
            ),
            None,
        )
        if clash is not None:
            problems.append(f"编号段 {lease.label()} 与已领取的 {clash.label()} 重叠")
        if lease.first > lease.last:
            problems.append(f"编号段 {lease.label()} 首尾颠倒")
        taken.append(lease)
    return problems
