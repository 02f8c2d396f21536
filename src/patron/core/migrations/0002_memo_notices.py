"""On PostgreSQL, the function that notifies the channel patron_memo (delivered on commit), so each
process drops its memos (patron.core.memo). Each app that memoises a table adds the trigger on it in
its own migrations (`memo.notify_on_write`)."""

from django.db import migrations

from patron.core.memo import CHANNEL

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


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP FUNCTION IF EXISTS patron_memo_notice()")


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
