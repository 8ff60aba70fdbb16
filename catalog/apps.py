from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _sync_roles(sender, using="default", **kwargs):
    from django.contrib.auth.models import Group, Permission

    from .roles import sync_roles

    sync_roles(Group.objects.db_manager(using).model, Permission)


class CatalogConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "catalog"
    verbose_name = "目录与机构"

    def ready(self) -> None:
        # After every migrate, so permissions of models added later join their roles.
        post_migrate.connect(_sync_roles, dispatch_uid="jianding_sync_roles")
