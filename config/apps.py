"""Third-party apps under Chinese names (the admin's menu and breadcrumbs show them)."""

from axes.apps import AppConfig as AxesAppConfig


class LoginProtectionConfig(AxesAppConfig):
    """django-axes: failed logins counted, and a lockout per user and address."""

    verbose_name = "登录保护"

    def ready(self) -> None:
        super().ready()
        # Two list columns of axes' own admin have no heading of their own (Django would
        # show the method names, in English).
        from axes.admin import AccessAttemptAdmin

        AccessAttemptAdmin.status.short_description = "状态"
        AccessAttemptAdmin.expiration.short_description = "锁定到期"
