"""manage.py create_clinic "Name" --owner USERNAME: an operator adds a clinic and its owner."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from directory import services
from directory.models import ClinicMembership


class Command(BaseCommand):
    help = "Create a clinic and make an existing user its owner (they can then add staff and locations)."

    def add_arguments(self, parser):
        parser.add_argument("name", help="The clinic's name, as patients will see it.")
        parser.add_argument("--owner", required=True, help="Username of an existing user who will own the clinic.")
        parser.add_argument("--website", default="")
        parser.add_argument("--phone", default="")
        parser.add_argument("--email", default="")

    def handle(self, *args, name, owner, website, phone, email, **options):
        try:
            with transaction.atomic():
                clinic = services.clinic_create(name=name, website=website, phone=phone, email=email)
                services.membership_add(
                    clinic=clinic, username=owner, role=ClinicMembership.Role.OWNER, added_by=None, by_operator=True
                )
        except ValidationError as exc:
            messages = exc.message_dict if hasattr(exc, "error_dict") else {"error": exc.messages}
            field, errors = next(iter(messages.items()))
            raise CommandError(f"{'--owner' if field == 'username' else field}: {' '.join(errors)}") from None
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(
            self.style.SUCCESS(f"Created clinic {clinic.pk} '{clinic.name}' ({clinic.slug}), owned by {owner}.")
        )
