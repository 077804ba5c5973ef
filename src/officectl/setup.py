"""Creating a register, empty or filled with the fictional office of the demo."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from officectl import gitstore, yamlio
from officectl.errors import RegisterError
from officectl.register import SETTINGS

# Commits that no roster person makes (creating the register) carry this identity, so
# the machine's user never appears in the audit trail.
SYSTEM = gitstore.Identity("officectl", "officectl@officectl.invalid")

SETTINGS_HEADER = """\
# officectl 登记簿设置：单位、时区、人员名册、处室和下级单位。
# people.posts 可用岗位：director deputy-director clerk confidential-clerk writer
#   web-manager petition-officer finance-officer leader leader-in-charge staff
# 处室负责人（departments.head）自动具有 department-head 岗位。
"""

CALENDAR_TEXT = """\
# 本单位工作日历：国务院办公厅放假通知发布后补录新一年的安排；本地临时闭馆也写在这里。
# 例：
# years:
#   2027:
#     source: https://www.gov.cn/...
#     complete: true
#     holidays: [2027-01-01]
#     workdays: []
years: {}
"""

GITIGNORE = """\
# officectl's derived files: rebuilt from the records, never committed
.officectl-cache/
*.tmp
"""


def create_register(directory: Path, example: bool = False, office: str = "") -> Path:
    """Make ``directory`` a register and commit its first files."""
    root = directory.resolve()
    if (root / SETTINGS).exists():
        raise RegisterError(f"{root} 已经是登记簿（有 {SETTINGS}）")
    if (root / ".git").exists():
        raise RegisterError(f"{root} 已是 git 仓库：请在空目录中创建登记簿")
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise RegisterError(f"{root}: 无法创建目录：{err.strerror or err}") from None
    settings = example_settings() if example else empty_settings(office)
    files = {
        SETTINGS: SETTINGS_HEADER
        + yamlio.dumps(yamlio.editor().load(_plain(settings))),
        "calendar.yaml": CALENDAR_TEXT,
        ".gitignore": GITIGNORE,
        "registers/README.md": "每条记录一个文件：registers/<类型>/<年份>/<编号>.yaml\n",
    }
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    gitstore.init(root)
    gitstore.commit(root, list(files), "建立登记簿", SYSTEM, {})
    return root


def _plain(settings: dict[str, Any]) -> str:
    """Settings as YAML text, so the editor's canonical style applies when dumped."""
    import yaml

    return str(yaml.safe_dump(settings, allow_unicode=True, sort_keys=False))


def empty_settings(office: str) -> dict[str, Any]:
    return {
        "office": office or "（单位名称）办公室",
        "bureau": "",
        "fonds": "",
        "timezone": "Asia/Shanghai",
        "people": [],
        "departments": [],
        "bureaus": [],
    }


def example_settings() -> dict[str, Any]:
    """The fictional 江城市税务局 office: 22 people, 8 departments, 10 lower bureaus."""
    people = [
        ("zhaoguoqiang", "赵国强", ["leader"], "leaders"),
        ("qianmin", "钱敏", ["leader-in-charge"], "leaders"),
        ("sunhao", "孙浩", ["leader-in-charge"], "leaders"),
        ("lijun", "李军", ["director"], "office"),
        ("zhoufang", "周芳", ["deputy-director"], "office"),
        ("wangli", "王丽", ["petition-officer"], "office"),
        ("wuqiang", "吴强", ["petition-officer"], "office"),
        ("zhengyan", "郑燕", ["clerk"], "office"),
        ("fenglei", "冯磊", ["clerk"], "office"),
        ("chenjing", "陈静", ["confidential-clerk"], "office"),
        ("chuhong", "褚红", ["writer"], "office"),
        ("weixin", "卫欣", ["web-manager"], "office"),
        ("jiangtao", "蒋涛", ["finance-officer"], "office"),
        ("shenli", "沈莉", ["finance-officer"], "office"),
        ("hanbing", "韩冰", ["staff"], "collection"),
        ("yangfan", "杨帆", ["staff"], "service"),
        ("zhuwei", "朱伟", ["staff"], "policy1"),
        ("qinlan", "秦岚", ["staff"], "policy2"),
        ("youjie", "尤杰", ["staff"], "personnel"),
        ("xuming", "许明", ["staff"], "legal"),
        ("heping", "何平", ["staff"], "audit"),
        ("lvyang", "吕阳", ["staff"], "service"),
    ]
    departments = [
        ("office", "办公室", "lijun"),
        ("collection", "征管和科技发展处", "hanbing"),
        ("service", "纳税服务处", "yangfan"),
        ("policy1", "货物和劳务税处", "zhuwei"),
        ("policy2", "所得税处", "qinlan"),
        ("personnel", "人事处", "youjie"),
        ("legal", "法制处", "xuming"),
        ("audit", "督察内审处", "heping"),
    ]
    bureaus = [
        ("donghu", "江城市东湖区税务局"),
        ("xishan", "江城市西山区税务局"),
        ("nanhu", "江城市南湖区税务局"),
        ("beian", "江城市北岸区税务局"),
        ("qingshan", "江城市青山区税务局"),
        ("hanjiang", "江城市汉江区税务局"),
        ("linjiang", "临江县税务局"),
        ("shimen", "石门县税务局"),
        ("yunxi", "云溪县税务局"),
        ("baisha", "白沙县税务局"),
    ]
    return {
        "office": "国家税务总局江城市税务局办公室",
        "bureau": "国家税务总局江城市税务局",
        "fonds": "J042",
        "timezone": "Asia/Shanghai",
        "people": [
            {
                "id": pid,
                "name": name,
                "posts": posts,
                "department": dept,
                "email": f"{pid}@jiangcheng-tax.example",
            }
            for pid, name, posts, dept in people
        ],
        "departments": [
            {"id": did, "name": name, "head": head} for did, name, head in departments
        ],
        "bureaus": [{"id": bid, "name": name} for bid, name in bureaus],
    }
