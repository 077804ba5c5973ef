"""The printed 公文 in a real browser: A4 pages and the GB/T 9704-2012 text block.

A document is taken through the outgoing workflow on a real register, rendered by
``officectl render``, and opened in headless Chromium twice: once printed to PDF, where
the page sizes, the text block (Chromium clips each page's content to it) and the place
of every piece of text are read back from the PDF itself; once with a small script added
that measures element boxes and writes them into the page, read back with
``--dump-dom``. Nothing is mocked; without Debian's ``chromium`` the tests are skipped.
"""

from __future__ import annotations

import html
import itertools
import json
import re
import shutil
import subprocess
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from officectl.cli import main

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="needs Debian's chromium at /usr/bin/chromium (apt-get install chromium)",
)

# On a machine without network, run as root: anything less and Chromium stalls.
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

MM = 72 / 25.4  # PDF points in a millimetre
A4 = (210.0, 297.0)
TOP, LEFT, WIDTH, HEIGHT = (
    37.0,
    28.0,
    156.0,
    225.0,
)  # 天头, 订口, 版心 (GB/T 9704 5.2.1)
LINE = HEIGHT / 22  # 22 lines to a page

# 54 characters with no punctuation: 26 after the two-character indent, then a full
# line of 28. One more character makes a third line.
FULL = ("依法诚信纳税共建和谐社会" * 5)[:54]
PARAGRAPHS = [
    "一、总体要求",
    FULL,
    FULL + "税",
    *["各单位要高度重视税收宣传工作，结合实际制定具体方案，确保各项活动取得实效。"]
    * 40,
]


# --- building and printing ----------------------------------------------------------


def invoke(root: Path, *args: str) -> str:
    result = CliRunner().invoke(main, ["-C", str(root), *args])
    assert result.exit_code == 0, (args, result.output)
    return result.stdout


@pytest.fixture(scope="module")
def document(
    built_registers: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """An upward document of three pages, rendered to HTML as printed."""
    folder = tmp_path_factory.mktemp("print")
    root = folder / "register"
    shutil.copytree(built_registers["empty"], root, symlinks=True)
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("HOME", str(folder))
        monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(folder / ".gitconfig"))
        monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
        _take_through_the_workflow(root)
        path = folder / "document.html"
        invoke(root, "render", "OUT-2026-0001", "document", "-o", str(path))
    return path


def _take_through_the_workflow(root: Path) -> None:
    fields = {
        "title": "关于2026年税收宣传月活动开展情况的报告",
        "doc_type": "报告",
        "direction": "上行文",
        "issuer_code": "江税发",
        "drafter": "yangfan",
        "unit": "service",
        "main_recipients": "国家税务总局湖北省税务局",
        "copy_to": "江城市人民政府,江城市财政局",
        "attachment_titles": "税收宣传月活动统计表,典型经验材料",
        "urgency": "加急",
        "notes": "联系人：杨帆，电话：027-12345678",
    }
    sets = [
        word for name, value in fields.items() for word in ("--set", f"{name}={value}")
    ]
    body = "\n".join(PARAGRAPHS)
    invoke(
        root,
        "new",
        "outgoing",
        *sets,
        "--set",
        f"body={body}",
        "--by",
        "zhengyan",
        "--date",
        "2026-04-01",
    )
    for action, person in [
        ("first-check", "zhengyan"),
        ("review", "lijun"),
        ("sign", "zhaoguoqiang"),
        ("number", "zhengyan"),
        ("typeset", "fenglei"),
        ("proofread", "yangfan"),
        ("print", "fenglei"),
    ]:
        extra = ["--set", "copies=20"] if action == "number" else []
        invoke(
            root,
            "do",
            "OUT-2026-0001",
            action,
            *extra,
            "--by",
            person,
            "--date",
            "2026-04-03",
        )


def chromium(folder: Path, *args: str) -> bytes:
    """Run headless Chromium with a fresh profile; its standard output."""
    profile = folder / f"profile-{len(list(folder.glob('profile-*')))}"
    done = subprocess.run(
        [str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode(errors="replace")[-2000:]
    return done.stdout


@pytest.fixture(scope="module")
def pdf(document: Path) -> list[Page]:
    target = document.with_suffix(".pdf")
    chromium(
        document.parent,
        "--no-pdf-header-footer",
        f"--print-to-pdf={target}",
        document.as_uri(),
    )
    return list(pages(target.read_bytes()))


@pytest.fixture(scope="module")
def measured(document: Path) -> dict[str, Any]:
    page = document.with_name("measure.html")
    text = document.read_text(encoding="utf-8")
    page.write_text(
        text.replace("</body>", f"<script>{MEASURE}</script></body>"), encoding="utf-8"
    )
    dom = chromium(document.parent, "--dump-dom", page.as_uri()).decode("utf-8")
    found = re.search(r'<pre id="measured">(.*?)</pre>', dom, re.S)
    assert found, "the measuring script wrote nothing"
    measures: dict[str, Any] = json.loads(html.unescape(found[1]))
    return measures


# Boxes measured in the page, in millimetres from the text block's top left corner.
MEASURE = """
(function () {
  var probe = document.createElement("div");
  probe.style.width = "100mm";
  document.body.appendChild(probe);
  var mm = probe.getBoundingClientRect().width / 100;
  document.body.removeChild(probe);
  var block = document.querySelector(".flow").getBoundingClientRect();
  var boxes = [];
  document.querySelectorAll(".flow *, .colophon *").forEach(function (e) {
    var r = e.getBoundingClientRect();
    if (r.width > 0) boxes.push({tag: e.tagName, cls: e.className,
      left: (r.left - block.left) / mm, right: (r.right - block.left) / mm});
  });
  var lines = Array.prototype.map.call(document.querySelectorAll(".body p"), function (p) {
    var range = document.createRange();
    range.selectNodeContents(p);
    var tops = {};
    Array.prototype.forEach.call(range.getClientRects(), function (r) {
      tops[Math.round(r.top)] = true;
    });
    return {chars: p.textContent.length, lines: Object.keys(tops).length,
      pitch: parseFloat(getComputedStyle(p).lineHeight) / mm};
  });
  var out = document.createElement("pre");
  out.id = "measured";
  out.textContent = JSON.stringify({width: block.width / mm, boxes: boxes, lines: lines});
  document.body.appendChild(out);
})();
"""


# --- reading the PDF ----------------------------------------------------------------


@dataclass
class Page:
    """One printed page: its size, its clip rectangles and its text, in millimetres
    from the top left corner of the paper."""

    width: float
    height: float
    clips: list[tuple[float, float, float, float]]  # left, top, right, bottom
    texts: list[tuple[float, float, float]]  # x, baseline, font size in points


def pages(data: bytes) -> Iterator[Page]:
    objects = {
        int(m[1]): m[2] for m in re.finditer(rb"(\d+) 0 obj(.*?)endobj", data, re.S)
    }
    tree = next(
        body for body in objects.values() if re.search(rb"/Type\s*/Pages\b", body)
    )
    kids = re.search(rb"/Kids\s*\[([^\]]*)\]", tree)
    assert kids is not None
    for number in re.findall(rb"(\d+) 0 R", kids[1]):
        body = objects[int(number)]
        box = re.search(rb"/MediaBox\s*\[([^\]]*)\]", body)
        contents = re.search(rb"/Contents\s+(\d+) 0 R", body)
        assert box is not None and contents is not None
        x0, y0, x1, y1 = (float(v) for v in box[1].split())
        yield _page(x1 - x0, y1 - y0, _stream(objects[int(contents[1])]))


def _stream(body: bytes) -> bytes:
    start = re.search(rb"stream\r?\n", body)
    assert start is not None
    raw = body[start.end() : body.rfind(b"endstream")]
    return zlib.decompress(raw) if b"FlateDecode" in body[: start.start()] else raw


_TOKEN = re.compile(
    rb"\s*(?:(?P<number>[-+]?\d*\.?\d+)|(?P<operator>[A-Za-z'\"*]+)"
    rb"|<[0-9A-Fa-f\s]*>|\((?:\\.|[^\\)])*\)|/[^\s/\[\]()<>]+|\[|\]|<<|>>)"
)


def _page(width: float, height: float, content: bytes) -> Page:
    """Follow the content stream's transformations to where text and clips land."""
    page = Page(width / MM, height / MM, [], [])
    ctm, saved, operands = [1.0, 0, 0, 1, 0, 0], [], []
    text_matrix, size = [1.0, 0, 0, 1, 0, 0], 0.0
    for token in _TOKEN.finditer(content):
        if token["number"] is not None:
            operands.append(float(token["number"]))
            continue
        operator = (token["operator"] or b"").decode()
        if operator == "q":
            saved.append(ctm)
        elif operator == "Q":
            ctm = saved.pop()
        elif operator == "cm":
            ctm = _times(operands[-6:], ctm)
        elif operator == "BT":
            text_matrix = [1.0, 0, 0, 1, 0, 0]
        elif operator == "Tf":
            size = operands[-1]
        elif operator == "Tm":
            text_matrix = operands[-6:]
        elif operator == "Td":
            text_matrix = _times([1, 0, 0, 1, *operands[-2:]], text_matrix)
        elif operator in ("Tj", "TJ"):
            where = _times(text_matrix, ctm)
            points = round(size * abs(where[3]), 1)
            page.texts.append((where[4] / MM, (height - where[5]) / MM, points))
        elif operator == "re":
            x, y, w, h = operands[-4:]
            a, b = (
                _times([1, 0, 0, 1, x, y], ctm),
                _times([1, 0, 0, 1, x + w, y + h], ctm),
            )
            xs, ys = sorted((a[4], b[4])), sorted((height - a[5], height - b[5]))
            page.clips.append((xs[0] / MM, ys[0] / MM, xs[1] / MM, ys[1] / MM))
        if token["operator"] is not None:
            operands = []
    return page


def _times(a: list[float], b: list[float]) -> list[float]:
    """The product of two PDF matrices [a b c d e f]."""
    return [
        a[0] * b[0] + a[1] * b[2],
        a[0] * b[1] + a[1] * b[3],
        a[2] * b[0] + a[3] * b[2],
        a[2] * b[1] + a[3] * b[3],
        a[4] * b[0] + a[5] * b[2] + b[4],
        a[4] * b[1] + a[5] * b[3] + b[5],
    ]


def body_texts(page: Page) -> list[tuple[float, float, float]]:
    """Text inside the page, leaving out the page number in the bottom margin."""
    return [t for t in page.texts if t[1] < TOP + HEIGHT + 2]


def page_numbers(page: Page) -> list[tuple[float, float, float]]:
    return [t for t in page.texts if t[1] >= TOP + HEIGHT + 2]


def cjk_font_installed() -> bool:
    program = shutil.which("fc-list")
    if program is None:
        return False
    done = subprocess.run(
        [program, ":lang=zh"], capture_output=True, text=True, check=False
    )
    return bool(done.stdout.strip())


# --- the paper ----------------------------------------------------------------------


def test_every_page_is_a4(pdf):
    assert len(pdf) >= 2
    for page in pdf:
        assert page.width == pytest.approx(A4[0], abs=0.5)
        assert page.height == pytest.approx(A4[1], abs=0.5)


def test_each_page_clips_its_content_to_the_text_block(pdf):
    block = (LEFT, TOP, LEFT + WIDTH, TOP + HEIGHT)
    for page in pdf:
        assert any(
            all(abs(got - want) < 0.5 for got, want in zip(clip, block, strict=True))
            for clip in page.clips
        ), page.clips


def test_all_text_sits_inside_the_margins(pdf):
    for page in pdf:
        texts = body_texts(page)
        assert texts
        for x, baseline, _ in texts:
            assert LEFT - 0.5 <= x <= LEFT + WIDTH
            assert TOP < baseline <= TOP + HEIGHT + 0.5


def test_page_numbers_sit_below_the_block_outside_on_each_side(pdf):
    for index, page in enumerate(pdf, start=1):
        numbers = page_numbers(page)
        assert numbers, f"page {index} has no number"
        xs = [x for x, _, _ in numbers]
        baseline = numbers[0][1]
        assert TOP + HEIGHT + 7 < baseline < TOP + HEIGHT + 7 + 7  # 7 mm below, 4号
        assert {size for _, _, size in numbers} == {14.0}
        if index % 2:  # odd pages: on the right, one character in
            assert max(xs) < LEFT + WIDTH - 3 and min(xs) > LEFT + WIDTH / 2
        else:
            assert min(xs) > LEFT + 3 and max(xs) < LEFT + WIDTH / 2


def test_a_full_page_holds_22_lines(pdf):
    body = [t for t in body_texts(pdf[1]) if t[2] == 16.0]
    baselines = sorted({round(baseline, 1) for _, baseline, _ in body})
    assert len(baselines) == 22
    # Chromium sets each line on a whole CSS pixel (0.26 mm): the pitch averages out.
    gaps = [b - a for a, b in itertools.pairwise(baselines)]
    assert sum(gaps) / len(gaps) == pytest.approx(LINE, abs=0.02)
    assert all(abs(gap - LINE) < 0.3 for gap in gaps)


def test_the_red_head_the_title_and_the_colophon_are_where_the_standard_puts_them(pdf):
    first = body_texts(pdf[0])
    mark = [t for t in first if t[2] > 22]  # the issuer's mark, larger than 2号
    assert mark and TOP + 35 < min(b for _, b, _ in mark) < TOP + 35 + 16
    title = [t for t in first if t[2] == 22.0]
    assert title and min(b for _, b, _ in title) > min(b for _, b, _ in mark)

    last = body_texts(pdf[-1])
    colophon = [t for t in last if t[2] == 14.0]  # 版记 in 4号
    assert colophon, "no 版记 on the last page"
    assert TOP + HEIGHT - LINE < max(b for _, b, _ in colophon) <= TOP + HEIGHT


# --- the boxes ----------------------------------------------------------------------


def test_text_block_is_156_mm_wide_and_nothing_sticks_out(measured):
    assert measured["width"] == pytest.approx(WIDTH, abs=0.2)
    for box in measured["boxes"]:
        assert box["left"] >= -0.2, box
        assert box["right"] <= WIDTH + 0.2, box


def test_body_lines_keep_the_pitch_of_22_to_a_page(measured):
    for line in measured["lines"]:
        assert line["pitch"] == pytest.approx(LINE, abs=0.01)


@pytest.mark.skipif(
    not cjk_font_installed(),
    reason="no Chinese font installed "
    "(fonts-noto-cjk): glyph widths are not those of a Chinese font",
)
def test_a_line_holds_28_characters(measured):
    lines = {line["chars"]: line["lines"] for line in measured["lines"]}
    assert lines[len(FULL)] == 2  # 26 after the indent, then 28
    assert lines[len(FULL) + 1] == 3
