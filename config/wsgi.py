"""WSGI entry point (gunicorn config.wsgi)."""

import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

from directory import geocoding  # noqa: E402  (needs the app registry loaded above)

geocoding.warm_up()
# Everything loaded so far lives as long as the process: move it out of the
# cyclic GC's generations, or each full collection walks it again and
# stalls a request (about 200 ms in bench/search.py).
gc.freeze()
