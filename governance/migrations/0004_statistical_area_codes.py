"""Area codes take the full 统计用区划代码 shape (docs/decisions/0025).

Every level down to the community is padded to 12 digits (a city 150300 →
150300000000, a district 150302 → 150302000000); a grid's code becomes its
community's code + its 3-digit serial. Streets, communities and grids that
already have that shape are left alone. Each former code is kept in
AreaCodeHistory (reason "recoded"), so ``selectors.area_by_code("150302")``
still finds the district for records and API keys written before.

Reverse: cities and districts go back to their first 6 digits and the history
rows this migration wrote are removed; the other levels had 12/15 digits
already and stay as they are (a no-op for them).
"""

from django.db import migrations, models
from django.utils import timezone

STEPLEN = 4  # treebeard's MP_Node default, the path digits per level
PADDED_LEVELS = ("city", "district", "street", "community")
SIX_DIGIT_LEVELS = ("city", "district")


def _grid_code(old: str, community_code: str, taken: set[str]) -> str:
    """Community code + serial: the old last 3 digits when free, else the next free one."""
    if len(old) == 15 and old.startswith(community_code):
        return old
    serial = old[-3:]
    candidates = [serial] if serial.isdigit() and serial != "000" else []
    candidates += [f"{n:03d}" for n in range(1, 1000)]
    for s in candidates:
        if community_code + s not in taken:
            return community_code + s
    raise RuntimeError(f"no free grid serial under {community_code}")


def to_statistical_codes(apps, schema_editor):
    Area = apps.get_model("governance", "Area")
    AreaCodeHistory = apps.get_model("governance", "AreaCodeHistory")
    areas = list(Area.objects.order_by("depth", "path").only("code", "level", "path", "name"))
    taken = {a.code for a in areas}
    code_at: dict[str, str] = {}  # path → new code, parents first
    changed = []
    for area in areas:
        if area.level in PADDED_LEVELS:
            new = area.code.ljust(12, "0")
        else:
            new = _grid_code(area.code, code_at[area.path[:-STEPLEN]], taken)
        code_at[area.path] = new
        if new != area.code:
            taken.add(new)
            changed.append((area, new))
    now = timezone.now()
    AreaCodeHistory.objects.bulk_create(
        [
            AreaCodeHistory(area=a, code=a.code, name=a.name, reason="recoded", until=now)
            for a, _new in changed
        ]
    )
    for area, new in changed:
        Area.objects.filter(pk=area.pk).update(code=new)


def to_six_digit_codes(apps, schema_editor):
    Area = apps.get_model("governance", "Area")
    AreaCodeHistory = apps.get_model("governance", "AreaCodeHistory")
    for area in Area.objects.filter(level__in=SIX_DIGIT_LEVELS, code__endswith="000000"):
        old = area.code[:6]
        AreaCodeHistory.objects.filter(area=area, code=old, reason="recoded").delete()
        Area.objects.filter(pk=area.pk).update(code=old)


class Migration(migrations.Migration):
    dependencies = [
        ("governance", "0003_post_phone"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="area",
            name="area_code_length_by_level",
        ),
        migrations.AlterField(
            model_name="area",
            name="code",
            field=models.CharField(
                help_text=(
                    "统计用区划代码: 12 digits at every level (city 150300000000, district "
                    "150302000000, street 150302001000, community 150302001001); a grid adds a "
                    "3-digit serial to its community's code (15 digits)."
                ),
                max_length=15,
                unique=True,
                verbose_name="division code",
            ),
        ),
        migrations.RunPython(to_statistical_codes, to_six_digit_codes, elidable=False),
        migrations.AddConstraint(
            model_name="area",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("code__endswith", "00000000"), ("code__length", 12), ("level", "city")
                    ),
                    models.Q(
                        ("code__endswith", "000000"), ("code__length", 12), ("level", "district")
                    ),
                    models.Q(("code__endswith", "000"), ("code__length", 12), ("level", "street")),
                    models.Q(
                        ("code__length", 12),
                        ("level", "community"),
                        models.Q(("code__endswith", "000"), _negated=True),
                    ),
                    models.Q(("code__length", 15), ("level", "grid")),
                    _connector="OR",
                ),
                name="area_code_shape_by_level",
            ),
        ),
    ]
