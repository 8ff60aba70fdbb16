"""Third-party apps under Chinese names (the admin's menu and breadcrumbs show them)."""

from axes.apps import AppConfig as AxesAppConfig


class LoginProtectionConfig(AxesAppConfig):
    """django-axes: failed logins counted, and a lockout per user and address."""

    verbose_name = "登录保护"
