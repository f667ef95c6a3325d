"""The reference category set: GB/T 30428.2 部件 and 事件 classes with common
小类 and their handling limits, and the five 12345 request types.

Limits follow published municipal 立案处置结案 standards (e.g. 济源:
暴露垃圾 1 工作日, 道路不洁 5 工作时, 违法搭建 15 工作日). Codes are
``C``/``E`` + 2-digit 大类 (+ 2-digit 小类), ``R`` + 2 digits for request
types; take the exact numeric codes from the purchased standard before
freezing them.
"""

from __future__ import annotations

from typing import Any

# (code, name, amount, unit, children[(code, name, amount, unit)])
H, WH, WD, CD = "natural_hours", "working_hours", "working_days", "calendar_days"

COMPONENTS = [
    (
        "C01",
        "公用设施",
        None,
        "",
        [
            ("C0101", "上水井盖", 2, WH),
            ("C0102", "污水井盖", 2, WH),
            ("C0103", "雨水箅子", 4, WH),
            ("C0104", "消防栓", 1, WD),
            ("C0105", "路灯", 3, WD),
            ("C0106", "电力设施", 2, WD),
            ("C0107", "通信设施", 3, WD),
            ("C0108", "燃气设施", 2, H),
        ],
    ),
    (
        "C02",
        "道路交通",
        None,
        "",
        [
            ("C0201", "交通信号灯", 4, WH),
            ("C0202", "交通标志牌", 3, WD),
            ("C0203", "护栏", 3, WD),
            ("C0204", "公交站亭", 5, WD),
            ("C0205", "道路破损", 5, WD),
            ("C0206", "人行道板", 5, WD),
        ],
    ),
    (
        "C03",
        "市容环境",
        None,
        "",
        [
            ("C0301", "公共厕所", 1, WD),
            ("C0302", "垃圾箱", 2, WD),
            ("C0303", "垃圾收集点", 1, WD),
            ("C0304", "广告牌匾", 5, WD),
            ("C0305", "公共座椅", 5, WD),
        ],
    ),
    (
        "C04",
        "园林绿化",
        None,
        "",
        [
            ("C0401", "行道树", 3, WD),
            ("C0402", "绿地", 5, WD),
            ("C0403", "花坛花箱", 5, WD),
            ("C0404", "护树设施", 5, WD),
        ],
    ),
    (
        "C05",
        "房屋土地",
        None,
        "",
        [
            ("C0501", "宣传栏", 5, WD),
            ("C0502", "人防工事", 7, WD),
            ("C0503", "地下通道", 5, WD),
        ],
    ),
    (
        "C06",
        "其他设施",
        None,
        "",
        [
            ("C0601", "健身设施", 5, WD),
            ("C0602", "监控电子眼", 3, WD),
            ("C0603", "充电设施", 5, WD),
        ],
    ),
]
EVENTS = [
    (
        "E01",
        "市容环境",
        None,
        "",
        [
            ("E0101", "暴露垃圾", 1, WD),
            ("E0102", "积存垃圾渣土", 1, WD),
            ("E0103", "道路不洁", 5, WH),
            ("E0104", "水域不洁", 2, WD),
            ("E0105", "绿地脏乱", 1, WD),
            ("E0106", "焚烧垃圾", 2, WH),
            ("E0107", "油烟污染", 5, WD),
            ("E0108", "噪声扰民", 1, WD),
        ],
    ),
    (
        "E02",
        "宣传广告",
        None,
        "",
        [
            ("E0201", "非法小广告", 1, WD),
            ("E0202", "违章张贴悬挂", 1, WD),
            ("E0203", "占道广告牌", 3, WD),
        ],
    ),
    (
        "E03",
        "施工管理",
        None,
        "",
        [
            ("E0301", "施工扰民", 1, WD),
            ("E0302", "工地扬尘", 4, WH),
            ("E0303", "道路遗撒", 4, WH),
            ("E0304", "违法搭建", 15, WD),
            ("E0305", "无证掘路", 1, WD),
        ],
    ),
    (
        "E04",
        "突发事件",
        None,
        "",
        [
            ("E0401", "路面塌陷", 2, H),
            ("E0402", "自来水管破裂", 2, H),
            ("E0403", "燃气管道破裂", 1, H),
            ("E0404", "下水道堵塞", 4, WH),
            ("E0405", "道路积水", 2, H),
            ("E0406", "火情", 1, H),
        ],
    ),
    (
        "E05",
        "街面秩序",
        None,
        "",
        [
            ("E0501", "无照经营游商", 1, WD),
            ("E0502", "店外经营", 1, WD),
            ("E0503", "占道废品收购", 1, WD),
            ("E0504", "机动车乱停放", 4, WH),
            ("E0505", "非机动车乱停放", 1, WD),
            ("E0506", "露天烧烤", 4, WH),
        ],
    ),
]
REQUEST_TYPES = [
    ("R01", "咨询", 3, WD),
    ("R02", "求助", 3, WD),
    ("R03", "投诉", 13, WD),
    ("R04", "举报", 13, WD),
    ("R05", "建议", 13, WD),
]


def seed_categories(Category: Any) -> int:
    """Create any missing reference category; returns how many were created."""
    created = 0
    order = 0
    for kind, groups in (("component", COMPONENTS), ("event", EVENTS)):
        for code, name, amount, unit, children in groups:
            order += 1
            parent, made = Category.objects.get_or_create(
                code=code,
                defaults={
                    "kind": kind,
                    "name": name,
                    "clock_amount": amount,
                    "clock_unit": unit,
                    "order": order,
                },
            )
            created += made
            for child_code, child_name, child_amount, child_unit in children:
                order += 1
                _obj, made = Category.objects.get_or_create(
                    code=child_code,
                    defaults={
                        "kind": kind,
                        "name": child_name,
                        "parent": parent,
                        "clock_amount": child_amount,
                        "clock_unit": child_unit,
                        "order": order,
                    },
                )
                created += made
    for code, name, amount, unit in REQUEST_TYPES:
        order += 1
        _obj, made = Category.objects.get_or_create(
            code=code,
            defaults={
                "kind": "request",
                "name": name,
                "clock_amount": amount,
                "clock_unit": unit,
                "order": order,
            },
        )
        created += made
    return created
