"""House rules that hold across the project."""

import ast
import importlib
import re
from pathlib import Path

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


# --- the shape of the house -----------------------------------------------------------------

ROOT = Path(__file__).resolve().parent.parent
# Each layer imports only those before it (the kit holds no models and imports no app).
LAYERS = ("kit", "catalog", "candidates", "appraisals", "certificates", "supervision", "demo")
PROJECT_PACKAGES = (*LAYERS, "config")


def _modules(package: str) -> list[Path]:
    return sorted(p for p in (ROOT / package).rglob("*.py")) if (ROOT / package).is_dir() else []


def _imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def test_every_module_of_every_app_imports():
    failures = []
    for package in PROJECT_PACKAGES:
        for path in _modules(package):
            dotted = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
            if dotted.startswith("config.settings"):
                continue  # production settings refuse to load without their secrets, on purpose
            try:
                importlib.import_module(dotted)
            except Exception as error:
                failures.append(f"{dotted}: {error!r}")
    assert failures == []


def test_no_app_imports_from_a_higher_one():
    upward = []
    for rank, package in enumerate(LAYERS):
        higher = set(LAYERS[rank + 1 :]) | {"config"}
        for path in _modules(package):
            for name in sorted(_imported_packages(path) & higher):
                upward.append(f"{path.relative_to(ROOT)} imports {name}")
    assert upward == []


WALL_CLOCK = re.compile(
    r"\b(?:date\.today|datetime\.now|datetime\.utcnow|datetime\.today|timezone\.now|timezone\.localdate"
    r"|timezone\.localtime)\s*\("
)


def test_only_the_clock_reads_the_wall_clock():
    """Business times come from kit.clock (the business date when one is set)."""
    readers = []
    for package in PROJECT_PACKAGES:
        for path in _modules(package):
            if path == ROOT / "kit" / "clock.py":
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                if WALL_CLOCK.search(line):
                    readers.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert readers == []


LOCK_WITHOUT_OF = re.compile(r"select_for_update\((?![^)]*\bof=)")


def test_every_row_lock_names_its_own_table():
    """``select_for_update(of=("self",))``: a step locks the rows it changes. Without ``of``,
    PostgreSQL also locks every row joined in (``select_related``): the station, the person,
    the centre, which everyone writing a row that points at them then waits for
    (tests/certificates/test_row_locks.py)."""
    unnamed = []
    for package in PROJECT_PACKAGES:
        for path in _modules(package):
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                if LOCK_WITHOUT_OF.search(line):
                    unnamed.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert unnamed == []
