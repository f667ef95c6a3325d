from django.db import migrations

ROLES = [
    "grid_worker",
    "community_staff",
    "street_officer",
    "department_officer",
    "department_head",
    "roster_admin",
    "leader",
    "sysadmin",
]


def create_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLES:
        Group.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [
        ("governance", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]
    operations = [migrations.RunPython(create_groups, migrations.RunPython.noop)]
