from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo data set (``manage.py load_demo``): installed by the local and test
    settings only, never in production."""

    name = "demo"
    verbose_name = "演示数据"
