"""The patient search: distances, ordering, radius, one row per practitioner, filters, formats, paging."""

import datetime

import pytest

from tests.factories import ListingFactory, LocationFactory, PractitionerFactory, point_at
from tests.geo import SEATTLE, geodesic_km, offset

pytestmark = pytest.mark.django_db

URL = "/api/v1/practitioners/"
NEAR = f"{SEATTLE[0]},{SEATTLE[1]}"


def slugs(response):
    assert response.status_code == 200, response.content
    return [row["slug"] for row in response.json()["results"]]


def test_results_are_nearest_first_with_geodesic_distances(api, listed):
    spots = [(3_000, 10), (700, 200), (15_000, 300), (8_200, 45), (22_000, 170), (11_500, 260)]
    for metres, bearing in spots:
        listed(*offset(SEATTLE, metres, bearing))

    response = api.get(URL, {"near": NEAR, "limit": 20})

    rows = response.json()["results"]
    assert len(rows) == len(spots)
    expected = [geodesic_km(SEATTLE, (row["location"]["lat"], row["location"]["lon"])) for row in rows]
    assert expected == sorted(expected)
    for row, km in zip(rows, expected):
        assert row["distance_km"] == pytest.approx(km, rel=0.005)
        assert row["distance_mi"] == pytest.approx(km / 1.609344, rel=0.005)


def test_distances_hold_over_long_range_and_across_latitudes(api, listed):
    # Chicago and Miami from Seattle with a 500 km cap do not qualify; from
    # Chicago, a practitioner near Milwaukee (about 130 km) must be right.
    chicago = (41.8864, -87.6186)
    milwaukee = (43.0389, -87.9065)
    listed(*milwaukee)
    response = api.get(URL, {"near": f"{chicago[0]},{chicago[1]}", "radius_km": 500})
    [row] = response.json()["results"]
    assert row["distance_km"] == pytest.approx(geodesic_km(chicago, milwaukee), rel=0.005)


def test_radius_includes_900_m_and_excludes_1200_m(api, listed):
    inside = listed(*offset(SEATTLE, 900, 30))
    listed(*offset(SEATTLE, 1_200, 210))
    assert slugs(api.get(URL, {"near": NEAR, "radius_km": 1})) == [inside.practitioner.slug]


def test_radius_in_miles(api, listed):
    inside = listed(*offset(SEATTLE, 1_500))  # 0.93 mi
    listed(*offset(SEATTLE, 1_700))  # 1.06 mi
    assert slugs(api.get(URL, {"near": NEAR, "radius_mi": 1})) == [inside.practitioner.slug]


def test_default_radius_is_40_km(api, listed):
    inside = listed(*offset(SEATTLE, 39_000))
    listed(*offset(SEATTLE, 41_000))
    assert slugs(api.get(URL, {"near": NEAR})) == [inside.practitioner.slug]


def test_one_row_per_practitioner_at_the_nearest_location(api, listed):
    practitioner = PractitionerFactory()
    listed(*offset(SEATTLE, 9_000), practitioner=practitioner)
    nearest = listed(*offset(SEATTLE, 2_000, 180), practitioner=practitioner)
    listed(*offset(SEATTLE, 5_000, 270), practitioner=practitioner)
    other = listed(*offset(SEATTLE, 3_000))

    rows = api.get(URL, {"near": NEAR}).json()["results"]

    assert [row["slug"] for row in rows] == [practitioner.slug, other.practitioner.slug]
    assert rows[0]["location"]["id"] == nearest.location_id
    assert rows[0]["distance_km"] == pytest.approx(2.0, rel=0.005)


def test_nearest_location_is_the_nearest_that_matches_the_filters(api, listed):
    practitioner = PractitionerFactory()
    listed(*offset(SEATTLE, 1_000), practitioner=practitioner, location_kwargs={"accepting_new_patients": False})
    open_location = listed(*offset(SEATTLE, 6_000), practitioner=practitioner)

    rows = api.get(URL, {"near": NEAR, "accepting_new_patients": "true"}).json()["results"]

    assert [(row["slug"], row["location"]["id"]) for row in rows] == [(practitioner.slug, open_location.location_id)]
    assert rows[0]["location"]["accepting_new_patients"] is True


def test_zip_city_and_near_search_from_the_same_place(api, listed):
    # 98101's centroid is within a couple of km of the mean of Seattle's ZIPs.
    close = listed(*offset(SEATTLE, 500))
    far = listed(*offset(SEATTLE, 25_000, 0))
    expected = [close.practitioner.slug, far.practitioner.slug]
    assert slugs(api.get(URL, {"zip": "98101"})) == expected
    assert slugs(api.get(URL, {"near": NEAR})) == expected
    assert slugs(api.get(URL, {"city": "Seattle,WA"})) == expected
    assert slugs(api.get(URL, {"city": "seattle, wa"})) == expected


def test_the_issue_example_query(api, listed, specialty, technique):
    wanted = listed(
        *offset(SEATTLE, 4_000),
        practitioner=PractitionerFactory(
            specialties=[specialty("low-back-pain")], techniques=[technique("deep-dry-needling")]
        ),
    )
    listed(
        *offset(SEATTLE, 1_000),
        practitioner=PractitionerFactory(
            specialties=[specialty("neck-pain")], techniques=[technique("deep-dry-needling")]
        ),
    )
    response = api.get(
        URL,
        {
            "zip": "98101",
            "radius_mi": 25,
            "specialty": "low-back-pain",
            "technique": "deep-dry-needling",
            "limit": 20,
        },
    )
    assert slugs(response) == [wanted.practitioner.slug]
    row = response.json()["results"][0]
    for field in (
        "id",
        "slug",
        "name",
        "profession",
        "qualified",
        "verified_training_hours",
        "specialties",
        "techniques",
        "languages",
        "distance_km",
        "distance_mi",
        "location",
    ):
        assert field in row
    assert set(row["location"]) >= {
        "id",
        "clinic",
        "address",
        "city",
        "state",
        "postal_code",
        "lat",
        "lon",
        "accepting_new_patients",
    }
    assert set(row["location"]["clinic"]) >= {"id", "name"}


class TestFilters:
    @pytest.fixture
    def cast(self, listed, specialty, technique, language):
        """Four practitioners near Seattle, each different in every filterable way."""
        return {
            "ana": listed(
                *offset(SEATTLE, 1_000),
                practitioner=PractitionerFactory(
                    name="Ana Lopez",
                    profession="PT",
                    specialties=[specialty("low-back-pain"), specialty("sciatica")],
                    techniques=[technique("deep-dry-needling")],
                    languages=[language("en"), language("es")],
                    verified_training_hours=80,
                ),
            ),
            "ben": listed(
                *offset(SEATTLE, 2_000),
                practitioner=PractitionerFactory(
                    name="Ben Okafor",
                    profession="DC",
                    specialties=[specialty("neck-pain")],
                    techniques=[technique("electrical-dry-needling")],
                    languages=[language("en")],
                    verified_training_hours=30,
                ),
                location_kwargs={"accepting_new_patients": False},
            ),
            "chen": listed(
                *offset(SEATTLE, 3_000),
                practitioner=PractitionerFactory(
                    name="Mei Chen",
                    profession="LAc",
                    specialties=[specialty("headaches"), specialty("neck-pain")],
                    techniques=[technique("superficial-dry-needling"), technique("deep-dry-needling")],
                    languages=[language("zh"), language("en")],
                    verified_training_hours=120,
                ),
            ),
            "dana": listed(
                *offset(SEATTLE, 4_000),
                practitioner=PractitionerFactory(
                    name="Dana Whitfield",
                    profession="PT",
                    specialties=[specialty("knee-pain")],
                    techniques=[technique("intramuscular-stimulation")],
                    languages=[language("en")],
                    verified_training_hours=54,
                ),
                qualified_until=None,
            ),
        }

    def names(self, api, **params):
        return [
            name.split()[0].lower()
            for name in (row["name"] for row in api.get(URL, {"near": NEAR, **params}).json()["results"])
        ]

    @pytest.mark.parametrize(
        "params, expected",
        [
            ({}, ["ana", "ben", "mei"]),
            ({"specialty": "neck-pain"}, ["ben", "mei"]),
            ({"specialty": "sciatica,headaches"}, ["ana", "mei"]),
            ({"technique": "deep-dry-needling"}, ["ana", "mei"]),
            ({"technique": "electrical-dry-needling,superficial-dry-needling"}, ["ben", "mei"]),
            ({"profession": "PT"}, ["ana"]),
            ({"profession": "dc,LAc"}, ["ben", "mei"]),
            ({"language": "es"}, ["ana"]),
            ({"language": "zh,es"}, ["ana", "mei"]),
            ({"accepting_new_patients": "true"}, ["ana", "mei"]),
            ({"accepting_new_patients": "false"}, ["ben"]),
            ({"min_training_hours": 54}, ["ana", "mei"]),
            ({"q": "Okafor"}, ["ben"]),
            ({"q": "okafr"}, ["ben"]),
            # A part of a name, in any case; regular-expression characters are only characters.
            ({"q": "KAF"}, ["ben"]),
            ({"q": "o.afor"}, []),
            ({"q": "(+*["}, []),
            ({"q": "Harbor Physical"}, ["ana", "ben", "mei"]),
            ({"include_unqualified": "true"}, ["ana", "ben", "mei", "dana"]),
            ({"include_unqualified": "true", "profession": "PT"}, ["ana", "dana"]),
            ({"specialty": "neck-pain", "technique": "deep-dry-needling", "language": "zh"}, ["mei"]),
            ({"specialty": "low-back-pain", "profession": "DC"}, []),
            (
                {"include_unqualified": "true", "accepting_new_patients": "true", "min_training_hours": 50},
                ["ana", "mei", "dana"],
            ),
        ],
    )
    def test_filter(self, api, cast, params, expected):
        assert self.names(api, **params) == expected

    def test_each_result_says_whether_it_is_qualified(self, api, cast):
        rows = api.get(URL, {"near": NEAR, "include_unqualified": "true"}).json()["results"]
        assert {row["name"]: row["qualified"] for row in rows} == {
            "Ana Lopez": True,
            "Ben Okafor": True,
            "Mei Chen": True,
            "Dana Whitfield": False,
        }

    def test_filters_work_without_a_place(self, api, cast):
        rows = api.get(URL, {"specialty": "neck-pain"}).json()["results"]
        assert [row["name"] for row in rows] == ["Ben Okafor", "Mei Chen"]
        assert all(row["distance_km"] is None for row in rows)


def test_qualification_that_ended_yesterday_is_not_listed(api, listed, today):
    listed(*offset(SEATTLE, 1_000), qualified_until=today - datetime.timedelta(days=1))
    last_day = listed(*offset(SEATTLE, 2_000), qualified_until=today)
    assert slugs(api.get(URL, {"near": NEAR})) == [last_day.practitioner.slug]


def test_paging_with_limit_and_offset(api, listed):
    for n in range(5):
        listed(*offset(SEATTLE, 1_000 * (n + 1)))
    everything = slugs(api.get(URL, {"near": NEAR}))

    first = api.get(URL, {"near": NEAR, "limit": 2}).json()
    second = api.get(first["next"]).json()
    last = api.get(URL, {"near": NEAR, "limit": 2, "offset": 4}).json()

    assert [row["slug"] for row in first["results"]] == everything[:2]
    assert first["previous"] is None
    assert [row["slug"] for row in second["results"]] == everything[2:4]
    assert second["previous"] is not None
    assert [row["slug"] for row in last["results"]] == everything[4:]
    assert last["next"] is None


def test_geojson_feature_collection(api, listed):
    listing = listed(*offset(SEATTLE, 1_200))
    for response in (
        api.get(URL, {"near": NEAR, "format": "geojson"}),
        api.get(URL, {"near": NEAR}, HTTP_ACCEPT="application/geo+json"),
    ):
        assert response.status_code == 200
        assert response["Content-Type"].startswith("application/geo+json")
        body = response.json()
        assert body["type"] == "FeatureCollection"
        [feature] = body["features"]
        assert feature["type"] == "Feature"
        assert feature["geometry"]["type"] == "Point"
        lon, lat = feature["geometry"]["coordinates"]
        assert (lat, lon) == pytest.approx((listing.location.point.y, listing.location.point.x))
        assert feature["properties"]["slug"] == listing.practitioner.slug
        assert feature["properties"]["distance_km"] == pytest.approx(1.2, rel=0.005)


def test_practitioner_profile_lists_every_location(api, listed):
    practitioner = PractitionerFactory(name="Rosa Diaz", bio="Sports injuries and running.")
    listed(*offset(SEATTLE, 1_000), practitioner=practitioner)
    listed(*offset(SEATTLE, 9_000), practitioner=practitioner, qualified_until=None)

    response = api.get(f"{URL}{practitioner.slug}/")

    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Rosa Diaz"
    assert body["bio"] == "Sports injuries and running."
    assert body["qualified"] is True
    assert sorted(location["qualified"] for location in body["locations"]) == [False, True]


def test_unknown_practitioner_is_404(api):
    assert api.get(f"{URL}nobody-here/").status_code == 404


def test_clinics_nearest_first_one_row_per_clinic(api):
    near_clinic = LocationFactory(point=point_at(*offset(SEATTLE, 1_000))).clinic
    LocationFactory(clinic=near_clinic, point=point_at(*offset(SEATTLE, 7_000)))
    far_clinic = LocationFactory(point=point_at(*offset(SEATTLE, 3_000))).clinic

    rows = api.get("/api/v1/clinics/", {"near": NEAR}).json()["results"]

    assert [row["id"] for row in rows] == [near_clinic.id, far_clinic.id]
    assert rows[0]["distance_km"] == pytest.approx(1.0, rel=0.005)


def test_clinic_detail_lists_locations_and_practitioners(api):
    listing = ListingFactory()
    response = api.get(f"/api/v1/clinics/{listing.location.clinic_id}/")
    assert response.status_code == 200
    [location] = response.json()["locations"]
    assert location["id"] == listing.location_id
    assert [p["slug"] for p in location["practitioners"]] == [listing.practitioner.slug]
    assert api.get("/api/v1/clinics/999999/").status_code == 404


def test_result_fields_match_their_declared_schema(api, listed, specialty, language):
    from directory.results import PractitionerResultSerializer
    from directory.serializers import LocationSerializer

    listing = listed(
        *offset(SEATTLE, 800),
        practitioner=PractitionerFactory(specialties=[specialty("tmj")], languages=[language("es")]),
    )
    [row] = api.get(URL, {"near": NEAR}).json()["results"]

    assert set(row) == set(PractitionerResultSerializer().fields)
    assert row["location"] == LocationSerializer(listing.location).data
    assert row["specialties"] == [{"slug": "tmj", "name": "TMJ (jaw) disorders"}]
    assert row["languages"] == [{"code": "es", "name": "Spanish"}]

    [feature] = api.get(URL, {"near": NEAR, "format": "geojson"}).json()["features"]
    assert feature["properties"] == row


def test_a_result_names_every_term_held_in_name_order_and_follows_a_change(api, listed, specialty, technique):
    """The results name a practitioner's terms from their listing's copies of the term ids;
    a change made through the services shows in the next search."""
    from directory import services
    from directory.models import Specialty

    slugs = ["tmj", "tendinopathy", "arthritis", "neck-pain"]
    practitioner = PractitionerFactory(specialties=[specialty(slug) for slug in slugs])
    listed(*offset(SEATTLE, 800), practitioner=practitioner)
    listed(*offset(SEATTLE, 3000), practitioner=practitioner)
    by_name = list(Specialty.objects.filter(slug__in=slugs).order_by("name").values_list("slug", "name"))

    [row] = api.get(URL, {"near": NEAR}).json()["results"]
    assert row["specialties"] == [{"slug": slug, "name": name} for slug, name in by_name]
    assert row["techniques"] == row["languages"] == []

    services.practitioner_update(
        practitioner=practitioner, specialties=[specialty("neck-pain")], techniques=[technique("deep-dry-needling")]
    )
    [row] = api.get(URL, {"near": NEAR}).json()["results"]
    assert row["specialties"] == [{"slug": "neck-pain", "name": "Neck pain"}]
    assert row["techniques"] == [{"slug": "deep-dry-needling", "name": "Deep dry needling"}]


def test_a_renamed_term_shows_at_once(api, listed, specialty):
    listed(*offset(SEATTLE, 800), practitioner=PractitionerFactory(specialties=[specialty("tmj")]))
    api.get(URL, {"near": NEAR})  # fills the vocabulary cache
    term = specialty("tmj")
    term.name = "Jaw (TMJ) pain"
    term.save()
    [row] = api.get(URL, {"near": NEAR, "specialty": "tmj"}).json()["results"]
    assert row["specialties"] == [{"slug": "tmj", "name": "Jaw (TMJ) pain"}]
