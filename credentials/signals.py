"""Keep qualification in step when the directory changes under a credential.

The directory does not know about credentials, so the credentials app
listens: a new or changed listing, a location moving to another state, or
a practitioner's profession changing can all change who is qualified where.
Practitioners without any credential are skipped: they are qualified
nowhere, which is already what a new listing says.
"""

from django.db.models.signals import post_save

from directory.models import Listing, Location, Practitioner

from . import services


def listing_saved(sender, instance: Listing, raw=False, **kwargs):
    if raw:
        return
    ids = services.practitioners_with_credentials([instance.practitioner_id])
    if ids:
        services.practitioners_requalify(practitioner_ids=ids)


def location_saved(sender, instance: Location, created=False, raw=False, **kwargs):
    # Location.save() copies its state to its listings only after this
    # signal; listings still holding another state are the ones that move.
    if raw or created:
        return
    moving = Listing.objects.filter(location=instance).exclude(state=instance.state)
    ids = services.practitioners_with_credentials(moving.values_list("practitioner_id", flat=True))
    if ids:
        services.practitioners_requalify(practitioner_ids=ids)


def practitioner_saved(sender, instance: Practitioner, created=False, raw=False, update_fields=None, **kwargs):
    # Licenses count for the practitioner's own profession only.
    if raw or created or (update_fields is not None and "profession" not in update_fields):
        return
    ids = services.practitioners_with_credentials([instance.pk])
    if ids:
        services.practitioners_requalify(practitioner_ids=ids)


def connect():
    post_save.connect(listing_saved, sender=Listing, dispatch_uid="credentials.listing_saved")
    post_save.connect(location_saved, sender=Location, dispatch_uid="credentials.location_saved")
    post_save.connect(practitioner_saved, sender=Practitioner, dispatch_uid="credentials.practitioner_saved")
