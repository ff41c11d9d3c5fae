# The production image: gunicorn serving config.wsgi, static files by
# whitenoise; the same image runs the Celery worker and beat (docker-compose.yml).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# GeoDjango's libraries (GDAL, GEOS, PROJ) and SpatiaLite.
RUN apt-get update \
 && apt-get install -y --no-install-recommends binutils gdal-bin libproj-dev libsqlite3-mod-spatialite \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Dependencies from pyproject.toml alone, so that a code change reuses this layer.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
      > /tmp/requirements.txt \
 && pip install -r /tmp/requirements.txt \
 && rm /tmp/requirements.txt

COPY . .

# Hashed, compressed static files for whitenoise. The key only lets settings
# load; nothing is signed at build time.
RUN DJANGO_SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput -v 0 \
 && useradd --system --uid 10001 --home-dir /app app \
 && mkdir -p var/media \
 && chown -R app var

USER app
EXPOSE 8000
# Workers: WEB_CONCURRENCY (gunicorn reads it), default 1.
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--access-logfile", "-"]
