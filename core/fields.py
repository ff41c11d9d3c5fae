"""Serializer fields shared by the apps."""

from django.core.exceptions import ValidationError
from django.core.validators import ProhibitNullCharactersValidator
from rest_framework import serializers


class SlugRelatedField(serializers.SlugRelatedField):
    """DRF's SlugRelatedField, refusing a NUL character before it reaches the database.

    DRF's CharField has this validator; the related field looks the slug up
    as given, and PostgreSQL answers a text containing NUL with an error
    (a 500) instead of "no such row".
    """

    def to_internal_value(self, data):
        if isinstance(data, str):
            try:
                ProhibitNullCharactersValidator()(data)
            except ValidationError:
                self.fail("does_not_exist", slug_name=self.slug_field, value=data.replace("\x00", "\\x00"))
        return super().to_internal_value(data)
