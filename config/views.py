"""View pieces both apps share."""
from django.utils import timezone
from django.utils.functional import cached_property


class TodayMixin:
    """One `today` per request, for the services and the serializers alike (as `today` in
    the serializer context), so a request that spans midnight sees one day."""

    @cached_property
    def today(self):
        return timezone.localdate()

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "today": self.today}
