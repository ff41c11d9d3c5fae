"""Writes of the directory: what clinics change themselves (the clinic, its members, its
locations, the practitioners who work there) and the consultation requests patients send.

A clinic only ever touches its own rows: the views resolve every id (the
clinic, a location, a practitioner) within the clinics the user manages,
and these services never reach past the clinic they are given; a
practitioner who also works elsewhere keeps the other clinic's listings.
"""

from __future__ import annotations

import datetime
import hashlib
import logging
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypedDict, Unpack

from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.contrib.gis.geos import Point
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify

from core.exceptions import Conflict
from core.permissions import is_admin
from core.services import model_update

from . import geocoding, hooks, selectors
from .models import (
    Clinic,
    ClinicInvitation,
    ClinicMembership,
    ConsultationRequest,
    Language,
    Listing,
    Location,
    Practitioner,
    Specialty,
    Technique,
)
from .vocabulary import listing_copy

logger = logging.getLogger(__name__)

CLINIC_FIELDS = ("name", "website", "phone", "email")
LOCATION_FIELDS = ("name", "address", "city", "state", "postal_code", "phone", "accepting_new_patients")
PRACTITIONER_FIELDS = ("name", "profession", "npi", "email", "bio", "years_dry_needling", "typical_sessions")
PRACTITIONER_TERMS = ("specialties", "techniques", "languages")


class ClinicChanges(TypedDict, total=False):
    name: str
    website: str
    phone: str
    email: str


class LocationChanges(TypedDict, total=False):
    name: str
    address: str
    city: str
    state: str
    postal_code: str
    phone: str
    accepting_new_patients: bool


class PractitionerChanges(TypedDict, total=False):
    name: str
    profession: str
    npi: str
    email: str
    bio: str
    years_dry_needling: int | None
    typical_sessions: int | None


def unique_slugs(model, texts: Sequence[str]) -> list[str]:
    """The one place slugs are made: from each text, suffixed -2, -3, ... until no row of
    model (and no earlier text) uses it; one query however many texts.

    A slug is a public address (a profile's URL), so it is made once, when
    the row is created, and never edited afterwards (the admin shows it
    read-only): changing it would break every link patients saved.
    """
    bases = [slugify(text)[:200] or "item" for text in texts]
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        # Every slug a base could collide with: the base itself and base-N.
        cursor.execute(
            f"SELECT slug FROM {table} WHERE slug = ANY(%s) OR regexp_replace(slug, '-[0-9]+$', '') = ANY(%s)",
            [sorted(set(bases)), sorted(set(bases))],
        )
        taken = {slug for (slug,) in cursor.fetchall()}
    slugs = []
    for base in bases:
        slug, n = base, 1
        while slug in taken:
            n += 1
            slug = f"{base}-{n}"
        taken.add(slug)
        slugs.append(slug)
    return slugs


def unique_slug(model, text: str) -> str:
    return unique_slugs(model, [text])[0]


class NpiTaken(Conflict):
    """Another practitioner in the directory already has this NPI (HTTP 409)."""

    def __init__(self, npi: str):
        message = (
            f"A practitioner with NPI {npi} is already in the directory. "
            "If they now also work at your clinic, ask an admin to add them to your locations."
        )
        super().__init__({"detail": f"npi: {message}", "errors": {"npi": [message]}})


# --- the listing's copies of what the search filters on -------------------------

# The listing's copy of each practitioner term list: (listing column, link table, term column).
_TERM_COPIES = tuple(
    (
        listing_copy(Practitioner._meta.get_field(relation).related_model),
        Practitioner._meta.get_field(relation).remote_field.through._meta.db_table,
        Practitioner._meta.get_field(relation).m2m_reverse_name(),
    )
    for relation in PRACTITIONER_TERMS
)


def listings_refresh_filters(
    *, practitioner_ids: Iterable[int] | None = None, location_ids: Iterable[int] | None = None
) -> int:
    """Recompute the listings' copies of what the search filters on (see Listing) from their sources.

    For the listings of these practitioners, or at these locations; with
    neither, for every listing (a repair after writes that bypassed the
    services; the demo seed writes the copies with the listings).
    One set-based UPDATE that writes only the rows whose copies differ, so
    a service may call it after any edit that could touch a source: the
    practitioner's terms, profession or verified training hours, a
    location's accepting_new_patients, the practitioner's or the clinic's
    name, a new listing. Returns the listings written. `updated_at` is left
    alone: the copies are not part of what a directory syncs of a listing
    (the practitioner's own row is).
    """
    if practitioner_ids is not None and location_ids is not None:
        raise TypeError("give practitioner_ids or location_ids, not both")
    if practitioner_ids is not None:
        ids = sorted(set(practitioner_ids))
        where, params = "l.practitioner_id = ANY(%s)", [ids]
    elif location_ids is not None:
        ids = sorted(set(location_ids))
        where, params = "l.location_id = ANY(%s)", [ids]
    else:
        ids, where, params = None, "TRUE", []
    if ids == []:
        return 0
    listing, location, practitioner, clinic = (
        model._meta.db_table for model in (Listing, Location, Practitioner, Clinic)
    )
    # Each link table aggregated once for the practitioners in scope, rather than one
    # lookup per practitioner: a refresh of every listing reads each table once, and
    # for a single practitioner the semi-join still finds their few rows by the index.
    terms = ", ".join(f"coalesce({column}.ids, '{{}}') AS {column}" for column, _, _ in _TERM_COPIES)
    aggregates = " ".join(
        f" LEFT JOIN (SELECT practitioner_id, array_agg({term}::integer ORDER BY {term}) AS ids FROM {through}"
        f" WHERE practitioner_id IN (SELECT id FROM scope) GROUP BY practitioner_id) {column}"
        f" ON {column}.practitioner_id = p.id"
        for column, through, term in _TERM_COPIES
    )
    copies = [column for column, _, _ in _TERM_COPIES] + ["profession", "verified_training_hours", "practitioner_name"]
    # (listing column, its source) for the location's and the clinic's facts.
    place = [("accepting_new_patients", "loc.accepting_new_patients"), ("clinic_name", "c.name")]
    sql = (
        f"WITH scope AS MATERIALIZED (SELECT DISTINCT l.practitioner_id AS id FROM {listing} l WHERE {where}),"
        f" source AS ("
        f" SELECT p.id, p.profession, p.verified_training_hours, p.name AS practitioner_name, {terms}"
        f" FROM {practitioner} p"
        f"{aggregates}"
        f" WHERE p.id IN (SELECT id FROM scope))"
        f" UPDATE {listing} l SET {', '.join(f'{c} = s.{c}' for c in copies)},"
        f" {', '.join(f'{c} = {source}' for c, source in place)}"
        f" FROM source s, {location} loc, {clinic} c"
        f" WHERE l.practitioner_id = s.id AND loc.id = l.location_id AND c.id = loc.clinic_id AND {where}"
        f" AND ({', '.join(f'l.{c}' for c in copies)}, {', '.join(f'l.{c}' for c, _ in place)})"
        f" IS DISTINCT FROM ({', '.join(f's.{c}' for c in copies)}, {', '.join(source for _, source in place)})"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params * 2)
        return cursor.rowcount


def listings_refresh_hours(*, hours: Mapping[int, int]) -> int:
    """Copy practitioners' verified training hours, as just written to them (`hours`: the
    practitioner's id -> hours), to their listings (the search's min_training_hours filter),
    only where the copy differs; returns the listings written.

    The narrow sibling of listings_refresh_filters for a change of the hours alone (the
    nightly scan's, after training records lapse): that one recomputes every copy (terms,
    names, the location's and the clinic's facts) of each listing, 29.2 s for a year of
    lapses at 5M credentials (bench/scan.py). The hours come with the ids, two array
    parameters whatever their length, so the listings are joined to those pairs alone:
    reading the practitioners again (a scan of all of them for 145k ids) and planning an
    array written into the SQL took 1.9 s for a year's catch-up, the pairs 1.2 s.
    """
    if not hours:
        return 0
    ids = sorted(hours)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Listing._meta.db_table} l SET verified_training_hours = v.hours"
            " FROM unnest(%s::bigint[], %s::integer[]) v (practitioner_id, hours)"
            " WHERE l.practitioner_id = v.practitioner_id AND l.verified_training_hours IS DISTINCT FROM v.hours",
            [ids, [hours[id_] for id_ in ids]],
        )
        return cursor.rowcount


# --- clinics and members ----------------------------------------------------


@transaction.atomic
def clinic_create(*, name: str, website: str = "", phone: str = "", email: str = "") -> Clinic:
    clinic = Clinic(name=name, website=website or "", phone=phone or "", email=email or "")
    clinic.slug = unique_slug(Clinic, name)
    clinic.full_clean()
    clinic.save()
    return clinic


@transaction.atomic
def clinic_update(*, clinic: Clinic, changes: ClinicChanges) -> Clinic:
    """Change the clinic's name and contact details; its slug (its public address) stays.
    A new name is copied to the clinic's listings (the name search's)."""
    data = {field: "" if value is None else value for field, value in changes.items()}
    name = clinic.name
    clinic, _ = model_update(instance=clinic, fields=CLINIC_FIELDS, data=data)
    if clinic.name != name:
        listings_refresh_filters(location_ids=Location.objects.filter(clinic=clinic).values_list("pk", flat=True))
    return clinic


@transaction.atomic
def membership_add(
    *, clinic: Clinic, username: str, role: str, added_by, by_operator: bool = False
) -> tuple[ClinicMembership, bool]:
    """Give an existing user access to the clinic, or change their role there; returns
    the membership and whether it is new.

    Admins (and operators at the shell, `by_operator`) may add owners and
    staff; a clinic's owner may add staff. Adding someone who is already a
    member sets their role.
    """
    if role not in ClinicMembership.Role.values:
        raise ValidationError({"role": f"Unknown role '{role}'. Known: {', '.join(ClinicMembership.Role.values)}."})
    privileged = by_operator or is_admin(added_by)
    if not privileged:
        if selectors.clinic_role(added_by, clinic) != ClinicMembership.Role.OWNER:
            raise PermissionDenied("Only the clinic's owners and admins may add members.")
        if role != ClinicMembership.Role.STAFF:
            raise PermissionDenied("Only admins may make someone an owner.")
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise ValidationError({"username": f"No user is called '{username}'. An admin creates the account first."})
    membership, created = ClinicMembership.objects.get_or_create(clinic=clinic, user=user, defaults={"role": role})
    if not created and membership.role != role:
        if not privileged:
            raise PermissionDenied("Only admins may change an existing member's role.")
        membership.role = role
        membership.save(update_fields=["role"])
    return membership, created


INVITATION_DAYS = 7


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _check_may_invite(*, clinic: Clinic, role: str, by) -> None:
    if role not in ClinicMembership.Role.values:
        raise ValidationError({"role": f"Unknown role '{role}'. Known: {', '.join(ClinicMembership.Role.values)}."})
    if is_admin(by):
        return
    if selectors.clinic_role(by, clinic) != ClinicMembership.Role.OWNER:
        raise PermissionDenied("Only the clinic's owners and admins may invite members.")
    if role != ClinicMembership.Role.STAFF:
        raise PermissionDenied("Only admins may make someone an owner.")


@transaction.atomic
def invitation_create(*, clinic: Clinic, email: str, role: str, invited_by) -> ClinicInvitation:
    """Invite someone by email to join the clinic; they accept through the emailed link.

    Whether an account with that address exists is neither checked nor told:
    the answer and the email are the same either way (someone without an
    account creates one when accepting), so inviting cannot probe for users.
    """
    _check_may_invite(clinic=clinic, role=role, by=invited_by)
    token = secrets.token_urlsafe(32)
    invitation = ClinicInvitation(
        clinic=clinic,
        email=(email or "").strip().lower(),
        role=role,
        token_digest=_token_digest(token),
        invited_by=invited_by,
        expires_at=timezone.now() + datetime.timedelta(days=INVITATION_DAYS),
    )
    invitation.full_clean()
    invitation.save()
    from .tasks import invitation_send  # tasks import this module

    transaction.on_commit(lambda: invitation_send.delay(invitation.pk, token), robust=True)
    return invitation


def invitation_send(*, invitation_id: int, token: str) -> None:
    """Mail the invitation with its link (the only place the token is written down)."""
    invitation = ClinicInvitation.objects.select_related("clinic", "invited_by").get(pk=invitation_id)
    inviter = invitation.invited_by.get_username() if invitation.invited_by else "An administrator"
    EmailMessage(
        subject=f"You are invited to manage {invitation.clinic.name} in the dry needling directory",
        body="\n".join(
            [
                f"{inviter} invited you to join {invitation.clinic.name} as {invitation.get_role_display().lower()}.",
                "",
                "To accept, sign in (or create an account) with this invitation code:",
                "",
                f"    {token}",
                "",
                "In a browser: open /clinic/join/ on the directory's site and enter the code.",
                "API: POST /api/v1/invitations/accept/ with the code as `token`.",
                f"The invitation is valid until {timezone.localtime(invitation.expires_at):%Y-%m-%d %H:%M %Z}.",
            ]
        ),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[invitation.email],
    ).send()


@transaction.atomic
def invitation_accept(*, token: str, user=None, username: str = "", password: str = "") -> ClinicMembership:
    """Accept an invitation: as the signed-in `user`, or as a new account (`username`,
    `password`, the invitation's email). An invitation is used once, before it expires."""
    invitation = (
        ClinicInvitation.objects.select_for_update()
        .filter(token_digest=_token_digest(token or ""), accepted_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )
    if invitation is None:
        raise ValidationError({"token": "This invitation is unknown, used or expired; ask the clinic for a new one."})
    if user is None:
        user = _new_member_account(username=username, password=password, email=invitation.email)
    membership, created = ClinicMembership.objects.get_or_create(
        clinic=invitation.clinic, user=user, defaults={"role": invitation.role}
    )
    if not created and invitation.role == ClinicMembership.Role.OWNER and membership.role != invitation.role:
        membership.role = invitation.role
        membership.save(update_fields=["role"])
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return membership


def _new_member_account(*, username: str, password: str, email: str):
    User = get_user_model()
    errors = {}
    if not username:
        errors["username"] = "Choose a username (or sign in and accept as yourself)."
    elif User.objects.filter(username=username).exists():
        errors["username"] = "This username is taken; choose another."
    if not password:
        errors["password"] = "Choose a password."  # noqa: S105 (a message, not a password)
    else:
        try:
            password_validation.validate_password(password, User(username=username, email=email))
        except ValidationError as exc:
            errors["password"] = exc.messages
    if errors:
        raise ValidationError(errors)
    return User.objects.create_user(username=username, email=email, password=password)


def _check_keeps_an_owner(membership: ClinicMembership) -> None:
    """The clinic always keeps an owner: its only owner can be neither removed nor made staff."""
    owners = ClinicMembership.objects.select_for_update().filter(
        clinic=membership.clinic, role=ClinicMembership.Role.OWNER
    )
    if membership.role == ClinicMembership.Role.OWNER and owners.count() == 1:
        raise Conflict("This is the clinic's only owner: make someone else owner first.")


@transaction.atomic
def membership_change_role(*, membership: ClinicMembership, role: str, changed_by) -> ClinicMembership:
    """Change a member's role. The clinic's owners (and admins) may make a staff member an
    owner, to share the clinic or hand it over, and an owner staff, while another owner
    remains; staff change no one's role."""
    if role not in ClinicMembership.Role.values:
        raise ValidationError({"role": f"Unknown role '{role}'. Known: {', '.join(ClinicMembership.Role.values)}."})
    if not is_admin(changed_by) and selectors.clinic_role(changed_by, membership.clinic) != ClinicMembership.Role.OWNER:
        raise PermissionDenied("Only the clinic's owners and admins may change roles.")
    membership = ClinicMembership.objects.select_for_update().get(pk=membership.pk)
    if membership.role == role:
        return membership
    if role == ClinicMembership.Role.STAFF:
        _check_keeps_an_owner(membership)
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def membership_remove(*, membership: ClinicMembership, removed_by) -> None:
    """Take a user's access away. Owners may remove staff; admins anyone; the last owner stays."""
    if not is_admin(removed_by):
        if (
            selectors.clinic_role(removed_by, membership.clinic) != ClinicMembership.Role.OWNER
            or membership.role == ClinicMembership.Role.OWNER
        ):
            raise PermissionDenied("Only admins may remove an owner; owners may remove staff.")
    _check_keeps_an_owner(membership)
    membership.delete()


# --- locations --------------------------------------------------------------


def _place(location: Location, *, lat: float | None, lon: float | None, moved: bool) -> None:
    """Put the location on the map before it is validated.

    1. Given lat/lon, the point is exactly there.
    2. Otherwise a new location, or one whose ZIP changed, goes to that
       ZIP's centroid (a ZIP missing from the bundled table leaves the point
       empty, and Location.clean() then asks for coordinates).
    3. A missing city is filled in from the ZIP.
    """
    if lat is not None and lon is not None:
        location.point = Point(lon, lat, srid=4326)
    elif moved or location.point is None:
        try:
            location.point = geocoding.zip_to_point(location.postal_code)
        except geocoding.UnknownPlace:
            location.point = None
    if not location.city:
        try:
            location.city = geocoding.zip_record(location.postal_code)[2]
        except geocoding.UnknownPlace:
            pass  # full_clean() names the field


@transaction.atomic
def location_create(
    *,
    clinic: Clinic,
    address: str,
    state: str,
    postal_code: str,
    city: str = "",
    name: str = "",
    phone: str = "",
    accepting_new_patients: bool = True,
    lat: float | None = None,
    lon: float | None = None,
) -> Location:
    """Add a location; without lat/lon it is placed at its ZIP code's centroid."""
    location = Location(
        clinic=clinic,
        name=name or "",
        address=address,
        city=city or "",
        state=state,
        postal_code=postal_code,
        phone=phone or "",
        accepting_new_patients=accepting_new_patients,
        point=None,
    )
    _place(location, lat=lat, lon=lon, moved=True)
    location.full_clean()
    location.save()
    return location


@transaction.atomic
def location_update(
    *, location: Location, changes: LocationChanges, lat: float | None = None, lon: float | None = None
) -> Location:
    """Change a location, keeping its listings' copies of its point and state in step.

    1. A new ZIP without lat/lon moves it to that ZIP's centroid.
    2. Its listings carry a copy of the point (the search's KNN index) and
       the state (which decides which licenses count): both follow.
    3. A move to another state may change who is qualified there, so the
       practitioners listed here are requalified (the hook).
    4. Its listings' copy of accepting_new_patients (a search filter) follows.
    """
    location = Location.objects.select_for_update().get(pk=location.pk)
    before = (location.point, location.state)
    accepting = location.accepting_new_patients
    data = {
        field: "" if value is None and field != "accepting_new_patients" else value for field, value in changes.items()
    }
    moved = "postal_code" in data and data["postal_code"] != location.postal_code
    for field, value in data.items():
        setattr(location, field, value)
    _place(location, lat=lat, lon=lon, moved=moved)
    location.full_clean()
    location.save()
    if location.accepting_new_patients != accepting:
        listings_refresh_filters(location_ids=[location.pk])
    if (location.point, location.state) != before:
        listings = Listing.objects.filter(location=location)
        listings.update(point=location.point, state=location.state, updated_at=timezone.now())
        if location.state != before[1]:
            hooks.listings_changed(practitioner_ids=listings.values_list("practitioner_id", flat=True))
    return location


@transaction.atomic
def location_delete(*, location: Location) -> None:
    """Remove a location and its listings; its practitioners stay listed wherever else they work.

    No hook: a listing's qualification is its own, so removing one leaves the
    practitioner's other listings as they were.
    """
    location.delete()


# --- practitioners ----------------------------------------------------------


def _check_npi_free(npi: str, practitioner: Practitioner | None = None) -> None:
    if not npi:
        return
    others = Practitioner.objects.filter(npi=npi)
    if practitioner is not None:
        others = others.exclude(pk=practitioner.pk)
    if others.exists():
        raise NpiTaken(npi)


def _listing(practitioner: Practitioner, location: Location) -> Listing:
    # The listing's copy of the location's point and state: see Listing.
    return Listing(practitioner=practitioner, location=location, point=location.point, state=location.state)


def _set_locations(practitioner: Practitioner, clinic: Clinic, locations: Sequence[Location]) -> bool:
    """List the practitioner at exactly these of the clinic's locations; other clinics' listings
    stay. Returns whether a listing was added (a new listing needs qualifying)."""
    if not locations:
        raise ValidationError({"locations": "Give at least one of the clinic's locations."})
    if any(location.clinic_id != clinic.pk for location in locations):
        raise ValidationError({"locations": "A location of another clinic cannot be used here."})
    wanted = {location.pk: location for location in locations}
    here = Listing.objects.filter(practitioner=practitioner, location__clinic=clinic)
    current = set(here.values_list("location_id", flat=True))
    here.exclude(location_id__in=wanted).delete()
    added = [_listing(practitioner, wanted[location_id]) for location_id in sorted(set(wanted) - current)]
    Listing.objects.bulk_create(added)
    if added:
        listings_refresh_filters(practitioner_ids=[practitioner.pk])
    return bool(added)


def _set_terms(
    practitioner: Practitioner,
    *,
    specialties: Iterable[Specialty] | None,
    techniques: Iterable[Technique] | None,
    languages: Iterable[Language] | None,
) -> None:
    """Set the given term lists; a practitioner whose terms changed is marked as updated
    (`updated_at`), as a change to a field would, so a directory's sync picks it up, and
    their listings' copies of the terms (the search's filters) follow."""
    changed = False
    for relation, terms in (("specialties", specialties), ("techniques", techniques), ("languages", languages)):
        if terms is not None:
            manager = getattr(practitioner, relation)
            wanted = {term.pk for term in terms}
            if set(manager.values_list("pk", flat=True)) != wanted:
                manager.set(list(wanted))
                changed = True
    if changed and practitioner.pk:
        Practitioner.objects.filter(pk=practitioner.pk).update(updated_at=timezone.now())
        listings_refresh_filters(practitioner_ids=[practitioner.pk])


class PractitionerDetails(TypedDict, total=False):
    """What a new practitioner may be given besides a name and a profession."""

    npi: str
    email: str
    bio: str
    years_dry_needling: int | None
    typical_sessions: int | None
    specialties: Iterable[Specialty] | None
    techniques: Iterable[Technique] | None
    languages: Iterable[Language] | None


@transaction.atomic
def practitioner_create(
    *,
    clinic: Clinic,
    name: str,
    profession: str,
    locations: Sequence[Location],
    **details: Unpack[PractitionerDetails],
) -> Practitioner:
    """Add a practitioner who works at some of the clinic's locations."""
    practitioner = practitioner_register(name=name, profession=profession, **details)
    _set_locations(practitioner, clinic, locations)
    hooks.listings_changed(practitioner_ids=[practitioner.pk])
    return practitioner


@transaction.atomic
def practitioner_register(
    *,
    name: str,
    profession: str,
    npi: str = "",
    email: str = "",
    bio: str = "",
    years_dry_needling: int | None = None,
    typical_sessions: int | None = None,
    specialties: Iterable[Specialty] | None = None,
    techniques: Iterable[Technique] | None = None,
    languages: Iterable[Language] | None = None,
) -> Practitioner:
    """Add a practitioner who is not listed anywhere yet (an admin lists them with listing_add;
    clinics use practitioner_create, which lists them at once)."""
    _check_npi_free(npi or "")
    practitioner = Practitioner(
        name=name,
        profession=profession,
        npi=npi or "",
        email=email or "",
        bio=bio or "",
        years_dry_needling=years_dry_needling,
        typical_sessions=typical_sessions,
    )
    practitioner.slug = unique_slug(Practitioner, practitioner.name)
    practitioner.full_clean()
    practitioner.save()
    _set_terms(practitioner, specialties=specialties, techniques=techniques, languages=languages)
    return practitioner


@dataclass(frozen=True)
class NewPractitioner:
    """One practitioner for practitioners_create_many: their details, where they work, their terms."""

    name: str
    profession: str
    locations: tuple[Location, ...]
    npi: str = ""
    email: str = ""
    specialties: tuple[Specialty, ...] = ()
    techniques: tuple[Technique, ...] = ()
    languages: tuple[Language, ...] = ()


@transaction.atomic
def practitioners_create_many(*, clinic: Clinic, practitioners: Sequence[NewPractitioner]) -> list[Practitioner]:
    """practitioner_create for many at once, in a handful of statements (a roster of thousands).

    The same rules: at least one location, all of this clinic; NPIs free in the
    directory; each row validated; slugs made by unique_slugs; listings copy
    their location's point and state; the hook once for all of them.
    """
    if not practitioners:
        return []
    for new in practitioners:
        if not new.locations:
            raise ValidationError({"locations": "Give at least one of the clinic's locations."})
        if any(location.clinic_id != clinic.pk for location in new.locations):
            raise ValidationError({"locations": "A location of another clinic cannot be used here."})
    npis = [new.npi for new in practitioners if new.npi]
    taken = Practitioner.objects.filter(npi__in=npis).values_list("npi", flat=True).first()
    if taken or len(npis) != len(set(npis)):
        raise NpiTaken(taken or next(npi for npi in npis if npis.count(npi) > 1))
    rows = [
        Practitioner(name=new.name, profession=new.profession, npi=new.npi or "", email=new.email or "")
        for new in practitioners
    ]
    for row, slug in zip(rows, unique_slugs(Practitioner, [new.name for new in practitioners])):
        row.slug = slug
        row.clean_fields()
    created = Practitioner.objects.bulk_create(rows, batch_size=1000)
    for relation in PRACTITIONER_TERMS:
        through = getattr(Practitioner, relation).through
        column = getattr(Practitioner, relation).field.m2m_reverse_field_name()
        links = [
            through(practitioner_id=row.pk, **{f"{column}_id": term.pk})
            for row, new in zip(created, practitioners)
            for term in dict.fromkeys(getattr(new, relation))
        ]
        through.objects.bulk_create(links, batch_size=5000)
    Listing.objects.bulk_create(
        [
            _listing(row, location)
            for row, new in zip(created, practitioners)
            for location in {location.pk: location for location in new.locations}.values()
        ],
        batch_size=5000,
    )
    listings_refresh_filters(practitioner_ids=[row.pk for row in created])
    hooks.listings_changed(practitioner_ids=[row.pk for row in created])
    return created


@transaction.atomic
def practitioner_update(
    *,
    practitioner: Practitioner,
    changes: PractitionerChanges | None = None,
    clinic: Clinic | None = None,
    locations: Sequence[Location] | None = None,
    specialties: Iterable[Specialty] | None = None,
    techniques: Iterable[Technique] | None = None,
    languages: Iterable[Language] | None = None,
) -> Practitioner:
    """Change a practitioner's details, terms, and (with `clinic`) which of that clinic's
    locations they work at. A changed profession (licenses count for one's own profession
    only) or a new listing requalifies them."""
    practitioner = Practitioner.objects.select_for_update().get(pk=practitioner.pk)
    data = {
        field: "" if value is None and field not in ("years_dry_needling", "typical_sessions") else value
        for field, value in (changes or {}).items()
    }
    if "npi" in data:
        _check_npi_free(data["npi"], practitioner)
    profession, name = practitioner.profession, practitioner.name
    practitioner, _ = model_update(instance=practitioner, fields=PRACTITIONER_FIELDS, data=data)
    _set_terms(practitioner, specialties=specialties, techniques=techniques, languages=languages)
    added = False
    if locations is not None:
        if clinic is None:
            raise TypeError("locations are set within one clinic: give the clinic")
        added = _set_locations(practitioner, clinic, locations)
    if practitioner.profession != profession or practitioner.name != name:
        # The listings' copies of the profession (a filter) and the name (the name search's).
        listings_refresh_filters(practitioner_ids=[practitioner.pk])
    if added or practitioner.profession != profession:
        hooks.listings_changed(practitioner_ids=[practitioner.pk])
    return practitioner


@transaction.atomic
def practitioner_remove(*, clinic: Clinic, practitioner: Practitioner) -> None:
    """The practitioner no longer works at this clinic: remove their listings here.

    The practitioner (and their credentials) stay: they may work elsewhere,
    and their credential history is kept. No hook: their other listings'
    qualification does not depend on this one.
    """
    Listing.objects.filter(practitioner=practitioner, location__clinic=clinic).delete()


@transaction.atomic
def listing_add(*, practitioner: Practitioner, location: Location) -> Listing:
    """List a practitioner at any location (the admin's tool; clinics use practitioner_update)."""
    listing, created = Listing.objects.get_or_create(
        practitioner=practitioner, location=location, defaults={"point": location.point, "state": location.state}
    )
    if created:
        listings_refresh_filters(practitioner_ids=[practitioner.pk])
        hooks.listings_changed(practitioner_ids=[practitioner.pk])
        listing.refresh_from_db()
    return listing


@transaction.atomic
def listing_remove(*, listing: Listing) -> None:
    """Unlist a practitioner at one location (the admin's tool)."""
    listing.delete()


# --- consultation requests ----------------------------------------------------


@transaction.atomic
def consultation_request_create(
    *, practitioner: Practitioner, location: Location, name: str, email: str = "", phone: str = "", message: str
) -> ConsultationRequest:
    """Store a patient's consultation request and, once it is committed, mail the clinic.

    The location must be one where the practitioner is listed: the clinic
    mailed is the location's, so any other location would send the patient's
    details to a clinic the practitioner does not work for.
    """
    if not Listing.objects.filter(practitioner=practitioner, location=location).exists():
        raise ValidationError(
            {"location": f"{practitioner.name} is not listed at this location; choose one of theirs."}
        )
    request = ConsultationRequest(
        practitioner=practitioner,
        location=location,
        name=(name or "").strip(),
        email=(email or "").strip(),
        phone=(phone or "").strip(),
        message=(message or "").strip(),
    )
    request.full_clean()
    request.save()
    from .tasks import consultation_request_notify  # tasks import this module

    # robust: the request is stored either way; a broker that is down (or a
    # mail server, with eager tasks) is logged, not shown to the patient as
    # an error, and the outbox sweep delivers it later.
    transaction.on_commit(lambda: consultation_request_notify.delay(request.pk), robust=True)
    return request


@transaction.atomic
def consultation_request_mark_contacted(
    *, request: ConsultationRequest, contacted_by, contacted: bool = True
) -> ConsultationRequest:
    """Mark a patient's request as contacted by the clinic (or as waiting again)."""
    request = ConsultationRequest.objects.select_for_update().get(pk=request.pk)
    if contacted and request.contacted_at is None:
        request.contacted_at = timezone.now()
        request.contacted_by = contacted_by
    elif not contacted:
        request.contacted_at = None
        request.contacted_by = None
    request.save(update_fields=["contacted_at", "contacted_by"])
    return request


def consultation_request_deliver(*, request_id: int) -> int:
    """Try to mail one request's clinic (see consultation_request_notify); a failure is
    counted and kept on the request for the admins, then raised for the caller to retry."""
    try:
        return consultation_request_notify(request_id=request_id)
    except Exception as exc:
        ConsultationRequest.objects.filter(pk=request_id, notified_at__isnull=True).update(
            delivery_attempts=F("delivery_attempts") + 1, last_delivery_error=repr(exc)[:2000]
        )
        raise


def consultation_requests_deliver(*, limit: int = 500) -> tuple[int, int]:
    """The outbox sweep: deliver every request whose clinic has not been mailed yet, oldest
    first; returns (mailed, failed). One failure does not stop the others; each stays
    waiting for the next sweep (Celery beat, every CONSULTATION_SWEEP_MINUTES)."""
    mailed = failed = 0
    waiting = ConsultationRequest.objects.filter(notified_at__isnull=True).order_by("created_at", "id")
    for request_id in waiting.values_list("id", flat=True)[:limit]:
        try:
            mailed += bool(consultation_request_deliver(request_id=request_id))
        except Exception:
            failed += 1
            logger.warning(
                "Consultation request %s: the clinic could not be mailed; the next sweep retries.",
                request_id,
                exc_info=True,
            )
    return mailed, failed


def consultation_recipients(location: Location) -> list[str]:
    """Who hears of a request: the clinic's members with an email, else the clinic's own address."""
    emails = selectors.clinic_member_emails(location.clinic_id)
    return emails or ([location.clinic.email] if location.clinic.email else [])


@transaction.atomic
def consultation_request_notify(*, request_id: int) -> int:
    """Mail the clinic about one consultation request, at most once; the number of recipients mailed.

    1. Claim the request: a conditional update sets `notified_at` only where
       it is empty, so of two runs (a retry, a duplicate delivery) one gets
       the row and the other mails nothing. The claim is in this transaction:
       a failed send rolls it back, and the retry mails.
    2. Mail every recipient in one message, Reply-To the patient's email.
    """
    claimed = ConsultationRequest.objects.filter(pk=request_id, notified_at__isnull=True).update(
        notified_at=timezone.now()
    )
    if not claimed:
        return 0
    request = ConsultationRequest.objects.select_related("practitioner", "location__clinic").get(pk=request_id)
    location = request.location
    recipients = consultation_recipients(location)
    if not recipients:
        logger.warning(
            "Consultation request %s: clinic %s has no member or clinic email.", request.pk, location.clinic_id
        )
        transaction.set_rollback(True)  # leave it unclaimed for when the clinic has an address
        return 0
    place = ", ".join(part for part in (location.name, location.address, location.city, location.state) if part)
    body = "\n".join(
        [
            f"{request.name} asks for a consultation with {request.practitioner.name} at {place}.",
            "",
            f"Email: {request.email or '(not given)'}",
            f"Phone: {request.phone or '(not given)'}",
            "",
            "Message:",
            request.message,
            "",
            f"Sent through the dry needling directory on {timezone.localtime(request.created_at):%Y-%m-%d %H:%M %Z}.",
        ]
    )
    EmailMessage(
        subject=f"Consultation request for {request.practitioner.name} ({location.clinic.name})",
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=recipients,
        reply_to=[request.email] if request.email else None,
    ).send()
    return len(recipients)
