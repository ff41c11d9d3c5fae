"""Query parameters of the patient search, as FilterSets.

Every parameter is validated by a form field, so a malformed value is a 400
naming the parameter (never a 500), and every one shows up in the OpenAPI
schema with its help text. Unknown parameters are rejected the same way, so
a misspelt filter (`speciality=`) is not silently ignored.
"""

from __future__ import annotations

import copy
import math

import django_filters as filters
from django import forms
from django.conf import settings
from django.db.models import F

from core.filters import StrictFilterSet, StrictForm, literal_error

from . import geocoding, selectors, vocabulary
from .models import ClinicMembership, Language, Listing, Location, Practitioner, Profession, Specialty, Technique
from .states import USState


class StrictBooleanField(forms.Field):
    """true/false (also 1/0, yes/no); anything else is an error, not "no filter"."""

    TRUE, FALSE = {"true", "1", "yes"}, {"false", "0", "no"}

    def to_python(self, value):
        if value in (None, ""):
            return None
        text = str(value).strip().lower()
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise forms.ValidationError("Expected true or false.", code="invalid")


class StrictBooleanFilter(filters.BooleanFilter):
    field_class = StrictBooleanField


class WholeNumberFilter(filters.NumberFilter):
    """A whole number: hours are counted whole, and "at least 5.5" read as a decimal was
    truncated to "at least 5" by the integer column's lookup; 5.5 is now a 400."""

    field_class = forms.IntegerField


class CommaSeparatedChoiceField(forms.Field):
    """A comma-separated list where every item must be a known value.

    `known` maps the lower-cased form a client may type to a pair
    (canonical name, value to filter on), or is a callable returning that
    map; `noun` names the vocabulary in error messages.
    """

    def __init__(self, *, known, noun, **kwargs):
        self.known = known
        self.noun = noun
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in (None, ""):
            return []
        items = [item.strip() for item in str(value).split(",") if item.strip()]
        if not items:
            raise forms.ValidationError(f"Give at least one {self.noun}.", code="empty")
        choices = self.known() if callable(self.known) else self.known
        unknown = [item for item in items if item.lower() not in choices]
        if unknown:
            raise forms.ValidationError(
                "Unknown %(noun)s: %(unknown)s. Known values: %(known)s.",
                code="invalid_choice",
                params={
                    "noun": self.noun,
                    "unknown": ", ".join(unknown),
                    "known": ", ".join(sorted(name for name, _ in choices.values())),
                },
            )
        return sorted({choices[item.lower()][1] for item in items})


class CommaSeparatedFilter(filters.CharFilter):
    field_class = CommaSeparatedChoiceField

    def __init__(self, *args, known, noun, **kwargs):
        super().__init__(*args, known=known, noun=noun, **kwargs)

    def filter(self, qs, value):
        # Only reached without `method=` (django-filter swaps in the method otherwise).
        return qs.filter(**{f"{self.field_name}__in": value}) if value else qs


class LatLonField(forms.CharField):
    """`<lat>,<lon>` in decimal degrees."""

    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return None
        parts = value.split(",")
        try:
            if len(parts) != 2:
                raise ValueError
            lat, lon = (float(part) for part in parts)
        except ValueError:
            raise forms.ValidationError(
                "Expected '<lat>,<lon>' in decimal degrees, e.g. 47.61,-122.33.", code="invalid"
            ) from None
        if not (math.isfinite(lat) and math.isfinite(lon)):
            raise forms.ValidationError("Latitude and longitude must be finite numbers.", code="invalid")
        if not -90 <= lat <= 90:
            raise forms.ValidationError("Latitude must be between -90 and 90.", code="out_of_range")
        if not -180 <= lon <= 180:
            raise forms.ValidationError("Longitude must be between -180 and 180.", code="out_of_range")
        return geocoding.Point(lon, lat, srid=4326)


# The place filters are validated by the form and used by the FilterSet as a
# whole; their base classes only tell the OpenAPI schema their types.


class LatLonFilter(filters.CharFilter):
    field_class = LatLonField

    def filter(self, qs, value):
        return qs


class RadiusFilter(filters.NumberFilter):
    field_class = forms.FloatField  # rejects nan and inf as "Enter a number."

    def filter(self, qs, value):
        return qs


class SharedFields(dict):
    """A search form's fields, shared by every request's form rather than deep-copied for each.

    Django deep-copies a form's fields (their widgets, error messages and validators) for
    every instance, so that one instance may change its own; a search form never changes
    them. The copies were 0.45 of the 7.4 ms a ZIP code search took under cProfile at 1M
    practitioners (forms.BaseForm.__init__, 200 searches); without the profiler, shared
    fields took the CPU of a search from 4.62 to 4.29 ms (six alternating blocks of 200
    searches in one process).
    """

    def __deepcopy__(self, memo):
        return dict(self)


class SearchForm(StrictForm):
    """Cross-parameter rules: one place at most, one radius at most (and, from StrictForm, no unknown parameters)."""

    PLACES = ("near", "zip", "city")
    origin_point = None
    radius_m = None

    def __init__(self, *args, **kwargs):
        cls = type(self)
        if not isinstance(cls.__dict__.get("base_fields"), SharedFields):
            cls.base_fields = SharedFields(cls.base_fields)
        super().__init__(*args, **kwargs)

    def clean(self):
        data = super().clean()
        given = [name for name in self.PLACES if self.data.get(name)]
        if len(given) > 1:
            for name in given:
                self.add_error(name, f"Give only one place to search from; got {', '.join(given)}.")
            return data
        if "zip" in given and "zip" in data:
            try:
                self.origin_point = geocoding.zip_to_point(data["zip"])
            except geocoding.UnknownPlace as exc:
                self.add_error("zip", literal_error(str(exc)))
        elif "city" in given and "city" in data:
            try:
                self.origin_point = geocoding.city_to_point(data["city"])
            except geocoding.UnknownPlace as exc:
                self.add_error("city", literal_error(str(exc)))
        elif data.get("near"):
            self.origin_point = data["near"]

        radii = [name for name in ("radius_km", "radius_mi") if self.data.get(name)]
        if len(radii) > 1:
            for name in radii:
                self.add_error(name, "Give radius_km or radius_mi, not both.")
            return data
        radius_km = data.get("radius_km")
        if data.get("radius_mi") is not None:
            radius_km = data["radius_mi"] * selectors.KM_PER_MILE
        if radius_km is not None:
            limit = settings.SEARCH_MAX_RADIUS_KM
            if not 0 < radius_km <= limit:
                self.add_error(
                    radii[0],
                    f"The radius must be greater than 0 and at most {limit:g} km ({limit / selectors.KM_PER_MILE:.0f} mi).",
                )
                return data
        self.radius_m = (radius_km * 1000) if radius_km is not None else selectors.default_radius_m()
        return data


PLACE_HELP = {
    "near": "Search from this point: '<lat>,<lon>' in decimal degrees (WGS84). At most one of near, zip, city.",
    "zip": "Search from the centroid of this 5-digit US ZIP code.",
    "city": "Search from this US city, as 'City,ST' (e.g. 'Seattle,WA').",
    "radius_km": "Only within this many kilometres of the place (default 40, at most 500).",
    "radius_mi": "Only within this many miles of the place (default about 25, at most about 310).",
}


class FilterCopies(dict):
    """A FilterSet's declared filters, copied for each request one by one, not deeply.

    django-filter deep-copies every filter (and the choices and help texts
    they hold) for each request: 0.31 of the 0.48 ms it took to make the
    search's FilterSet at 1M practitioners. A request only sets a filter's
    parent and model, so a shallow copy, with its method bound to the copy,
    is all it needs.
    """

    def __deepcopy__(self, memo):
        filters = {}
        for name, declared in self.items():
            filter_ = copy.copy(declared)
            if filter_.method is not None:
                filter_.method = filter_.method  # a FilterMethod that finds the new parent
            filters[name] = filter_
        return filters


class PlaceFilterSet(StrictFilterSet):
    """The place parameters shared by every directory search, and the nearest-first grouping."""

    near = LatLonFilter(help_text=PLACE_HELP["near"])
    zip = filters.CharFilter(method="keep", help_text=PLACE_HELP["zip"], max_length=10)
    city = filters.CharFilter(method="keep", help_text=PLACE_HELP["city"], max_length=120)
    radius_km = RadiusFilter(help_text=PLACE_HELP["radius_km"])
    radius_mi = RadiusFilter(help_text=PLACE_HELP["radius_mi"])

    PLACE_FILTERS = ("near", "zip", "city", "radius_km", "radius_mi")

    class Meta:
        form = SearchForm
        fields: list[str] = []

    def __init__(self, *args, **kwargs):
        cls = type(self)
        if not isinstance(cls.__dict__.get("base_filters"), FilterCopies):
            cls.base_filters = FilterCopies(cls.base_filters)
        super().__init__(*args, **kwargs)

    def keep(self, queryset, name, value):
        return queryset

    def get_form_class(self):
        # django-filter builds a new form class on every request; the
        # filters (and so the class) are the same every time.
        cls = type(self)
        if "_form_class" not in cls.__dict__:
            cls._form_class = super().get_form_class()
        return cls._form_class

    @property
    def origin(self) -> selectors.Origin | None:
        form = self.form
        if form.origin_point is None:
            return None
        return selectors.Origin(point=form.origin_point, radius_m=form.radius_m)

    def group(self, queryset):
        raise NotImplementedError

    def filter_queryset(self, queryset):
        return self.group(super().filter_queryset(queryset))


class PractitionerSearchFilter(PlaceFilterSet):
    """GET /api/v1/practitioners/: one row per practitioner at their nearest matching location."""

    specialty = CommaSeparatedFilter(
        method="filter_specialty",
        known=vocabulary.lookup(Specialty),
        noun="specialty",
        help_text="Condition treated, by slug (e.g. low-back-pain); comma-separated means any of them.",
    )
    technique = CommaSeparatedFilter(
        method="filter_technique",
        known=vocabulary.lookup(Technique),
        noun="technique",
        help_text="Technique, by slug (e.g. deep-dry-needling); comma-separated means any of them.",
    )
    profession = CommaSeparatedFilter(
        field_name="profession",
        known={code.lower(): (code, code) for code in Profession.values},
        noun="profession",
        help_text="Profession code: " + ", ".join(Profession.values) + "; comma-separated means any of them.",
    )
    language = CommaSeparatedFilter(
        method="filter_language",
        known=vocabulary.lookup(Language),
        noun="language",
        help_text="ISO 639-1 language code (e.g. es); comma-separated means any of them.",
    )
    accepting_new_patients = StrictBooleanFilter(
        field_name="accepting_new_patients",
        # the listing's copy of its location's (see Listing)
        help_text="true: only locations taking new patients.",
    )
    min_training_hours = WholeNumberFilter(
        field_name="verified_training_hours",  # the listing's copy of its practitioner's
        lookup_expr="gte",
        min_value=0,
        max_value=100000,
        help_text="Only practitioners with at least this many verified dry needling training hours (a whole number).",
    )
    q = filters.CharFilter(
        method="filter_name",
        max_length=100,
        help_text="Practitioner or clinic name; tolerant of small typos.",
    )
    include_unqualified = StrictBooleanFilter(
        method="keep",
        help_text="true: also list practitioners who are not (yet) qualified at that location. "
        "By default only qualified listings are shown.",
    )

    class Meta(PlaceFilterSet.Meta):
        model = Listing

    # Every filter tests the listing's own copies of the practitioner's, location's
    # and clinic's facts (see Listing), so the KNN walk tests them on the row it read:
    # the terms by array overlap ("any of them"). The languages' with intarray's operator:
    # the spatial index of qualified listings holding their languages serves it (Listing.Meta).

    def filter_specialty(self, queryset, name, value):
        return queryset.filter(specialty_ids__overlap=value)

    def filter_technique(self, queryset, name, value):
        return queryset.filter(technique_ids__overlap=value)

    def filter_language(self, queryset, name, value):
        return queryset.filter(language_ids__intarray_overlap=value)

    @property
    def qualified_only(self) -> bool:
        """Only listings qualified today: unless include_unqualified=true."""
        return not self.form.cleaned_data.get("include_unqualified")

    # The search as django-filter's `qs` compiles it afresh: a name search there walks by
    # name or nearest first, checking the listing's own copies of the names row by row.
    # The API answers from `results` (below) instead, whose name search reads the
    # candidates of the trigram indexes by id when they are few (selectors.KeptNameSearch).
    def filter_name(self, queryset, name, value):
        return queryset.filter(selectors.listing_name_matches(value))

    def filter_queryset(self, queryset):
        if self.qualified_only:
            queryset = queryset.qualified_on(self.today)
        return super().filter_queryset(queryset)

    def group(self, queryset):
        return selectors.listing_search(queryset, origin=self.origin)

    # --- the same search from the statement kept for its shape (core.prepared) ---

    # What a search's SQL is made of besides its shape: every filter but the
    # place (given as its point and radius) and `q` (a name search adds the text and
    # its candidates' ids itself: selectors.KeptNameSearch).
    NOT_INPUTS = frozenset({*PlaceFilterSet.PLACE_FILTERS, "q"})

    def search_inputs(self) -> dict:
        data = self.form.cleaned_data
        origin = self.origin
        inputs = {name: data.get(name) for name in self.filters if name not in self.NOT_INPUTS}
        inputs.update(
            today=self.today,
            origin=None if origin is None else origin.point,
            radius_m=None if origin is None else origin.radius_m,
        )
        return inputs

    def narrow(self, queryset, inputs: dict):
        """The listings filter_queryset keeps without `q`, before grouping, from `inputs` alone."""
        if not inputs["include_unqualified"]:
            queryset = queryset.qualified_on(inputs["today"])
        for name, filter_ in self.filters.items():
            if name not in self.NOT_INPUTS:
                queryset = filter_.filter(queryset, inputs[name])
        return queryset

    def build(self, queryset, inputs: dict):
        """filter_queryset without `q`, from `inputs` alone: the kept statement's recipe is derived
        by building the search again from marker inputs."""
        return selectors.listing_search(self.narrow(queryset, inputs), origin=selectors.Origin.of(inputs))

    def narrowed_by_name(self, base, inputs: dict):
        """The search by name of the candidates `inputs["ids"]` (None: walking by name or
        nearest first), from `inputs` alone (search_inputs, the text as `q`), for
        selectors.KeptNameSearch."""
        ids = inputs["ids"]
        queryset = self.narrow(base.all(), inputs).filter(selectors.listing_name_matches(inputs["q"]))
        if ids is not None:
            queryset = queryset.filter(selectors.EqualsAny(F("pk"), ids))
        return selectors.listing_search(queryset, origin=selectors.Origin.of(inputs), sort=ids is not None)

    @property
    def results(self):
        """What the view pages through: a name search, without a place one range of names
        at a time, near one within the radius; otherwise the search as inputs. Either way
        from the statements kept for its shape."""
        text = self.form.cleaned_data.get("q")
        base = self.queryset
        if text:
            search = selectors.RangedNameSearch if self.origin is None else selectors.NearNameSearch
            return search(
                text=text,
                qualified_only=self.qualified_only,
                search=lambda inputs: self.narrowed_by_name(base, inputs),
                inputs={**self.search_inputs(), "q": text},
                key=f"{type(self).__qualname__} by name",
            )
        return selectors.ShapedSearch(
            key=type(self).__qualname__,
            build=lambda inputs: self.build(base.all(), inputs),
            inputs=self.search_inputs(),
        )


class ClinicSearchFilter(PlaceFilterSet):
    """GET /api/v1/clinics/: one row per clinic at its nearest matching location."""

    q = filters.CharFilter(method="filter_name", max_length=100, help_text="Clinic name; tolerant of small typos.")
    accepting_new_patients = StrictBooleanFilter(
        field_name="accepting_new_patients", help_text="true: only locations taking new patients."
    )

    class Meta(PlaceFilterSet.Meta):
        model = Location

    def filter_name(self, queryset, name, value):
        return queryset.filter(selectors.name_matches(["clinic__name"], value))

    def group(self, queryset):
        return selectors.location_search(queryset, origin=self.origin)


# --- clinic self-service lists ----------------------------------------------
# Few or no filters, but strict: a misspelt parameter is a 400, not ignored.


class ClinicMemberFilter(StrictFilterSet):
    role = filters.ChoiceFilter(choices=ClinicMembership.Role.choices, help_text="owner or staff.")

    class Meta(StrictFilterSet.Meta):
        model = ClinicMembership
        fields: list[str] = []


class ClinicLocationFilter(StrictFilterSet):
    state = filters.ChoiceFilter(choices=USState.choices, help_text="Only locations in this US state.")

    class Meta(StrictFilterSet.Meta):
        model = Location
        fields: list[str] = []


class ClinicPractitionerFilter(StrictFilterSet):
    location = filters.NumberFilter(
        field_name="listings__location_id", help_text="Only those working at this location."
    )
    q = filters.CharFilter(field_name="name", lookup_expr="icontains", help_text="Part of the practitioner's name.")

    class Meta(StrictFilterSet.Meta):
        model = Practitioner
        fields: list[str] = []
