# zerodraft in production mode. Needs ZERODRAFT_SECRET_KEY and ZERODRAFT_AUDIT_KEY (each 32+
# random characters, not the same) and, for PostgreSQL, ZERODRAFT_DATABASE_URL; without it the
# SQLite file (and the audit anchor file) live in the /data volume. Run `zerodraft db upgrade`
# in it once before the first start and after every new version (compose.yaml does).

# Stage 1: the dependencies, pinned by the lock file, in a virtual environment. This layer is
# rebuilt only when requirements.txt changes, not on every change to the code.
FROM python:3.11-slim AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/zerodraft
COPY requirements.txt /tmp/run.txt
RUN /opt/zerodraft/bin/pip install -r /tmp/run.txt
# Then zerodraft itself, without resolving anything again.
WORKDIR /src
COPY pyproject.toml README.md ./
COPY app/ app/
RUN /opt/zerodraft/bin/pip install --no-deps .

# Stage 2: only the environment and what the commands read at run time; no compilers, no pip
# cache, no sources beyond the installed package.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/zerodraft/bin:$PATH \
    ZERODRAFT_MODE=production \
    ZERODRAFT_DATA_DIR=/data
COPY --from=build /opt/zerodraft /opt/zerodraft
WORKDIR /srv/zerodraft
# alembic.ini and migrations/ are found in the working directory by `zerodraft db upgrade`.
COPY alembic.ini ./
COPY migrations/ migrations/
COPY drafts/ drafts/

RUN useradd --system --uid 10001 --no-create-home --home-dir /srv/zerodraft zerodraft \
    && mkdir -p /data /backups \
    && chown zerodraft /data /backups
USER zerodraft
VOLUME ["/data"]
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"

# Serves only: the schema is upgraded once, by `zerodraft db upgrade` as a job of its own
# (compose.yaml's migrate service), never by every replica as it starts (they would race).
# SIGTERM: requests in flight get --graceful-timeout seconds to finish.
STOPSIGNAL SIGTERM
CMD ["zerodraft", "serve", "--host", "0.0.0.0", "--port", "8000"]
