"""Who may manage what: admins are staff users; clinic users hold a ClinicMembership.

Which clinic a request is about is decided by the views' querysets (another
clinic's objects are simply not found); these classes only say whether the
user may act at all.
"""

from rest_framework import permissions


def is_admin(user) -> bool:
    """Admins are staff users (the Django admin's flag)."""
    return bool(user and user.is_authenticated and user.is_staff)


class IsAdmin(permissions.IsAdminUser):
    """Staff users only (anonymous: 401, anyone else: 403)."""

    message = "Only admins may do this."
