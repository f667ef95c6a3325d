"""Division-code rules: 统计用区划代码 (NBS statistical division codes,
国统字〔2009〕91号) for the tree, DB11 单元网格 for grids.

Every level down to the community is written as the full 12-digit code,
zero-padded (docs/decisions/0025; codes-and-standards §1.1):

    city        150300000000     4-digit prefix (GB/T 2260) + 8 zeros
    district    150302000000     6 digits (GB/T 2260), digits 5–6 not 00, + 6 zeros
    street      150302001000     district's 6 + township number 001–599 + 000
    community   150302001001     street's 9 + committee number 001–599
    grid        150302001001001  community's 12 + serial 001–999 (15 digits)

Township numbers (digits 7–9): 001–099 街道, 100–199 镇, 200–399 乡, 400–599
类似乡级单位 (§1.2). Committee numbers (digits 10–12): 001–199 居委会,
200–399 村委会, 400–599 类似居委会/村委会 (§1.3): the number *is* the kind,
so the tree stores no separate kind. A district extends its city's 4-digit
prefix (2 digits under a province-level municipality such as 110000000000).

Pure functions: the actions, the import command and the demo share them.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from governance.models import LEVELS, AreaLevel

CODE_LENGTH = {
    AreaLevel.CITY: 12,
    AreaLevel.DISTRICT: 12,
    AreaLevel.STREET: 12,
    AreaLevel.COMMUNITY: 12,
    AreaLevel.GRID: 15,
}

#: Township (乡级) numbers in use, digits 7–9; 600–999 are not assigned.
TOWNSHIP_NUMBERS = range(1, 600)
#: Grid serials after the community code (DB11 单元网格: 3 digits).
GRID_SERIALS = range(1, 1000)


class CommitteeKind(models.TextChoices):
    """What a community-level unit is, read from its number (digits 10–12)."""

    RESIDENTS = "residents", _("residents' committee (居委会)")
    VILLAGERS = "villagers", _("villagers' committee (村委会)")
    SIMILAR = "similar", _("unit similar to a committee (类似居委会/村委会)")


#: NBS numbering of community-level units (国统字〔2009〕91号).
COMMITTEE_NUMBERS: dict[CommitteeKind, range] = {
    CommitteeKind.RESIDENTS: range(1, 200),
    CommitteeKind.VILLAGERS: range(200, 400),
    CommitteeKind.SIMILAR: range(400, 600),
}

#: 城乡分类代码 (urban–rural classification, NBS Order No. 14), given with
#: each village-level row of the official lists; independent of 居/村 (§1.4).
URBAN_RURAL_CLASSES: dict[str, str] = {
    "111": "主城区",
    "112": "城乡结合区",
    "121": "镇中心区",
    "122": "镇乡结合区",
    "123": "特殊区域",
    "210": "乡中心区",
    "220": "村庄",
}

# Messages are module constants so tests import them instead of restating them.
UNKNOWN_LEVEL = _("Unknown level “%(level)s”.")
WRONG_LENGTH = _("A %(level)s code has exactly %(n)d digits.")
CITY_HAS_NO_PARENT = _("A city is the root of the tree and has no parent.")
CITY_SHAPE = _("A city code is a 4-digit prefix followed by eight zeros, for example 150300000000.")
WRONG_PARENT = _("A %(level)s must sit under a %(parent)s.")
DISTRICT_PREFIX = _("A district code starts with its city's prefix %(prefix)s.")
DISTRICT_SHAPE = _(
    "A district code is 6 digits (the last two not 00) followed by six zeros, "
    "for example 150302000000."
)
STREET_PREFIX = _("A street code starts with its district's first 6 digits %(prefix)s.")
STREET_SHAPE = _(
    "A street code is the district's 6 digits, a township number from 001 to 599, then 000."
)
COMMUNITY_PREFIX = _("A community code starts with its street's first 9 digits %(prefix)s.")
COMMUNITY_NUMBER = _("A community's 3-digit number runs from 001 to 599.")
COMMITTEE_RANGE = _("A %(kind)s is numbered %(first)s to %(last)s.")
GRID_PREFIX = _("A grid code starts with its community code %(code)s.")
GRID_SERIAL = _("A grid's 3-digit serial runs from 001 to 999.")


def _number(digits: str) -> int:
    return int(digits) if digits.isdigit() else -1


def committee_kind(code: str) -> CommitteeKind | None:
    """The kind a community code's number (digits 10–12) gives, if any."""
    number = _number(code[9:12]) if len(code) >= 12 else -1
    return next((kind for kind, r in COMMITTEE_NUMBERS.items() if number in r), None)


def committee_kind_from_name(name: str) -> CommitteeKind | None:
    """The kind a name in the NBS lists claims: “…居委会/居民委员会”, “…村委会/村民委员会”."""
    if name.endswith(("居委会", "居民委员会")):
        return CommitteeKind.RESIDENTS
    if name.endswith(("村委会", "村民委员会")):
        return CommitteeKind.VILLAGERS
    return None


def is_province_code(code: str) -> bool:
    """A province row of the NBS lists (150000000000): above the tree's cities."""
    return len(code) == 12 and code.isdigit() and code[:2] != "00" and code[2:] == "0" * 10


def level_of(code: str) -> str | None:
    """The tree level a code's shape gives (trailing zeros), or None.

    Used where a file gives no level (the official lists); provinces are None.
    """
    if not (code.isascii() and code.isdigit()):
        return None
    if len(code) == CODE_LENGTH[AreaLevel.GRID]:
        return AreaLevel.GRID
    if len(code) != 12 or is_province_code(code):
        return None
    if code[4:] == "0" * 8:
        return AreaLevel.CITY
    if code[6:] == "0" * 6:
        return AreaLevel.DISTRICT
    if code[9:] == "000":
        return AreaLevel.STREET
    return AreaLevel.COMMUNITY


def parent_code_of(code: str, level: str) -> str | None:
    """The code a child's code implies for its parent (None for a city)."""
    if level == AreaLevel.DISTRICT:
        return code[:4] + "0" * 8
    if level == AreaLevel.STREET:
        return code[:6] + "0" * 6
    if level == AreaLevel.COMMUNITY:
        return code[:9] + "000"
    if level == AreaLevel.GRID:
        return code[:12]
    return None


def code_errors(
    level: str,
    code: str,
    parent_level: str | None,
    parent_code: str | None,
    *,
    committee: str | None = None,
) -> list[str]:
    """Every reason ``code`` is not a valid code for ``level`` under the parent.

    ``committee`` is what the caller claims a community is (a CommitteeKind
    value); its number must then lie in that kind's range, so a 村委会 is
    numbered 200–399 and a 居委会 001–199.
    """
    if level not in LEVELS:
        return [UNKNOWN_LEVEL % {"level": level}]
    expected_len = CODE_LENGTH[AreaLevel(level)]
    if not code.isdigit() or not code.isascii() or len(code) != expected_len:
        return [WRONG_LENGTH % {"level": AreaLevel(level).label, "n": expected_len}]
    if level == AreaLevel.CITY:
        errors = [str(CITY_HAS_NO_PARENT)] if parent_level is not None else []
        if code[:2] == "00" or code[4:] != "0" * 8:
            errors.append(str(CITY_SHAPE))
        return errors
    expected_parent = LEVELS[LEVELS.index(level) - 1]
    if parent_level != expected_parent or parent_code is None:
        return [
            WRONG_PARENT
            % {"level": AreaLevel(level).label, "parent": AreaLevel(expected_parent).label}
        ]
    checks = {
        AreaLevel.DISTRICT: _district_errors,
        AreaLevel.STREET: _street_errors,
        AreaLevel.COMMUNITY: _community_errors,
        AreaLevel.GRID: _grid_errors,
    }
    errors = checks[AreaLevel(level)](code, parent_code)
    if level == AreaLevel.COMMUNITY and committee and not errors:
        kind = CommitteeKind(committee)
        numbers = COMMITTEE_NUMBERS[kind]
        if _number(code[9:]) not in numbers:
            errors.append(
                COMMITTEE_RANGE
                % {"kind": kind.label, "first": f"{numbers[0]:03d}", "last": f"{numbers[-1]:03d}"}
            )
    return errors


def _district_errors(code: str, parent_code: str) -> list[str]:
    errors = []
    prefix = parent_code[:2] if parent_code[2:4] == "00" else parent_code[:4]
    if not code.startswith(prefix):
        errors.append(DISTRICT_PREFIX % {"prefix": prefix})
    if code[4:6] == "00" or code[6:] != "0" * 6:
        errors.append(str(DISTRICT_SHAPE))
    return errors


def _street_errors(code: str, parent_code: str) -> list[str]:
    errors = []
    if not code.startswith(parent_code[:6]):
        errors.append(STREET_PREFIX % {"prefix": parent_code[:6]})
    if _number(code[6:9]) not in TOWNSHIP_NUMBERS or code[9:] != "000":
        errors.append(str(STREET_SHAPE))
    return errors


def _community_errors(code: str, parent_code: str) -> list[str]:
    errors = []
    if not code.startswith(parent_code[:9]):
        errors.append(COMMUNITY_PREFIX % {"prefix": parent_code[:9]})
    if committee_kind(code) is None:
        errors.append(str(COMMUNITY_NUMBER))
    return errors


def _grid_errors(code: str, parent_code: str) -> list[str]:
    errors = []
    if not code.startswith(parent_code):
        errors.append(GRID_PREFIX % {"code": parent_code})
    if _number(code[12:]) not in GRID_SERIALS:
        errors.append(str(GRID_SERIAL))
    return errors
