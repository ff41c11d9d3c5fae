"""Forms of the clinic workspace. They render the fields and read the browser's input; the
rules are the services' (and the API serializers' limits, read from them): a service's
ValidationError or conflict is put next to the field it names (`add_service_error`)."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from rest_framework import serializers as drf_serializers
from rest_framework.exceptions import APIException

from credentials.models import Credential, Kind, validate_document
from credentials.serializers import CredentialInputSerializer
from directory.clinic_serializers import LocationInputSerializer, PractitionerInputSerializer
from directory.models import ClinicMembership, Language, Profession, Specialty, Technique
from directory.states import USState
from directory.validators import phone_validator, postal_code_validator, validate_npi
from portal import roster

PRACTITIONER_INPUT = PractitionerInputSerializer().fields
LOCATION_INPUT = LocationInputSerializer().fields
CREDENTIAL_INPUT = CredentialInputSerializer().fields

# What the document picker accepts; the server checks the file's first bytes (validate_document).
DOCUMENT_ACCEPT = ".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg"


class AccessibleForm(forms.Form):
    """Every input names its help and its errors (aria-describedby) and says when it is invalid."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if field.help_text:
                field.widget.attrs["aria-describedby"] = f"{self[name].auto_id}-help"

    def full_clean(self):
        super().full_clean()
        self.mark_invalid()

    def mark_invalid(self):
        for name in self.errors:
            if name not in self.fields:
                continue
            bound = self[name]
            described = [f"{bound.auto_id}-errors"]
            if self.fields[name].help_text:
                described.append(f"{bound.auto_id}-help")
            self.fields[name].widget.attrs.update({"aria-invalid": "true", "aria-describedby": " ".join(described)})


def add_service_error(form: forms.Form, exc: Exception) -> None:
    """Put a service's refusal next to the field it names (else above the form).

    Django's ValidationError (a model's full_clean, a service's check) and the API's
    conflicts (an NPI already listed, the last owner) carry a field name or a message.
    """
    if isinstance(exc, ValidationError):
        errors = exc.message_dict if hasattr(exc, "error_dict") else {None: exc.messages}
    elif isinstance(exc, APIException):
        detail = exc.detail
        if isinstance(detail, dict) and isinstance(detail.get("errors"), dict):
            errors = {field: [str(m) for m in messages] for field, messages in detail["errors"].items()}
        elif isinstance(detail, dict):
            errors = {None: [str(detail.get("detail", detail))]}
        else:
            errors = {None: [str(detail)]}
    else:
        raise exc
    for field, messages in errors.items():
        target = field if field in form.fields else None
        for message in messages:
            form.add_error(target, message)
    form.mark_invalid()


def _limits(field) -> dict:
    return {"min_value": field.min_value, "max_value": field.max_value}


class TherapistForm(AccessibleForm):
    name = forms.CharField(max_length=200)
    profession = forms.ChoiceField(choices=Profession.choices)
    npi = forms.CharField(
        label="NPI", max_length=10, required=False, validators=[validate_npi], help_text="10 digits; optional."
    )
    email = forms.EmailField(
        required=False, help_text="Private: for the clinic and the admins, never shown to patients."
    )
    locations = forms.ModelMultipleChoiceField(
        queryset=None, widget=forms.CheckboxSelectMultiple, help_text="Where they work at this clinic (at least one)."
    )
    bio = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), max_length=5000, required=False)
    years_dry_needling = forms.IntegerField(
        label="Years practising dry needling", required=False, **_limits(PRACTITIONER_INPUT["years_dry_needling"])
    )
    typical_sessions = forms.IntegerField(
        label="Typical number of sessions", required=False, **_limits(PRACTITIONER_INPUT["typical_sessions"])
    )
    specialties = forms.ModelMultipleChoiceField(
        label="Conditions treated",
        queryset=Specialty.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    techniques = forms.ModelMultipleChoiceField(
        queryset=Technique.objects.all(), widget=forms.CheckboxSelectMultiple, required=False
    )
    languages = forms.ModelMultipleChoiceField(
        queryset=Language.objects.all(), widget=forms.CheckboxSelectMultiple, required=False
    )

    DETAILS = ("name", "profession", "npi", "email", "bio", "years_dry_needling", "typical_sessions")
    TERMS = ("specialties", "techniques", "languages")

    def __init__(self, *args, locations, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["locations"].queryset = locations
        self.fields["locations"].label_from_instance = lambda location: ", ".join(
            part for part in (location.name, location.address, location.city, location.state) if part
        )

    @classmethod
    def initial_for(cls, practitioner) -> dict:
        initial = {field: getattr(practitioner, field) for field in cls.DETAILS}
        for relation in cls.TERMS:
            initial[relation] = list(getattr(practitioner, relation).all())
        initial["locations"] = [listing.location for listing in getattr(practitioner, "clinic_listings", [])]
        return initial

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "changes": {field: data[field] for field in self.DETAILS},
            "locations": list(data["locations"]),
            **{relation: list(data[relation]) for relation in self.TERMS},
        }


class LocationForm(AccessibleForm):
    name = forms.CharField(max_length=200, required=False, help_text="Optional branch name, e.g. 'Capitol Hill'.")
    address = forms.CharField(max_length=255, label="Street address")
    city = forms.CharField(max_length=120, required=False, help_text="Left empty: the ZIP code's city.")
    state = forms.ChoiceField(choices=[("", "Choose a state"), *USState.choices])
    postal_code = forms.CharField(label="ZIP code", max_length=5, validators=[postal_code_validator])
    phone = forms.CharField(max_length=32, required=False, validators=[phone_validator])
    accepting_new_patients = forms.BooleanField(required=False, initial=True)
    lat = forms.FloatField(
        label="Latitude",
        required=False,
        **_limits(LOCATION_INPUT["lat"]),
        help_text="Optional, with the longitude: otherwise the pin goes to the ZIP code's centre. Click the map to set both.",
    )
    lon = forms.FloatField(label="Longitude", required=False, **_limits(LOCATION_INPUT["lon"]))

    FIELDS = ("name", "address", "city", "state", "postal_code", "phone", "accepting_new_patients")

    def clean(self):
        data = super().clean()
        given = {key: data[key] for key in ("lat", "lon") if data.get(key) is not None}
        try:
            LocationInputSerializer().validate(given)  # both or neither, as the API says
        except drf_serializers.ValidationError as exc:
            for field, messages in exc.detail.items():
                for message in messages if isinstance(messages, list) else [messages]:
                    self.add_error(field, str(message))
        return data

    @classmethod
    def initial_for(cls, location) -> dict:
        return {field: getattr(location, field) for field in cls.FIELDS}

    def service_arguments(self) -> dict:
        data = self.cleaned_data
        return {
            "changes": {field: data[field] for field in self.FIELDS},
            "lat": data.get("lat"),
            "lon": data.get("lon"),
        }


class DateInput(forms.DateInput):
    input_type = "date"


# Which fields each kind of credential asks for (the model's clean() says which it needs).
KIND_FIELDS = {
    Kind.LICENSE: ("issuer", "jurisdiction", "license_number", "issued_on", "expires_on", "document"),
    Kind.CERTIFICATION: ("name", "issuer", "issued_on", "expires_on", "document"),
    Kind.TRAINING: ("name", "issuer", "hours", "technique", "issued_on", "expires_on", "document"),
}


class CredentialForm(AccessibleForm):
    """A license, certification or training record with its document. The document is
    checked here with the API's own checks (size, then type by its first bytes) before
    the service stores it; the page's script checks the same limits before upload."""

    name = forms.CharField(max_length=200, help_text="The course or certification name.")
    issuer = forms.CharField(max_length=200, help_text="State board, issuing body or course provider.")
    jurisdiction = forms.ChoiceField(label="State", choices=[("", "Choose a state"), *USState.choices])
    license_number = forms.CharField(max_length=64, help_text="Private: never shown to patients.")
    hours = forms.IntegerField(label="Training hours", **_limits(CREDENTIAL_INPUT["hours"]))
    technique = forms.ModelChoiceField(queryset=Technique.objects.all(), required=False)
    issued_on = forms.DateField(widget=DateInput)
    expires_on = forms.DateField(label="Expires on", widget=DateInput, required=False)
    document = forms.FileField(
        max_length=200,
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": DOCUMENT_ACCEPT}),
        help_text="PDF, PNG or JPEG, at most 10 MB. Private: only your clinic and the admins see it.",
    )

    def __init__(self, *args, kind: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind = kind
        for name in list(self.fields):
            if name not in KIND_FIELDS[kind]:
                del self.fields[name]
        if kind == Kind.LICENSE:
            self.fields["expires_on"].required = True
            self.fields["expires_on"].label = "Expires (renewal date)"
        self.fields["issued_on"].label = "Completed on" if kind == Kind.TRAINING else "Issued on"
        if kind == Kind.CERTIFICATION:
            self.fields["name"].help_text = "The certification's name."

    def clean_document(self):
        document = self.cleaned_data.get("document")
        if document:
            validate_document(document)  # the model's check: too large, or not a PDF/PNG/JPEG
        return document

    def service_arguments(self) -> dict:
        return {"kind": self.kind, **{field: value for field, value in self.cleaned_data.items() if value is not None}}

    @staticmethod
    def initial_from(credential: Credential) -> dict:
        """What a renewal or a resubmission starts from: the same credential, new dates."""
        return {
            field: getattr(credential, field)
            for field in ("name", "issuer", "jurisdiction", "license_number", "hours", "technique")
            if getattr(credential, field) not in (None, "")
        }


class RosterUploadForm(AccessibleForm):
    file = forms.FileField(
        label="Roster file (CSV)",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
        help_text="UTF-8 CSV, one practitioner a row; start from the template.",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            roster.check_size(upload.size)
        except roster.RosterFileError as exc:
            raise ValidationError(str(exc)) from None
        return upload


class InviteForm(AccessibleForm):
    email = forms.EmailField(help_text="They need no account yet: the email tells them how to join.")
    role = forms.ChoiceField(choices=ClinicMembership.Role.choices, initial=ClinicMembership.Role.STAFF)


class RoleForm(AccessibleForm):
    role = forms.ChoiceField(choices=ClinicMembership.Role.choices)


class JoinForm(AccessibleForm):
    token = forms.CharField(label="Invitation code", max_length=200)
    username = forms.CharField(max_length=150, required=False, help_text="A new account's username.")
    password = forms.CharField(widget=forms.PasswordInput, max_length=128, required=False)

    def __init__(self, *args, signed_in: bool, **kwargs):
        super().__init__(*args, **kwargs)
        if signed_in:
            del self.fields["username"]
            del self.fields["password"]
