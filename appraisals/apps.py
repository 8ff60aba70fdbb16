from django.apps import AppConfig


class AppraisalsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "appraisals"
    verbose_name = "鉴定业务"
