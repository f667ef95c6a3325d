"""TicketEvent is append-only: the database itself refuses UPDATE and DELETE.

An application bug, an admin action or a hand-typed SQL statement cannot
rewrite a case's history. (TRUNCATE, used by test teardown, is not blocked.)
"""

from django.db import migrations

PG_UP = """
CREATE OR REPLACE FUNCTION services_ticketevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'services_ticketevent is append-only (% refused)', TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER services_ticketevent_no_update_delete
    BEFORE UPDATE OR DELETE ON services_ticketevent
    FOR EACH ROW EXECUTE FUNCTION services_ticketevent_append_only();
"""
PG_DOWN = """
DROP TRIGGER IF EXISTS services_ticketevent_no_update_delete ON services_ticketevent;
DROP FUNCTION IF EXISTS services_ticketevent_append_only();
"""
SQLITE_UP = [
    """CREATE TRIGGER services_ticketevent_no_update BEFORE UPDATE ON services_ticketevent
       BEGIN SELECT RAISE(ABORT, 'services_ticketevent is append-only (UPDATE refused)'); END;""",
    """CREATE TRIGGER services_ticketevent_no_delete BEFORE DELETE ON services_ticketevent
       BEGIN SELECT RAISE(ABORT, 'services_ticketevent is append-only (DELETE refused)'); END;""",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS services_ticketevent_no_update;",
    "DROP TRIGGER IF EXISTS services_ticketevent_no_delete;",
]


def up(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_UP, params=None)
    elif schema_editor.connection.vendor == "sqlite":
        for sql in SQLITE_UP:
            schema_editor.execute(sql)


def down(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_DOWN, params=None)
    elif schema_editor.connection.vendor == "sqlite":
        for sql in SQLITE_DOWN:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("services", "0001_initial")]
    operations = [migrations.RunPython(up, down)]
