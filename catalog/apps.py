from django.apps import AppConfig
from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save


def _sync_roles(sender, using="default", **kwargs):
    from django.contrib.auth.models import Group, Permission

    from .roles import sync_roles

    sync_roles(Group.objects.db_manager(using).model, Permission)


class CatalogConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "catalog"
    verbose_name = "目录与机构"

    def ready(self) -> None:
        # ``field__anyof=ids``: a scope's long list of station ids as one array parameter,
        # on integer keys, on relations (whose lookups are their own, not their field's) and on
        # text columns (an import's ID numbers).
        from django.db import models

        from kit.lookups import AnyOf

        models.IntegerField.register_lookup(AnyOf)
        models.ForeignKey.register_lookup(AnyOf)
        models.CharField.register_lookup(AnyOf)

        # After every migrate, so permissions of models added later join their roles.
        post_migrate.connect(_sync_roles, dispatch_uid="jianding_sync_roles")

        # The exit dates and names the public lookup keeps between requests
        # (selectors.lookup_reference) are read again after any change to where they come from.
        from .models import DeadlineRule, GuidanceCentre, Occupation, PolicyNotice
        from .selectors import exit_dates_changed

        for model in (DeadlineRule, PolicyNotice, Occupation, GuidanceCentre):
            for signal in (post_save, post_delete):
                signal.connect(exit_dates_changed, sender=model, dispatch_uid=f"exit_dates_{model.__name__}")
        m2m_changed.connect(
            exit_dates_changed, sender=DeadlineRule.occupations.through, dispatch_uid="exit_dates_occupations"
        )

        # The scopes kept between requests (selectors._kept_scope) are worked out again
        # after any change to the organisation they come from.
        from .models import Region, Station
        from .selectors import scopes_changed

        for organisation in (Station, GuidanceCentre, Region):
            for signal in (post_save, post_delete):
                signal.connect(scopes_changed, sender=organisation, dispatch_uid=f"scopes_{organisation.__name__}")

        # The header's unread count, kept between requests (selectors.unread_notifications).
        from .models import Notification
        from .selectors import notification_saved

        for signal in (post_save, post_delete):
            signal.connect(notification_saved, sender=Notification, dispatch_uid="unread_notifications")
