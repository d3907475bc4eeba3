# peercoach production image: gunicorn by default; the same image runs the Celery worker,
# beat and migrations (see docker-compose.yml).

# The translations are compiled here (GNU gettext's msgfmt), so the image carries the .mo
# files without carrying gettext; .mo files are never committed nor sent (.dockerignore).
FROM python:3.12-slim AS translations
RUN apt-get update \
    && apt-get install -y --no-install-recommends gettext \
    && rm -rf /var/lib/apt/lists/*
COPY . /src
RUN mkdir -p /src/locale \
    && find /src/locale -name '*.po' -exec sh -c \
        'for po; do msgfmt --check -o "${po%.po}.mo" "$po" || exit 1; done' sh {} + \
    && find /src/locale -name '*.po' -delete

FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PEERCOACH_VAR_DIR=/var/lib/peercoach \
    STATIC_ROOT=/app/staticfiles \
    MEDIA_ROOT=/var/lib/peercoach/media \
    FORWARDED_ALLOW_IPS=*

# WeasyPrint renders the agreement PDFs with Pango/HarfBuzz; DejaVu is the fallback font.
# postgresql-client: pg_dump and pg_restore for `manage.py backup` and `restore` (Debian's
# version must be at least the server's, PostgreSQL 16 in docker-compose.yml).
# SAML (python3-saml) needs no Debian package: the xmlsec wheel carries libxmlsec1, libxml2
# and OpenSSL linked in (ldd: libc only), the same libxml2 as lxml's; the xmlsec1 program
# is for the tests' identity provider (pysaml2) only.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz0b libharfbuzz-subset0 libffi8 \
        fonts-dejavu-core postgresql-client \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 1000 peercoach \
    && useradd --system --uid 1000 --gid peercoach --home-dir /app --shell /usr/sbin/nologin peercoach

WORKDIR /app

# Dependencies first, so code changes do not reinstall them.
COPY requirements.lock ./
RUN pip install -r requirements.lock

# Code stays owned by root: the app user can read it, not change it.
COPY . .
COPY --from=translations /src/locale/ /app/locale/

# Bytecode at build time: with PYTHONDONTWRITEBYTECODE (and a read-only tree) every process
# would otherwise compile our sources again at each start, about a fifth of a web worker's
# start-up CPU (bench/startup.py, source against compiled). pip already compiled the
# libraries.
RUN python -m compileall -q -j 0 /app

# Static files are part of the image; the key only satisfies settings at build time.
RUN SECRET_KEY=collectstatic-build-only DEBUG=false \
        python manage.py collectstatic --noinput --verbosity 0 \
    && mkdir -p /var/lib/peercoach/media /var/lib/peercoach/beat /var/lib/peercoach/private /var/lib/peercoach/seal \
    && chown -R peercoach:peercoach /var/lib/peercoach \
    && chmod 0700 /var/lib/peercoach/private /var/lib/peercoach/seal

USER peercoach

EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
    CMD ["python", "/app/scripts/healthcheck.py"]

# FORWARDED_ALLOW_IPS=* trusts X-Forwarded-* from the reverse proxy: publish the port only to it.
# Workers, threads and timeout: WEB_CONCURRENCY, WEB_THREADS, WEB_TIMEOUT (gunicorn.conf.py).
CMD ["gunicorn", "-c", "gunicorn.conf.py", "--bind", "0.0.0.0:8000", "peercoach.wsgi:application"]
