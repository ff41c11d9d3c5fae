"""The one clock: what "today" is for every view, filter, serializer, service and task.

"Today" is the calendar day in TIME_ZONE (the directory's home time zone),
not the server's or UTC's: a license that expires on the 30th is still
valid at 11 pm Eastern on the 30th. Code that needs the day takes it as a
`today=` parameter where it can and calls this only at the edge (a view, a
task, a command); tests freeze this one function.
"""

import datetime

from django.utils import timezone


def today() -> datetime.date:
    """The current date in TIME_ZONE."""
    return timezone.localdate()


def today_from(context: dict) -> datetime.date:
    """The day a serializer works for: the view's (`today` in its context), else the clock's."""
    return context.get("today") or today()
