# Production image: gunicorn web, Celery worker and beat share it.
# Every dependency comes from PyPI at build time (a mirror on an intranet);
# the image needs no internet at run time.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    VAR_DIR=/var/lib/gridgov \
    STATIC_ROOT=/app/staticfiles

RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --create-home --home-dir /app gridgov

WORKDIR /app
COPY pyproject.toml README.md ./
COPY . .
RUN pip install --upgrade pip && pip install . \
    && DEBUG=true STATIC_MANIFEST=true python manage.py collectstatic --noinput \
    && mkdir -p "$VAR_DIR" && chown -R gridgov "$VAR_DIR"

USER gridgov
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD curl -fsS http://127.0.0.1:8000/healthz || exit 1
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
