from django.apps import AppConfig


class SupervisionConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "supervision"
    verbose_name = "督导"

    def ready(self) -> None:
        # A batch released or refused anywhere (its page, its review item, the shell) closes
        # its review item in the same transaction: certificates sends, supervision listens,
        # so certificates never imports supervision.
        from certificates.services import batch_reviewed

        from .services import on_batch_reviewed

        batch_reviewed.connect(on_batch_reviewed, dispatch_uid="supervision.close_batch_item")
