from django.db import migrations


def seed(apps, schema_editor):
    from services.categories import seed_categories

    seed_categories(apps.get_model("services", "Category"))


class Migration(migrations.Migration):
    dependencies = [("services", "0002_ticket_event_append_only")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
