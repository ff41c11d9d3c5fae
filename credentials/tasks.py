"""Celery tasks of the credentials app (found by Celery's autodiscovery here)."""

from .expiry.tasks import scan_credentials, send_digest
from .screening.tasks import screen_exclusions

__all__ = ["scan_credentials", "screen_exclusions", "send_digest"]
