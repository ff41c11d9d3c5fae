"""Who may do what: admins are staff users; clinic users hold a ClinicMembership."""

from rest_framework import permissions

from . import selectors


class IsAdminOrReadOnly(permissions.BasePermission):
    message = "Only admins may change this."

    def has_permission(self, request, view):
        return request.method in permissions.SAFE_METHODS or selectors.is_admin(request.user)


class IsClinicMemberOrAdmin(permissions.BasePermission):
    """Logged in as an admin or as a member of at least one clinic; objects are scoped by the queryset."""

    message = "Only clinic members and admins may do this."

    def has_permission(self, request, view):
        user = request.user
        return selectors.is_admin(user) or selectors.is_clinic_member(user)
