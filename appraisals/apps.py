from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class AppraisalsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "appraisals"
    verbose_name = "鉴定业务"

    def ready(self) -> None:
        # The occupations announced, kept for the lists' filter (selectors.announced_occupation_choices).
        from catalog.models import Occupation

        from .models import ExamAnnouncement
        from .selectors import announced_occupations_changed

        for model in (ExamAnnouncement, Occupation):
            for signal in (post_save, post_delete):
                signal.connect(
                    announced_occupations_changed, sender=model, dispatch_uid=f"announced_occupations_{model.__name__}"
                )
