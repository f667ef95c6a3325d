"""Division-code rules (统计用区划代码, GB/T 2260; grid codes after DB11 单元网格).

    city / district  6 digits   150300 / 150302
    street          12 digits   150302 001 000   (district + 3-digit street + 000)
    community       12 digits   150302 001 001   (street's first 9 + 3-digit committee)
    grid            15 digits   150302001001 001 (community + 3-digit serial)

A district extends its city's prefix (4 digits: 1503xx under 150300; 2 digits
under a province-level municipality such as 110000). Pure functions: the
actions and the import command share them.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from governance.models import LEVELS, AreaLevel

CODE_LENGTH = {
    AreaLevel.CITY: 6,
    AreaLevel.DISTRICT: 6,
    AreaLevel.STREET: 12,
    AreaLevel.COMMUNITY: 12,
    AreaLevel.GRID: 15,
}


def code_errors(
    level: str, code: str, parent_level: str | None, parent_code: str | None
) -> list[str]:
    """Every reason ``code`` is not a valid code for ``level`` under the parent."""
    if level not in LEVELS:
        return [_("Unknown level “%(level)s”.") % {"level": level}]
    expected_len = CODE_LENGTH[AreaLevel(level)]
    if not code.isdigit() or not code.isascii() or len(code) != expected_len:
        return [
            _("A %(level)s code has exactly %(n)d digits.")
            % {"level": AreaLevel(level).label, "n": expected_len}
        ]
    errors: list[str] = []
    index = LEVELS.index(level)
    if index == 0:
        if parent_level is not None:
            errors.append(_("A city is the root of the tree and has no parent."))
        if not code.endswith("00"):
            errors.append(_("A city code ends in 00."))
        return errors
    expected_parent = LEVELS[index - 1]
    if parent_level != expected_parent or parent_code is None:
        errors.append(
            _("A %(level)s must sit under a %(parent)s.")
            % {"level": AreaLevel(level).label, "parent": AreaLevel(expected_parent).label}
        )
        return errors
    if level == AreaLevel.DISTRICT:
        prefix = parent_code[:2] if parent_code[2:4] == "00" else parent_code[:4]
        if not code.startswith(prefix) or code == parent_code:
            errors.append(
                _("A district code starts with its city's prefix %(prefix)s.") % {"prefix": prefix}
            )
    elif level == AreaLevel.STREET:
        if not code.startswith(parent_code):
            errors.append(
                _("A street code starts with its district code %(code)s.") % {"code": parent_code}
            )
        if code[6:9] == "000" or code[9:] != "000":
            errors.append(_("A street code is district + 3-digit street number (not 000) + 000."))
    elif level == AreaLevel.COMMUNITY:
        if not code.startswith(parent_code[:9]):
            errors.append(
                _("A community code starts with its street's first 9 digits %(prefix)s.")
                % {"prefix": parent_code[:9]}
            )
        if code[9:] == "000":
            errors.append(_("A community's 3-digit number cannot be 000."))
    elif level == AreaLevel.GRID:
        if not code.startswith(parent_code):
            errors.append(
                _("A grid code starts with its community code %(code)s.") % {"code": parent_code}
            )
        if code[12:] == "000":
            errors.append(_("A grid's 3-digit serial runs from 001 to 999."))
    return errors
