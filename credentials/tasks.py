"""Celery tasks of the credentials app (found by Celery's autodiscovery here)."""

from .expiry.tasks import scan_credentials, send_digest

__all__ = ["scan_credentials", "send_digest"]
