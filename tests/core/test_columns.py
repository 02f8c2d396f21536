"""Raw SQL names a column by its field's name: every Patron model keeps Django's column for each field
(the field's name, `<name>_id` for a foreign key), so renaming a field is found by searching for it."""

from django.apps import apps


def test_every_column_is_its_fields_name():
    patron = [m for m in apps.get_models() if m.__module__.startswith("patron.")]
    assert len(patron) > 40
    renamed = [f"{m._meta.label}.{f.name} -> {f.column}" for m in patron for f in m._meta.concrete_fields
               if f.column != f.attname]
    assert renamed == []
    keys = [f for m in patron for f in m._meta.concrete_fields if f.is_relation]
    assert keys and all(f.column == f"{f.name}_id" for f in keys)
