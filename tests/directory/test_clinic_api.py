"""Clinic self-service: a clinic's staff keep their clinic, members, locations and
practitioners right, and never reach another clinic's (which answer 404)."""

import pytest
from django.core.management import CommandError, call_command

from directory import geocoding
from directory.models import Clinic, ClinicMembership, Listing, Location, Practitioner
from tests.credentials.factories import MembershipFactory, UserFactory
from tests.factories import ListingFactory, LocationFactory, PractitionerFactory
from tests.geo import geodesic_km

pytestmark = pytest.mark.django_db

ALL = ("admin", "clinic", "other_clinic", "anonymous")


def expect(*codes):
    """(persona, expected status) pairs, in the order of ALL."""
    return list(zip(ALL, codes))


@pytest.fixture
def location(clinic):
    return LocationFactory(clinic=clinic, name="Capitol Hill", address="1520 Broadway", postal_code="98122")


@pytest.fixture
def other_location(other_clinic):
    return LocationFactory(clinic=other_clinic, address="9 Elm St", postal_code="98101")


@pytest.fixture
def therapist(location):
    return ListingFactory(location=location, practitioner=PractitionerFactory(name="Dana Whitfield")).practitioner


def practitioner_body(location, **extra):
    return {
        "name": "Rosa Delgado",
        "profession": "PT",
        "npi": "1234567893",
        "email": "rosa@harbor.example",
        "years_dry_needling": 6,
        "specialties": ["neck-pain", "low-back-pain"],
        "techniques": ["intramuscular-stimulation"],
        "languages": ["en", "es"],
        "locations": [location.pk],
        **extra,
    }


# --- clinics and members -------------------------------------------------------------


@pytest.mark.parametrize(("persona", "expected"), expect(201, 403, 403, 401))
def test_only_admins_create_clinics(personas, persona, expected):
    response = personas[persona].post("/api/v1/clinics/", {"name": "Summit Sports Rehab", "phone": "206-555-0100"})
    assert response.status_code == expected
    assert Clinic.objects.filter(name="Summit Sports Rehab").count() == (1 if expected == 201 else 0)
    if expected == 201:
        body = response.json()
        assert (body["name"], body["slug"], body["phone"]) == (
            "Summit Sports Rehab",
            "summit-sports-rehab",
            "206-555-0100",
        )


def test_a_clinic_without_a_name_is_a_400_naming_it(personas):
    response = personas["admin"].post("/api/v1/clinics/", {"phone": "1"})
    assert response.status_code == 400 and "name" in response.json()["errors"]


@pytest.mark.parametrize(("persona", "expected"), expect(200, 200, 404, 401))
def test_clinic_staff_edit_their_own_clinic_only(personas, clinic, persona, expected):
    response = personas[persona].patch(f"/api/v1/clinics/{clinic.pk}/", {"website": "https://harbor.example"})
    assert response.status_code == expected
    clinic.refresh_from_db()
    assert clinic.website == ("https://harbor.example" if expected == 200 else "")


def test_the_clinic_profile_stays_public(personas, clinic):
    assert personas["anonymous"].get(f"/api/v1/clinics/{clinic.pk}/").status_code == 200


def test_mass_assignment_on_a_clinic_changes_nothing(personas, clinic):
    before = (clinic.pk, clinic.slug)
    response = personas["clinic"].patch(
        f"/api/v1/clinics/{clinic.pk}/", {"id": 999, "slug": "mine", "name": "Harbor PT"}, format="json"
    )
    assert response.status_code == 200
    clinic.refresh_from_db()
    assert (clinic.pk, clinic.slug, clinic.name) == (*before, "Harbor PT")


def test_an_admin_gives_a_user_ownership_and_the_owner_invites_staff_by_email(personas, clinic, client_for):
    UserFactory(username="owner-olga")
    UserFactory(username="friend")
    response = personas["admin"].post(
        f"/api/v1/clinics/{clinic.pk}/members/", {"username": "owner-olga", "role": "owner"}
    )
    assert response.status_code == 201 and response.json()["role"] == "owner"

    owner = client_for(ClinicMembership.objects.get(user__username="owner-olga").user)
    # Adding by username would tell an owner which accounts exist: owners invite by email.
    refused = owner.post(f"/api/v1/clinics/{clinic.pk}/members/", {"username": "friend", "role": "staff"})
    assert refused.status_code == 403 and "invitations" in refused.json()["detail"]
    assert personas["clinic"].post(f"/api/v1/clinics/{clinic.pk}/members/", {"username": "friend"}).status_code == 403
    members = personas["clinic"].get(f"/api/v1/clinics/{clinic.pk}/members/").json()["results"]
    assert sorted((m["username"], m["role"]) for m in members) == [("harbor-staff", "staff"), ("owner-olga", "owner")]


@pytest.mark.parametrize(("persona", "expected"), [("other_clinic", 404), ("anonymous", 401)])
def test_outsiders_cannot_see_or_add_members(personas, clinic, persona, expected):
    UserFactory(username="intruder")
    client = personas[persona]
    assert client.get(f"/api/v1/clinics/{clinic.pk}/members/").status_code == expected
    assert client.post(f"/api/v1/clinics/{clinic.pk}/members/", {"username": "intruder"}).status_code == expected
    assert not ClinicMembership.objects.filter(user__username="intruder").exists()


def test_adding_an_unknown_user_is_a_400_naming_username(personas, clinic):
    response = personas["admin"].post(f"/api/v1/clinics/{clinic.pk}/members/", {"username": "nobody", "role": "staff"})
    assert response.status_code == 400 and "username" in response.json()["errors"]
    response = personas["admin"].post(
        f"/api/v1/clinics/{clinic.pk}/members/", {"username": "harbor-staff", "role": "boss"}
    )
    assert response.status_code == 400 and "role" in response.json()["errors"]


def test_an_owner_removes_staff_but_the_last_owner_stays(personas, clinic, clinic_user, client_for):
    owner_user = MembershipFactory(clinic=clinic, role="owner", user=UserFactory(username="owner-olga")).user
    owner = client_for(owner_user)
    assert owner.delete(f"/api/v1/clinics/{clinic.pk}/members/{clinic_user.pk}/").status_code == 204
    assert not ClinicMembership.objects.filter(user=clinic_user).exists()
    assert personas["admin"].delete(f"/api/v1/clinics/{clinic.pk}/members/{owner_user.pk}/").status_code == 409
    assert ClinicMembership.objects.filter(user=owner_user, role="owner").exists()


def test_create_clinic_command_makes_the_owner(capsys):
    UserFactory(username="olga")
    call_command("create_clinic", "Summit Sports Rehab", "--owner", "olga")
    clinic = Clinic.objects.get(name="Summit Sports Rehab")
    assert list(clinic.memberships.values_list("user__username", "role")) == [("olga", "owner")]
    assert f"Created clinic {clinic.pk}" in capsys.readouterr().out


def test_create_clinic_command_names_an_unknown_owner_and_creates_nothing():
    with pytest.raises(CommandError, match="--owner: No user is called 'ghost'"):
        call_command("create_clinic", "Ghost Clinic", "--owner", "ghost")
    assert not Clinic.objects.filter(name="Ghost Clinic").exists()


# --- locations -------------------------------------------------------------------------


@pytest.mark.parametrize(("persona", "expected"), expect(201, 201, 404, 401))
def test_adding_a_location_is_for_the_clinics_staff(personas, clinic, persona, expected):
    body = {"address": "500 Pine St", "state": "WA", "postal_code": "98101"}
    response = personas[persona].post(f"/api/v1/clinics/{clinic.pk}/locations/", body)
    assert response.status_code == expected
    assert Location.objects.filter(clinic=clinic, address="500 Pine St").count() == (1 if expected == 201 else 0)


def test_a_location_without_coordinates_is_placed_at_its_zip_centroid(personas, clinic):
    response = personas["clinic"].post(
        f"/api/v1/clinics/{clinic.pk}/locations/", {"address": "500 Pine St", "state": "WA", "postal_code": "98101"}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    lat, lon, city, _ = geocoding.zip_record("98101")
    assert (body["lat"], body["lon"], body["city"]) == (round(lat, 6), round(lon, 6), city)
    assert body["clinic"]["id"] == clinic.pk


def test_given_coordinates_are_kept(personas, clinic):
    body = {
        "address": "1 Main St",
        "state": "WA",
        "postal_code": "98101",
        "city": "Seattle",
        "lat": 47.61,
        "lon": -122.33,
    }
    response = personas["clinic"].post(f"/api/v1/clinics/{clinic.pk}/locations/", body, format="json")
    assert response.status_code == 201
    point = Location.objects.get(pk=response.json()["id"]).point
    assert (point.y, point.x) == (47.61, -122.33)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"address": "1 Main St", "state": "OR", "postal_code": "98101"}, "postal_code"),
        ({"address": "1 Main St", "state": "WA", "postal_code": "9810"}, "postal_code"),
        ({"address": "1 Main St", "state": "WA", "postal_code": "00000"}, "postal_code"),
        ({"address": "1 Main St", "state": "ZZ", "postal_code": "98101"}, "state"),
        ({"state": "WA", "postal_code": "98101"}, "address"),
        ({"address": "1 Main St", "state": "WA", "postal_code": "98101", "lat": 47.6}, "lon"),
        ({"address": "1 Main St", "state": "WA", "postal_code": "98101", "lat": 91, "lon": 0}, "lat"),
    ],
)
def test_a_bad_location_is_a_400_naming_the_field_and_nothing_is_stored(personas, clinic, body, field):
    response = personas["clinic"].post(f"/api/v1/clinics/{clinic.pk}/locations/", body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert not Location.objects.filter(clinic=clinic).exists()


def test_the_zip_state_check_says_which_state_the_zip_is_in(personas, clinic):
    response = personas["clinic"].post(
        f"/api/v1/clinics/{clinic.pk}/locations/", {"address": "1 Main St", "state": "OR", "postal_code": "98101"}
    )
    assert response.json()["errors"]["postal_code"] == ["ZIP code 98101 is in WA, not OR."]


@pytest.mark.parametrize(("persona", "expected"), expect(200, 200, 404, 401))
def test_reading_and_editing_a_location_is_for_its_clinic(personas, location, persona, expected):
    url = f"/api/v1/clinics/{location.clinic_id}/locations/{location.pk}/"
    assert personas[persona].get(url).status_code == expected
    assert personas[persona].patch(url, {"accepting_new_patients": False}).status_code == expected
    location.refresh_from_db()
    assert location.accepting_new_patients is (expected != 200)


def test_another_clinics_location_is_a_404_even_under_your_own_clinic(personas, clinic, other_location):
    url = f"/api/v1/clinics/{clinic.pk}/locations/{other_location.pk}/"
    assert personas["clinic"].get(url).status_code == 404
    assert personas["clinic"].patch(url, {"name": "Mine now"}).status_code == 404
    assert personas["clinic"].delete(url).status_code == 404
    other_location.refresh_from_db()
    assert other_location.name == ""


def test_moving_a_location_to_another_zip_moves_its_listings(personas, therapist, location):
    url = f"/api/v1/clinics/{location.clinic_id}/locations/{location.pk}/"
    response = personas["clinic"].patch(url, {"postal_code": "97204", "state": "OR", "city": "Portland"})
    assert response.status_code == 200, response.content
    lat, lon, _, _ = geocoding.zip_record("97204")
    listing = Listing.objects.get(location=location)
    assert (listing.state, round(listing.point.y, 6), round(listing.point.x, 6)) == ("OR", round(lat, 6), round(lon, 6))
    # Seattle to Portland: about 233 km as the crow flies.
    assert 200 < geodesic_km((47.6, -122.3), (listing.point.y, listing.point.x)) < 260


@pytest.mark.parametrize(("persona", "expected"), expect(204, 204, 404, 401))
def test_deleting_a_location_is_for_its_clinic_and_takes_its_listings(personas, therapist, location, persona, expected):
    response = personas[persona].delete(f"/api/v1/clinics/{location.clinic_id}/locations/{location.pk}/")
    assert response.status_code == expected
    gone = expected == 204
    assert Location.objects.filter(pk=location.pk).exists() is not gone
    assert Listing.objects.filter(practitioner=therapist).exists() is not gone
    assert Practitioner.objects.filter(pk=therapist.pk).exists()


def test_the_location_list_shows_only_the_clinics_own(personas, location, other_location):
    body = personas["clinic"].get(f"/api/v1/clinics/{location.clinic_id}/locations/").json()
    assert [row["id"] for row in body["results"]] == [location.pk]
    assert personas["clinic"].get(f"/api/v1/clinics/{location.clinic_id}/locations/", {"sate": "WA"}).status_code == 400


# --- practitioners --------------------------------------------------------------------


@pytest.mark.parametrize(("persona", "expected"), expect(201, 201, 404, 401))
def test_adding_a_practitioner_is_for_the_clinics_staff(personas, location, persona, expected):
    response = personas[persona].post(
        f"/api/v1/clinics/{location.clinic_id}/practitioners/", practitioner_body(location), format="json"
    )
    assert response.status_code == expected, response.content
    assert Practitioner.objects.filter(name="Rosa Delgado").count() == (1 if expected == 201 else 0)


def test_a_new_practitioner_is_listed_at_the_given_locations_with_their_terms(personas, location):
    response = personas["clinic"].post(
        f"/api/v1/clinics/{location.clinic_id}/practitioners/", practitioner_body(location), format="json"
    )
    body = response.json()
    assert body["locations"] == [location.pk]
    assert body["listings"] == [
        {"location": location.pk, "qualified": False, "qualified_from": None, "qualified_until": None}
    ]
    assert [s["slug"] for s in body["specialties"]] == ["low-back-pain", "neck-pain"]
    assert [lang["code"] for lang in body["languages"]] == ["en", "es"]
    assert (body["email"], body["npi"], body["slug"]) == ("rosa@harbor.example", "1234567893", "rosa-delgado")
    rosa = Practitioner.objects.get(pk=body["id"])
    assert list(rosa.listings.values_list("location_id", flat=True)) == [location.pk]


def test_attaching_a_practitioner_to_another_clinics_location_is_a_404(personas, location, other_location, therapist):
    url = f"/api/v1/clinics/{location.clinic_id}/practitioners/"
    response = personas["clinic"].post(
        url, practitioner_body(location, locations=[location.pk, other_location.pk]), format="json"
    )
    assert response.status_code == 404 and "locations" in response.json()["errors"]
    assert not Practitioner.objects.filter(name="Rosa Delgado").exists()

    response = personas["clinic"].patch(f"{url}{therapist.pk}/", {"locations": [other_location.pk]}, format="json")
    assert response.status_code == 404
    assert list(therapist.listings.values_list("location_id", flat=True)) == [location.pk]


@pytest.mark.parametrize(("persona", "expected"), expect(200, 200, 404, 401))
def test_reading_and_editing_a_practitioner_is_for_their_clinic(personas, therapist, location, persona, expected):
    url = f"/api/v1/clinics/{location.clinic_id}/practitioners/{therapist.pk}/"
    assert personas[persona].get(url).status_code == expected
    assert personas[persona].patch(url, {"bio": "Sports injuries."}, format="json").status_code == expected
    therapist.refresh_from_db()
    assert therapist.bio == ("Sports injuries." if expected == 200 else "")


def test_another_clinics_practitioner_is_a_404_under_your_own_clinic(personas, clinic, other_location):
    stranger = ListingFactory(location=other_location).practitioner
    url = f"/api/v1/clinics/{clinic.pk}/practitioners/{stranger.pk}/"
    assert personas["clinic"].get(url).status_code == 404
    assert personas["clinic"].patch(url, {"name": "Renamed"}, format="json").status_code == 404
    assert personas["clinic"].delete(url).status_code == 404
    stranger.refresh_from_db()
    assert stranger.name != "Renamed" and stranger.listings.exists()


def test_mass_assignment_on_a_practitioner_changes_nothing(personas, therapist, location):
    url = f"/api/v1/clinics/{location.clinic_id}/practitioners/{therapist.pk}/"
    before = (therapist.pk, therapist.slug, therapist.verified_training_hours)
    response = personas["clinic"].patch(
        url,
        {
            "id": 4242,
            "slug": "famous",
            "verified_training_hours": 500,
            "qualified": True,
            "status": "verified",
            "verified_by": 1,
            "verified_at": "2026-01-01T00:00:00Z",
            "clinic": 999,
            "name": "Dana Whitfield-Ng",
        },
        format="json",
    )
    assert response.status_code == 200
    therapist.refresh_from_db()
    assert (therapist.pk, therapist.slug, therapist.verified_training_hours) == before
    assert therapist.name == "Dana Whitfield-Ng"
    assert list(Listing.objects.filter(practitioner=therapist).values_list("location_id", flat=True)) == [location.pk]


def test_a_practitioner_at_two_clinics_keeps_the_other_clinics_listing(personas, therapist, location, other_location):
    ListingFactory(practitioner=therapist, location=other_location)
    second = LocationFactory(clinic=location.clinic, postal_code="98104")
    url = f"/api/v1/clinics/{location.clinic_id}/practitioners/{therapist.pk}/"
    response = personas["clinic"].patch(url, {"locations": [second.pk]}, format="json")
    assert response.status_code == 200 and response.json()["locations"] == [second.pk]
    assert sorted(therapist.listings.values_list("location_id", flat=True)) == sorted([second.pk, other_location.pk])

    assert personas["clinic"].delete(url).status_code == 204
    assert list(therapist.listings.values_list("location_id", flat=True)) == [other_location.pk]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"profession": "XX"}, "profession"),
        ({"npi": "1234567890"}, "npi"),
        ({"specialties": ["not-a-condition"]}, "specialties"),
        ({"languages": ["xx"]}, "languages"),
        ({"locations": []}, "locations"),
        ({"email": "not-an-email"}, "email"),
        ({"years_dry_needling": -1}, "years_dry_needling"),
    ],
)
def test_a_bad_practitioner_is_a_400_naming_the_field(personas, location, change, field):
    response = personas["clinic"].post(
        f"/api/v1/clinics/{location.clinic_id}/practitioners/", practitioner_body(location, **change), format="json"
    )
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert not Practitioner.objects.filter(name="Rosa Delgado").exists()


def test_an_npi_already_in_the_directory_is_a_409(personas, location, other_location):
    ListingFactory(location=other_location, practitioner=PractitionerFactory(npi="1234567893"))
    response = personas["clinic"].post(
        f"/api/v1/clinics/{location.clinic_id}/practitioners/", practitioner_body(location), format="json"
    )
    assert response.status_code == 409 and "npi" in response.json()["errors"]
    assert not Practitioner.objects.filter(name="Rosa Delgado").exists()


def test_the_practitioner_list_shows_only_the_clinics_own(personas, therapist, location, other_location):
    ListingFactory(location=other_location)
    body = personas["clinic"].get(f"/api/v1/clinics/{location.clinic_id}/practitioners/").json()
    assert [row["id"] for row in body["results"]] == [therapist.pk]
    assert (
        personas["admin"].get(f"/api/v1/clinics/{location.clinic_id}/practitioners/").json()["results"][0]["id"]
        == therapist.pk
    )


@pytest.mark.parametrize("resource", ["members", "locations", "practitioners"])
@pytest.mark.parametrize(("persona", "expected"), expect(200, 200, 404, 401))
def test_the_clinics_lists_are_for_its_staff(personas, clinic, therapist, resource, persona, expected):
    response = personas[persona].get(f"/api/v1/clinics/{clinic.pk}/{resource}/")
    assert response.status_code == expected
    if expected == 200:
        assert len(response.json()["results"]) == 1


@pytest.mark.parametrize(("persona", "expected"), expect(204, 403, 404, 401))
def test_removing_a_member_is_for_owners_and_admins(personas, clinic, persona, expected):
    leaving = MembershipFactory(clinic=clinic, user=UserFactory(username="leaving")).user
    response = personas[persona].delete(f"/api/v1/clinics/{clinic.pk}/members/{leaving.pk}/")
    assert response.status_code == expected
    assert ClinicMembership.objects.filter(user=leaving).exists() is (expected != 204)
