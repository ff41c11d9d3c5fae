"""View pieces both apps share."""

from django.utils.functional import cached_property

from core import clock


class TodayMixin:
    """One `today` per request, for the services and the serializers alike (as `today` in
    the serializer context), so a request that spans midnight sees one day."""

    @cached_property
    def today(self):
        return clock.today()

    def get_serializer_context(self):
        return {**super().get_serializer_context(), "today": self.today}
