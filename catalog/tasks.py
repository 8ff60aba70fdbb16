from dataclasses import asdict

from celery import shared_task

from .services import catalog_load


@shared_task
def reload_catalog() -> dict[str, int]:
    """Bring the catalog up to date with the data files shipped in this release."""
    return asdict(catalog_load())
