from django.apps import AppConfig


class CertificatesConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "certificates"
    verbose_name = "证书"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the deployment checks)
