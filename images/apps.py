from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ImagesConfig(AppConfig):
    name = "images"
    verbose_name = "Contabo images"

    def ready(self) -> None:
        from images.roles import ensure_groups
        from images.services.accounts import ensure_settings_account

        post_migrate.connect(ensure_groups, sender=self)
        post_migrate.connect(ensure_settings_account, sender=self)
