"""Celery tasks of the directory: they take ids and call one service."""

import smtplib

from celery import shared_task

from . import services


@shared_task(
    autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=30,
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=8,
)
def consultation_request_notify(request_id: int) -> int:
    """Mail the clinic about a consultation request (at most once; retried while the mail server fails)."""
    return services.consultation_request_deliver(request_id=request_id)


@shared_task
def deliver_consultation_requests() -> dict:
    """The outbox sweep (Celery beat): mail every clinic still waiting for a request."""
    mailed, failed = services.consultation_requests_deliver()
    return {"mailed": mailed, "failed": failed}


@shared_task(
    autoretry_for=(smtplib.SMTPException, OSError),
    retry_backoff=30,
    retry_backoff_max=3600,
    retry_jitter=True,
    max_retries=8,
)
def invitation_send(invitation_id: int, token: str) -> None:
    """Mail an invitation to join a clinic (retried while the mail server fails)."""
    services.invitation_send(invitation_id=invitation_id, token=token)
