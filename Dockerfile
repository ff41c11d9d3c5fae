# The production image: gunicorn serving config.wsgi, static files by
# whitenoise; the same image runs the Celery worker and beat (docker-compose.yml).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# GeoDjango's libraries (GDAL, GEOS, PROJ).
RUN apt-get update \
 && apt-get install -y --no-install-recommends binutils gdal-bin libproj-dev \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Exactly the versions the tests ran against (requirements.lock, hashed), in a layer a
# code change reuses.
COPY requirements.lock ./
RUN pip install --require-hashes -r requirements.lock

COPY . .

# Hashed, compressed static files for whitenoise. The key and database URL only let
# settings load; nothing is signed and no database is opened at build time.
RUN DJANGO_SECRET_KEY=collectstatic-only DATABASE_URL=postgis://build@localhost/none \
    python manage.py collectstatic --noinput -v 0 \
 && useradd --system --uid 10001 --home-dir /app app \
 && mkdir -p var/media \
 && chown -R app var

USER app
EXPOSE 8000
# Workers: WEB_CONCURRENCY (gunicorn reads it), default 1.
# The access log keeps no client address, query string or referer (config/gunicorn.py).
CMD ["gunicorn", "-c", "config/gunicorn.py", "config.wsgi:application"]
