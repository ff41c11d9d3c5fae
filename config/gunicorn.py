"""gunicorn's settings for production (`gunicorn -c config/gunicorn.py config.wsgi:application`).

The access log records what an operator needs (method, path, status,
size, duration) and nothing that tracks a patient: no client address, no
query string (a search's ZIP code, city, coordinates and condition live
there), no referer (the search page's address carries the same), no user
agent. Errors still go to the error log.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# Workers: WEB_CONCURRENCY (gunicorn reads it itself), default 1.
accesslog = "-"
errorlog = "-"
# %(U)s is the path without its query string; %(M)s the duration in milliseconds.
access_log_format = '%(t)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms'
# Load the application once, before forking the workers: each worker answers from its
# first request (no second of imports on a cold worker), and the bundled ZIP table that
# config/wsgi.py loads is shared between workers instead of copied into each.
preload_app = True
