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

        # Every look at personal data, from whichever app shows it (kit.audit).
        from kit.audit import personal_data_accessed

        from .services import personal_data_access_record

        personal_data_accessed.connect(personal_data_access_record, dispatch_uid="supervision.personal_data_access")

        # Every accepted late entry (补录) raises a review item in the same transaction.
        from appraisals.services import late_entry_accepted

        from .services import on_late_entries_accepted

        late_entry_accepted.connect(on_late_entries_accepted, dispatch_uid="supervision.late_entry_item")
