from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "patron.core"
    label = "core"
    verbose_name = "Patron core"

    def ready(self):
        from django.apps import apps
        from django.core import checks
        from django.db.models.signals import post_delete, post_save

        from patron.core import memo
        from patron.core.checks import sqlite_version

        checks.register(sqlite_version)
        for model in apps.get_models():  # a save or delete drops this process's memos at once (others hear of it on commit)
            if model._meta.db_table in memo.TABLES:
                post_save.connect(memo.clear, sender=model, weak=False, dispatch_uid=f"memo-{model._meta.label}-save")
                post_delete.connect(memo.clear, sender=model, weak=False, dispatch_uid=f"memo-{model._meta.label}-delete")
