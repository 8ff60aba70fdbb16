"""House rules that hold across the project."""

import re

from django.apps import apps
from django.conf import settings

CJK = re.compile(r"[\u4e00-\u9fff]")
OUR_APPS = ("catalog", "candidates", "appraisals", "certificates")


def test_locale_and_time_zone():
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert settings.USE_TZ is True


def test_every_model_and_field_has_a_chinese_verbose_name():
    missing = []
    for app_label in OUR_APPS:
        for model in apps.get_app_config(app_label).get_models():
            if model.__name__.startswith("Historical"):
                continue
            if not CJK.search(str(model._meta.verbose_name)):
                missing.append(model._meta.label)
            for field in model._meta.get_fields():
                if field.auto_created or not hasattr(field, "verbose_name"):
                    continue
                if not CJK.search(str(field.verbose_name)):
                    missing.append(f"{model._meta.label}.{field.name}")
    assert missing == []
