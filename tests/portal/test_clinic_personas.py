"""Every page of the clinic workspace for its four personas: the clinic's owner and staff,
a member of another clinic, and anonymous. Another clinic's pages and objects are a 404
(as ones that do not exist), owners' pages a 403 to staff, and anonymous visitors are
sent to sign in."""

from html.parser import HTMLParser

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def pages(clinic, therapist, license_, location, consultation, roster_job):
    c = clinic.pk
    return {
        "dashboard": reverse("clinic:dashboard", args=[c]),
        "therapists": reverse("clinic:therapists", args=[c]),
        "therapist": reverse("clinic:therapist", args=[c, therapist.pk]),
        "therapist-add": reverse("clinic:therapist-add", args=[c]),
        "therapist-edit": reverse("clinic:therapist-edit", args=[c, therapist.pk]),
        "therapist-remove": reverse("clinic:therapist-remove", args=[c, therapist.pk]),
        "credential-add": reverse("clinic:credential-add", args=[c, therapist.pk]) + "?kind=training",
        "locations": reverse("clinic:locations", args=[c]),
        "location-add": reverse("clinic:location-add", args=[c]),
        "location-edit": reverse("clinic:location-edit", args=[c, location.pk]),
        "credentials": reverse("clinic:credentials", args=[c]),
        "credential": reverse("clinic:credential", args=[c, license_.pk]),
        "expiring": reverse("clinic:expiring", args=[c]),
        "roster": reverse("clinic:roster", args=[c]),
        "roster-template": reverse("clinic:roster-template", args=[c]),
        "roster-job": reverse("clinic:roster-job", args=[c, roster_job.pk]),
        "roster-job-status": reverse("clinic:roster-job-status", args=[c, roster_job.pk]),
        "requests": reverse("clinic:requests", args=[c]),
        "members": reverse("clinic:members", args=[c]),
    }


OWNERS_ONLY = {"members"}


@pytest.fixture
def all_pages(clinic, therapist, license_, location, consultation, roster_job, today):
    return pages(clinic, therapist, license_, location, consultation, roster_job)


@pytest.mark.parametrize("persona", ["owner", "staff", "other_clinic", "anonymous"])
def test_every_page_answers_each_persona_as_the_api_would(persona, people, all_pages):
    client = people[persona]
    for name, url in all_pages.items():
        response = client.get(url)
        if persona == "anonymous":
            assert response.status_code == 302, name
            assert response["Location"].startswith(reverse("clinic:sign-in") + "?next="), name
        elif persona == "other_clinic":
            assert response.status_code == 404, name
        elif persona == "staff" and name in OWNERS_ONLY:
            assert response.status_code == 403, name
        else:
            assert response.status_code == 200, name


def test_another_clinics_object_under_ones_own_clinic_is_a_404(people, clinic, other_clinic, today):
    from tests.credentials.factories import CredentialFactory, listing_in
    from tests.factories import PractitionerFactory

    theirs = PractitionerFactory(name="Not Ours")
    listing_in("WA", practitioner=theirs, location_kwargs={"clinic": other_clinic})
    credential = CredentialFactory(practitioner=theirs)
    location = other_clinic.locations.get()
    owner = people["owner"]
    for url in (
        reverse("clinic:therapist", args=[clinic.pk, theirs.pk]),
        reverse("clinic:therapist-edit", args=[clinic.pk, theirs.pk]),
        reverse("clinic:credential-add", args=[clinic.pk, theirs.pk]),
        reverse("clinic:credential", args=[clinic.pk, credential.pk]),
        reverse("clinic:credential-document", args=[clinic.pk, credential.pk]),
        reverse("clinic:location-edit", args=[clinic.pk, location.pk]),
    ):
        assert owner.get(url).status_code == 404, url
    response = owner.post(reverse("clinic:therapist-remove", args=[clinic.pk, theirs.pk]))
    assert response.status_code == 404
    assert theirs.listings.count() == 1


def test_writes_of_another_clinic_change_nothing(people, clinic, therapist, consultation, staff, today):
    other = people["other_clinic"]
    assert other.post(reverse("clinic:therapist-remove", args=[clinic.pk, therapist.pk])).status_code == 404
    assert therapist.listings.count() == 1
    url = reverse("clinic:request-contacted", args=[clinic.pk, consultation.pk])
    assert other.post(url).status_code == 404
    consultation.refresh_from_db()
    assert consultation.contacted_at is None
    assert other.post(reverse("clinic:member-remove", args=[clinic.pk, staff.pk])).status_code == 404
    assert clinic.memberships.filter(user=staff).exists()


def test_staff_cannot_do_an_owners_job(people, clinic, owner, staff, today):
    client = people["staff"]
    assert (
        client.post(
            reverse("clinic:members", args=[clinic.pk]), {"email": "x@example.com", "role": "staff"}
        ).status_code
        == 403
    )
    assert client.post(reverse("clinic:member-remove", args=[clinic.pk, owner.pk])).status_code == 403
    assert client.post(reverse("clinic:member-role", args=[clinic.pk, staff.pk]), {"role": "owner"}).status_code == 403
    assert clinic.memberships.get(user=staff).role == "staff"
    assert clinic.invitations.count() == 0


def test_staff_see_no_members_link_and_owners_do(people, clinic, today):
    members = reverse("clinic:members", args=[clinic.pk])
    assert members not in people["staff"].get(reverse("clinic:dashboard", args=[clinic.pk])).content.decode()
    assert members in people["owner"].get(reverse("clinic:dashboard", args=[clinic.pk])).content.decode()


def test_the_owners_page_tells_staff_why_they_cannot_open_it(people, clinic, today):
    response = people["staff"].get(reverse("clinic:members", args=[clinic.pk]))
    assert response.status_code == 403
    assert "Only the clinic&#x27;s owners may manage its members." in response.content.decode()


class Inputs(HTMLParser):
    """Every form control of a page, and the ids that a <label for> names or a <label> wraps."""

    def __init__(self):
        super().__init__()
        self.controls, self.labelled, self.forms, self.tokens = [], set(), [], 0
        self.in_label = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "label":
            self.in_label += 1
            if attrs.get("for"):
                self.labelled.add(attrs["for"])
        elif tag in ("input", "select", "textarea") and attrs.get("type") not in ("hidden", "submit"):
            self.controls.append((attrs.get("id"), bool(self.in_label), attrs.get("aria-label")))
        elif tag == "form" and (attrs.get("method") or "get").lower() == "post":
            self.forms.append(attrs)
        elif tag == "input" and attrs.get("name") == "csrfmiddlewaretoken":
            self.tokens += 1

    def handle_endtag(self, tag):
        if tag == "label":
            self.in_label -= 1


def test_every_input_has_a_label_and_every_form_a_csrf_token(people, all_pages, consultation, staff):
    seen = 0
    for name, url in all_pages.items():
        response = people["owner"].get(url)
        if not response["Content-Type"].startswith("text/html"):
            continue
        parser = Inputs()
        parser.feed(response.content.decode())
        for control_id, wrapped, aria_label in parser.controls:
            assert wrapped or aria_label or control_id in parser.labelled, (name, control_id)
        assert parser.tokens >= len(parser.forms), name
        seen += len(parser.controls)
    assert seen > 50  # the forms' inputs, the members' role choices, the filters
