"""Give the demo two sign-ins: an admin for the verification workspace (/verify/) and the
owner of a busy demo clinic for the clinic workspace (/clinic/), each with a new random
password printed once. Refused outside DEBUG: a production directory's accounts are made
by its admins, never with printed passwords."""

import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Count

from directory.models import Clinic, ClinicMembership
from directory.services import membership_add

ADMIN, MANAGER = "demo-admin", "demo-manager"


class Command(BaseCommand):
    help = __doc__.splitlines()[0]

    @transaction.atomic
    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("demo_accounts is for the demo only (DJANGO_DEBUG=true).")
        clinic = Clinic.objects.annotate(listed=Count("locations__listings")).order_by("-listed", "id").first()
        if clinic is None:
            raise CommandError("The directory has no clinic yet: run seed_demo first.")
        users = get_user_model().objects
        passwords = {}
        for username, staff in ((ADMIN, True), (MANAGER, False)):
            user, _ = users.get_or_create(username=username, defaults={"email": f"{username}@localhost"})
            user.is_staff = staff
            passwords[username] = secrets.token_urlsafe(12)
            user.set_password(passwords[username])
            user.save()
        if not ClinicMembership.objects.filter(user__username=MANAGER).exists():
            membership_add(
                clinic=clinic, username=MANAGER, role=ClinicMembership.Role.OWNER, added_by=None, by_operator=True
            )
        managed = Clinic.objects.filter(memberships__user__username=MANAGER).first()
        self.stdout.write(
            f"Verification workspace /verify/: {ADMIN} / {passwords[ADMIN]}\n"
            f"Clinic workspace /clinic/ ({managed.name}): {MANAGER} / {passwords[MANAGER]}\n"
            "(new passwords on every run of the demo)"
        )
