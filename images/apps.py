from django.apps import AppConfig
from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate


class ImagesConfig(AppConfig):
    name = "images"
    verbose_name = "Contabo images"

    def ready(self) -> None:
        from dashboard.timestamps import use_fast_loader
        from images import checks  # noqa: F401 - registers the system checks
        from images.roles import ensure_groups
        from images.search import ensure_sqlite_index
        from images.services.accounts import settings_account

        post_migrate.connect(ensure_groups, sender=self)
        post_migrate.connect(settings_account, sender=self)
        post_migrate.connect(ensure_sqlite_index, sender=self)
        connection_created.connect(use_fast_loader)
