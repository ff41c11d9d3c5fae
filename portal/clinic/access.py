"""Who may open which clinic page: exactly the API's rules (directory.selectors).

A clinic is found among `clinics_managed_by(user)`, so another clinic's page
(and any object under it) is a 404, as one that does not exist; an owner's
page answers 403 to staff, as the API's owner-only endpoints do.
"""

from __future__ import annotations

import functools

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.urls import reverse

from core.permissions import is_admin
from directory import selectors
from directory.models import ClinicMembership

SIGN_IN = "clinic:sign-in"


def clinic_page(view=None, *, owners_only: bool = False):
    """Decorate a view of one clinic (`clinic_id` in the URL): signed in, the clinic found within
    the user's clinics (404 otherwise); the view gets `request.clinic` and `request.clinic_role`
    ("owner", "staff", or "admin" for an admin who is not a member)."""

    def decorate(view):
        @functools.wraps(view)
        def wrapped(request, clinic_id, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path(), reverse(SIGN_IN))
            clinic = get_object_or_404(selectors.clinics_managed_by(request.user), pk=clinic_id)
            role = selectors.clinic_role(request.user, clinic) or ("admin" if is_admin(request.user) else None)
            if owners_only and role not in (ClinicMembership.Role.OWNER, "admin"):
                raise PermissionDenied("Only the clinic's owners may manage its members.")
            request.clinic = clinic
            request.clinic_role = role
            return view(request, *args, **kwargs)

        return wrapped

    return decorate(view) if view is not None else decorate


def may_manage_members(request) -> bool:
    return request.clinic_role in (ClinicMembership.Role.OWNER, "admin")
