"""On PostgreSQL, every statement that writes a memoised table notifies the channel patron_memo
(delivered on commit), so each process drops its memos of API keys and programs (patron.core.memo)."""

from django.db import migrations

from patron.core.memo import CHANNEL, TABLES

FUNCTION = f"""
CREATE OR REPLACE FUNCTION patron_memo_notice() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('{CHANNEL}', TG_TABLE_NAME);
    RETURN NULL;
END $$;
"""


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return  # SQLite: memos are off, nothing to notify
    schema_editor.execute(FUNCTION)
    for table in TABLES:
        schema_editor.execute(f"CREATE TRIGGER patron_memo_notice AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                              f"FOR EACH STATEMENT EXECUTE FUNCTION patron_memo_notice()")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in TABLES:
        schema_editor.execute(f"DROP TRIGGER IF EXISTS patron_memo_notice ON {table}")
    schema_editor.execute("DROP FUNCTION IF EXISTS patron_memo_notice()")


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial"), ("api", "0001_initial"), ("loyalty", "0006_system_balances_from_entries")]

    operations = [migrations.RunPython(create, drop)]
