# zerodraft in production mode. Needs ZERODRAFT_SECRET_KEY (32+ random characters) and, for
# PostgreSQL, ZERODRAFT_DATABASE_URL; without it the SQLite file lives in the /data volume.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    ZERODRAFT_MODE=production \
    ZERODRAFT_DATA_DIR=/data

WORKDIR /srv/zerodraft

COPY pyproject.toml README.md ./
COPY app/ app/
RUN pip install .

# alembic.ini and migrations/ are found in the working directory by `zerodraft db upgrade`.
COPY alembic.ini ./
COPY migrations/ migrations/
COPY drafts/ drafts/

RUN useradd --system --uid 10001 --no-create-home --home-dir /srv/zerodraft zerodraft \
    && mkdir -p /data \
    && chown zerodraft /data
USER zerodraft
VOLUME ["/data"]
EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"

CMD ["sh", "-c", "zerodraft db upgrade && exec zerodraft serve --host 0.0.0.0 --port 8000"]
