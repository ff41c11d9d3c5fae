"""Serving a credential's uploaded document: the API, the clinic workspace and the
verification workspace each answer with this one response."""

from __future__ import annotations

import mimetypes

from django.http import FileResponse, Http404

from .models import Credential


def document_type(credential: Credential) -> str:
    """The document's media type, from the extension its upload was checked against (PDF, PNG, JPEG)."""
    return mimetypes.guess_type(credential.document.name)[0] or "application/octet-stream"


def document_response(credential: Credential, *, inline: bool = False) -> FileResponse:
    """The stored document, never cached; a download named after the credential, or (`inline`)
    shown in place. 404 when the credential has none. Who may see it is the caller's check."""
    if not credential.document:
        raise Http404("This credential has no document.")
    response = FileResponse(credential.document.open("rb"), content_type=document_type(credential))
    if inline:
        response["Content-Disposition"] = "inline"
    else:
        name = credential.document.name
        extension = name[name.rfind(".") :] if "." in name else ""
        response["Content-Disposition"] = f'attachment; filename="credential-{credential.pk}{extension}"'
    response["Cache-Control"] = "private, no-store"
    return response
