"""Two app instances and two workers on one PostgreSQL, behind a round-robin load balancer, as
compose.yaml runs them (issue 17): real processes started with compose's commands (`zerodraft
db upgrade`, then `zerodraft serve` twice and `zerodraft worker` twice, in production mode), a
real SMTP server, and nothing shared between the processes but the database and the data
folder (the audit anchor file, as compose's volume).

What a person does behind the balancer must not depend on which instance answers:

- a session opened through one instance goes on through the other (a form from one page posted
  to the other instance, log-out through one ends it on both);
- a log-in throttle counted on one instance applies on the other;
- a page cached by one instance shows a change made through the other at once;
- writes through both at once (API clients: proposals, comments, positions, edits with If-Match,
  decisions) are all there once, none lost, none doubled, with one unbroken audit chain, checked
  against the anchor file all processes append to;
- one instance killed with SIGKILL in the middle of a burst of writes: every acknowledged write
  is in the database, the balancer sends the clients to the other, which goes on answering;
- a round's deadline closes it once with two workers (one audit event, one notice each);
- every mail goes out exactly once with two workers (each outbox row claimed once, each
  Message-ID received once by the SMTP server).

PostgreSQL only (several processes on one SQLite file is not a supported deployment). Run with
-s to see the timings.
"""

import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update

from app.accounts import passwords
from app.audit.guard import open_database
from app.audit.service import Actor, check_trail
from app.config import Settings
from app.db import Database
from app.models import (
    AuditEvent,
    Comment,
    Item,
    ItemKind,
    MailFrequency,
    Notification,
    OutboxMessage,
    OutboxState,
    Role,
    Round,
    RoundKind,
    RoundState,
    User,
)
from app.notifications import service as notifications
from app.rounds import service as rounds
from tests.balancer import Balancer
from tests.factories import PASSWORD, World, build_world, make_indicator, make_user, token_for
from tests.helpers import csrf_of, form_in, free_port, scratch_database, text_of
from tests.mailserver import MailServer
from tests.servers import Ledger, Lost, Person, check_database, member_step

pytestmark = pytest.mark.postgres

ZERODRAFT = Path(sys.executable).with_name("zerodraft")
SECRET = "multi-instance-secret-key-0123456789abcdef"
AUDIT_KEY = "multi-instance-audit-key-fedcba9876543210"
DEADLINE_ROUND = "DWG-FC/MI-1"
ROUND = "DWG-FC/MI-2"
EDITED = "FC-CD-02"  # edited by the burst's editor
CACHED = "FC-CD-01"  # the page whose cached copy must follow a change on the other instance
THROTTLED = "throttled@asean.test"
IMMEDIATE = ("member", "member2", "member3", "chair")  # World fields: mail at once, not digests
WORKER_INTERVAL = "1"  # seconds between a worker's passes (compose: the default, 5)
READY_SECONDS = 180  # a loaded 2-core CI machine imports the app slowly
BURST_SECONDS = 20  # at most, before the kill; usually a few seconds
WRITES_BEFORE_KILL = 24
WRITES_AFTER_KILL = 12


# --- The processes -------------------------------------------------------------------------


@dataclass
class Process:
    """One `zerodraft ...` command in a process group of its own (SIGKILL reaches all of it)."""

    name: str
    args: list[str]
    env: dict[str, str]
    folder: Path
    popen: subprocess.Popen[bytes] | None = None

    @property
    def log_path(self) -> Path:
        return self.folder / f"{self.name}.log"

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.popen = subprocess.Popen(
                [str(ZERODRAFT), *self.args],
                cwd=self.folder,  # away from any .env file in the checkout
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def run(self, timeout: float = 120) -> str:
        """Run to the end; its output, or the test fails with it."""
        self.start()
        assert self.popen is not None
        try:
            code = self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise
        assert code == 0, f"zerodraft {' '.join(self.args)} exited with {code}:\n{self.log()}"
        return self.log()

    @property
    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def kill(self) -> None:
        """What a crash or a pulled plug does: no clean-up."""
        if self.alive:
            assert self.popen is not None
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait(timeout=10)

    def stop(self) -> None:
        """As `docker compose stop` does: SIGTERM, then SIGKILL after a grace period."""
        if not self.alive:
            return
        assert self.popen is not None
        os.killpg(self.popen.pid, signal.SIGTERM)
        try:
            self.popen.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@dataclass
class Instance(Process):
    port: int = field(default_factory=free_port)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def environment(url: str, data: Path, base_url: str, smtp: MailServer) -> dict[str, str]:
    """compose.yaml's x-app environment, for this test's database, folder and SMTP server."""
    kept = {k: v for k, v in os.environ.items() if not k.startswith("ZERODRAFT_")}
    return kept | {
        "ZERODRAFT_MODE": "production",
        "ZERODRAFT_DATABASE_URL": url,
        "ZERODRAFT_SECRET_KEY": SECRET,
        "ZERODRAFT_AUDIT_KEY": AUDIT_KEY,
        "ZERODRAFT_BASE_URL": base_url,
        "ZERODRAFT_DATA_DIR": str(data),  # compose's shared /data volume: the anchor file
        "ZERODRAFT_LOG_FORMAT": "json",
        "ZERODRAFT_SMTP_HOST": "127.0.0.1",
        "ZERODRAFT_SMTP_PORT": str(smtp.port),
        "ZERODRAFT_SMTP_STARTTLS": "false",
        "ZERODRAFT_SMTP_TIMEOUT_SECONDS": "5",
        # Four processes on a test server shared with other test runs: small pools.
        "ZERODRAFT_DATABASE_POOL_SIZE": "4",
    }


def wait_ready(instances: list[Instance], others: list[Process]) -> None:
    """Until every instance's /readyz answers 200 (the database answers at the code's
    revision), as the compose file's health check and the proxy ask."""
    deadline = time.monotonic() + READY_SECONDS
    waiting = list(instances)
    while waiting:
        for p in [*waiting, *others]:
            assert p.alive, f"{p.name} exited:\n{p.log()}"
        assert time.monotonic() < deadline, "not ready in time:\n" + "\n".join(
            f"--- {p.name}\n{p.log()[-2000:]}" for p in waiting
        )
        for instance in list(waiting):
            try:
                if httpx.get(f"{instance.url}/readyz", timeout=2).status_code == 200:
                    waiting.remove(instance)
            except httpx.TransportError:
                pass
        time.sleep(0.1)


# --- A browser that keeps its cookies -------------------------------------------------------


class Browser:
    """Cookies kept by hand: production's cookies are Secure (__Host-), which an HTTP client
    keeps to https, while the balancer here speaks plain HTTP (as TLS ends at Caddy)."""

    def __init__(self) -> None:
        self.cookies: dict[str, str] = {}

    def request(self, base: str, method: str, path: str, **kw: Any) -> httpx.Response:
        headers = dict(kw.pop("headers", {}))
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        response = httpx.request(method, base + path, headers=headers, timeout=30, **kw)
        for line in response.headers.get_list("set-cookie"):
            name, _, rest = line.partition("=")
            value = rest.split(";", 1)[0]
            if value in ("", '""') or "max-age=0" in line.lower():
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return response

    def get(self, base: str, path: str) -> httpx.Response:
        return self.request(base, "GET", path)

    def post(self, base: str, path: str, data: dict[str, str]) -> httpx.Response:
        return self.request(base, "POST", path, data=data)


def log_in_form(browser: Browser, base: str) -> str:
    return csrf_of(browser.get(base, "/login").text)


# --- The data ------------------------------------------------------------------------------


@dataclass
class Seeded:
    world: World
    codes: list[str]
    tokens: dict[str, str]


def seed(database: Database) -> Seeded:
    """The factories' working group, a few more indicators, people who want their mail at once,
    someone whose log-ins will be throttled, and a round whose deadline passes in a moment."""
    now = datetime.now(UTC)
    world = build_world(database, now)
    with database.transaction() as s:
        for n in range(4):
            make_indicator(s, "DR" if n % 2 else "CD", f"Multi-instance indicator {n}", now=now)
        make_user(s, THROTTLED, Role.MEMBER, "TH-SOMTC", now=now, name="Thrott Led")
        s.execute(
            update(User)
            .where(User.email.in_([getattr(world, f) for f in IMMEDIATE]))
            .values(mail_frequency=MailFrequency.IMMEDIATE)
        )
        # Hashed at argon2id's lowest cost (a hash carries its cost, which verifying it takes
        # whatever the settings): the processes run in production mode, which hashes new
        # passwords at full cost, but checking these takes milliseconds, not a second each.
        passwords.use("minimal")
        s.execute(update(User).values(password_hash=passwords.hash_password(PASSWORD)))
        system = Actor.system("seed")
        rounds.create_round(
            s,
            system,
            symbol=DEADLINE_ROUND,
            title="A round whose deadline passes while the processes start",
            kind=RoundKind.WRITTEN,
            time_zone="Asia/Jakarta",
            deadline=now + timedelta(seconds=2),
            opens_at=None,
            instructions="",
            observers_may_comment=False,
            now=now,
        )
        rounds.open_round(s, system, DEADLINE_ROUND, now=now)
    with database.transaction(write=False) as s:
        codes = list(
            s.scalars(select(Item.code).where(Item.kind == ItemKind.INDICATOR).order_by(Item.id))
        )
    people = [world.member, world.member2, world.member3, world.secretariat, world.secretariat2]
    tokens = {email: token_for(database, email, now) for email in people}
    return Seeded(world, codes, tokens)


def wait_for(what: str, check: Any, timeout: float = 30) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        assert time.monotonic() < deadline, f"waited {timeout} s for {what}"
        time.sleep(0.1)


def log_lines(process: Process) -> list[dict[str, Any]]:
    """The JSON lines a process logged (ZERODRAFT_LOG_FORMAT=json, as in compose.yaml)."""
    found = []
    for line in process.log().splitlines():
        if line.startswith("{"):
            with suppress(ValueError):
                found.append(json.loads(line))
    return found


def writes_answered(instance: Instance) -> int:
    """Writes the instance acknowledged, from its request lines."""
    return sum(
        1
        for line in log_lines(instance)
        if line.get("method") in ("POST", "PATCH") and 200 <= line.get("status", 0) < 300
    )


def errors_logged(process: Process) -> list[str]:
    return [
        f"{line.get('logger')}: {line.get('message')} {line.get('stack', '')}"
        for line in log_lines(process)
        if line.get("level") in ("error", "critical")
    ] + [line for line in process.log().splitlines() if line.startswith("Traceback")]


@contextmanager
def timed(timings: dict[str, float], name: str) -> Iterator[None]:
    started = time.monotonic()
    yield
    timings[name] = time.monotonic() - started


# --- The test ------------------------------------------------------------------------------


def test_two_instances_and_two_workers_behind_a_balancer(
    tmp_path: Path, mail_server: MailServer
) -> None:
    assert ZERODRAFT.exists(), f"{ZERODRAFT} is missing: install the package (make venv-dev)"
    began = time.monotonic()
    timings: dict[str, float] = {}
    data = tmp_path / "data"
    data.mkdir()
    with ExitStack() as stack:
        url = stack.enter_context(contextmanager(scratch_database)("multi"))
        a = Instance("app1", [], {}, tmp_path)
        b = Instance("app2", [], {}, tmp_path)
        lb = stack.enter_context(Balancer([("127.0.0.1", a.port), ("127.0.0.1", b.port)]))
        env = environment(url, data, lb.url, mail_server)
        with timed(timings, "db upgrade"):
            upgrade = Process("migrate", ["db", "upgrade"], env, tmp_path).run()
        assert "database upgraded from empty" in upgrade, upgrade

        # compose.yaml's commands: the instances (one process each here) and the workers.
        for instance in (a, b):
            instance.env = env
            instance.args = [
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(instance.port),
                "--workers",
                "1",
                "--forwarded-allow-ips",
                "127.0.0.1",
                "--graceful-timeout",
                "5",
            ]
        workers = [
            Process(f"worker{n}", ["worker", "--interval", WORKER_INTERVAL], env, tmp_path)
            for n in (1, 2)
        ]
        processes: list[Process] = [a, b, *workers]
        for p in processes:
            stack.callback(p.stop)
        with timed(timings, "start 4 processes + seed"):
            for p in processes:
                p.start()
            settings = Settings(
                _env_file=None,
                mode="production",
                database_url=url,
                secret_key=SECRET,
                audit_key=AUDIT_KEY,
                data_dir=data,
                base_url=lb.url,
            )
            database = open_database(settings, pool_size=4)
            stack.callback(database.dispose)
            seeded = seed(database)
            wait_ready([a, b], workers)
        world = seeded.world

        with timed(timings, "deadline"):
            deadline_passed_once(database)
        with timed(timings, "round opened"):
            open_round_through_balancer(lb, seeded)
        with timed(timings, "session"):
            session_goes_on_through_the_other_instance(a, b, database, world)
        with timed(timings, "throttle"):
            throttle_counts_on_both(a, b)
        with timed(timings, "cache"):
            cached_page_follows_the_other_instance(a, b, world, seeded)
        with timed(timings, "reset request"):
            request_password_reset(lb, world.observer)
        with timed(timings, "burst + kill"):
            ledger = burst_with_a_kill(lb, a, b, seeded)
        assert b.alive, b.log()[-3000:]

        with timed(timings, "mail"):
            mail_sent_once(database, mail_server, world)
        # Every process but the killed one still runs: a worker that died quietly would let
        # "each mail sent once with two workers" pass with one.
        for p in [b, *workers]:
            assert p.alive, f"{p.name} exited with {p.popen and p.popen.poll()}:\n{p.log()[-3000:]}"
        for p in processes:
            p.stop()

        with timed(timings, "checks"):
            written = check_database(url, ledger, database=database)
            with database.transaction(write=False) as s:
                trail = check_trail(s, [settings.audit_anchor_path], require_anchor=True)
            assert trail.problems == [], trail.problems
            deadline_handled_once(database)
        for p in [b, *workers]:
            assert errors_logged(p) == [], f"{p.name}:\n{p.log()[-3000:]}"

    elapsed = time.monotonic() - began
    print(
        f"\nmulti-instance on PostgreSQL: {elapsed:.1f} s in all ("
        + ", ".join(f"{name} {t:.1f} s" for name, t in timings.items())
        + f"); {len(ledger.acked)} acknowledged writes, {len(ledger.in_doubt)} in flight at the "
        f"kill ({written.in_doubt_present} of them committed), {written.events} audit events "
        f"(chain and anchor verified), {len(mail_server.messages)} mails each sent once; "
        f"balancer connections {dict(lb.served)}, refused {dict(lb.refused)}"
    )


# --- The parts -----------------------------------------------------------------------------


def deadline_passed_once(database: Database) -> None:
    """The round's deadline passed while four processes that apply deadlines were starting:
    it is closed, once."""

    def closed() -> bool:
        with database.transaction(write=False) as s:
            state = s.scalar(select(Round.state).where(Round.symbol == DEADLINE_ROUND))
        return state is RoundState.CLOSED

    wait_for("the workers to close the round at its deadline", closed)


def deadline_handled_once(database: Database) -> None:
    with database.transaction(write=False) as s:
        closes = s.execute(
            select(AuditEvent.request_id, AuditEvent.details).where(
                AuditEvent.action == "round.close", AuditEvent.object_id == DEADLINE_ROUND
            )
        ).all()
        assert len(closes) == 1, closes
        assert closes[0].details["automatic"] is True
        notices = Counter(
            s.scalars(select(Notification.user_id).where(Notification.kind == "round.closed"))
        )
        people = set(notifications.group(s))
    assert set(notices) == people, "everyone in the group is told that the round closed"
    assert set(notices.values()) == {1}, f"told more than once: {notices}"


def open_round_through_balancer(lb: Balancer, seeded: Seeded) -> None:
    """The next round, created and opened by the secretariat through the balancer."""
    headers = {"Authorization": f"Bearer {seeded.tokens[seeded.world.secretariat]}"}
    with httpx.Client(base_url=f"{lb.url}/api/v1", headers=headers, timeout=30) as http:
        created = http.post("/rounds", json={"symbol": ROUND, "title": "Multi-instance round"})
        assert created.status_code == 201, created.text
        opened = http.post(f"/rounds/{ROUND}/open")
        assert opened.status_code == 200, opened.text
        assert opened.json()["state"] == "open"


def session_goes_on_through_the_other_instance(
    a: Instance, b: Instance, database: Database, world: World
) -> None:
    browser = Browser()
    # The log-in form from one instance, sent to the other.
    token = log_in_form(browser, a.url)
    answer = browser.post(
        b.url, "/login", {"email": world.member, "password": PASSWORD, "csrf_token": token}
    )
    assert answer.status_code == 303, answer.text
    account = browser.get(a.url, "/account")
    assert account.status_code == 200
    assert world.member in account.text
    # A form drawn by one instance, posted to the other with that page's token.
    page = browser.get(a.url, f"/indicators/{world.indicator}")
    assert page.status_code == 200
    fields = form_in(page.text, action="/comments", class_="comment-form")
    body = "Written on a page of one instance and sent to the other"
    fields["body"] = body
    sent = browser.post(b.url, "/comments", fields)
    assert sent.status_code == 303, text_of(sent.text)[:2000]
    with database.transaction(write=False) as s:
        assert s.scalar(select(func.count()).where(Comment.body == body)) == 1
    # ... and the first instance's page shows it at once.
    assert body in browser.get(a.url, f"/indicators/{world.indicator}").text
    # Logging out through one instance ends the session on both (the old cookie is sent on).
    csrf = csrf_of(browser.get(b.url, "/account").text)
    kept = dict(browser.cookies)
    assert browser.post(a.url, "/logout", {"csrf_token": csrf}).status_code == 303
    browser.cookies = kept
    for instance in (a, b):
        gone = browser.get(instance.url, "/account")
        assert gone.status_code == 303
        assert gone.headers["location"].startswith("/login")


def throttle_counts_on_both(a: Instance, b: Instance) -> None:
    """Five failures through one instance; the right password through the other is refused."""
    browser = Browser()
    for n in range(5):
        token = log_in_form(browser, a.url)
        wrong = browser.post(
            a.url, "/login", {"email": THROTTLED, "password": f"wrong {n}", "csrf_token": token}
        )
        assert wrong.status_code == 401, wrong.status_code
    token = log_in_form(browser, b.url)
    refused = browser.post(
        b.url, "/login", {"email": THROTTLED, "password": PASSWORD, "csrf_token": token}
    )
    assert refused.status_code == 429, text_of(refused.text)[:1000]
    assert int(refused.headers["retry-after"]) > 0


def cached_page_follows_the_other_instance(
    a: Instance, b: Instance, world: World, seeded: Seeded
) -> None:
    """An indicator page drawn (and kept) by one instance is current there right after the
    indicator was changed through the other."""
    browser = Browser()
    token = log_in_form(browser, b.url)
    answer = browser.post(
        b.url, "/login", {"email": world.member2, "password": PASSWORD, "csrf_token": token}
    )
    assert answer.status_code == 303, answer.text
    old = "Passport or personal phone taken by the operators"
    new = "Passport, phone or identity card kept by the operators"
    for _ in range(2):  # drawn, then from the cache
        assert old in browser.get(b.url, f"/indicators/{CACHED}").text
    headers = {"Authorization": f"Bearer {seeded.tokens[world.secretariat]}"}
    with httpx.Client(base_url=f"{a.url}/api/v1", headers=headers, timeout=30) as http:
        etag = http.get(f"/indicators/{CACHED}").headers["etag"]
        changed = http.patch(
            f"/indicators/{CACHED}",
            json={"text": new, "reason": "Changed through the other instance"},
            headers={"If-Match": etag},
        )
        assert changed.status_code == 200, changed.text
    shown = browser.get(b.url, f"/indicators/{CACHED}").text
    assert new in shown
    assert old not in shown


def request_password_reset(lb: Balancer, email: str) -> None:
    browser = Browser()
    form = browser.get(lb.url, "/password/forgot")
    answer = browser.post(
        lb.url, "/password/forgot", {"email": email, "csrf_token": csrf_of(form.text)}
    )
    assert answer.status_code == 200, text_of(answer.text)[:1000]


def burst_with_a_kill(lb: Balancer, a: Instance, b: Instance, seeded: Seeded) -> Ledger:
    """Delegates, an editor and a decider write through the balancer at once; once both
    instances have acknowledged writes, one is killed, and the writing goes on."""
    world = seeded.world
    codes = [c for c in seeded.codes if c not in (EDITED, CACHED)]
    ledger = Ledger()
    proposals: list[int] = []
    stop = threading.Event()
    killed = threading.Event()
    lost_before_kill: list[str] = []

    def client(name: str, email: str, step: Any) -> None:
        person = Person(lb.url, seeded.tokens[email], ledger, name)
        rng = random.Random(name)
        try:
            while not stop.is_set():
                try:
                    step(person, rng)
                except Lost as exc:
                    # A connection to the killed instance; the next one goes to the other.
                    if not killed.is_set():
                        lost_before_kill.append(str(exc))
        finally:
            person.close()

    def delegate(delegation: str | None) -> Any:
        return lambda person, rng: member_step(
            person, rng, codes, proposals, delegation=delegation, reads=0
        )

    def decide(person: Person, rng: random.Random) -> None:
        if proposals:
            person.decide(rng.choice(proposals[-10:]))
        else:
            time.sleep(0.02)

    clients = [
        ("ph", world.member, delegate("PH-SOMTC")),
        ("id", world.member2, delegate(None)),
        ("th", world.member3, delegate(None)),
        ("ph2", world.member, delegate("PH-ACWC")),
        ("edit", world.secretariat, lambda person, rng: person.edit(EDITED)),
        ("decide", world.secretariat2, decide),
    ]
    threads = [threading.Thread(target=client, args=c) for c in clients]
    for t in threads:
        t.start()

    def enough() -> bool:
        with ledger.lock:
            kinds = Counter(x.kind for x in ledger.acked.values())
        both = all(writes_answered(i) for i in (a, b))
        return both and sum(kinds.values()) >= WRITES_BEFORE_KILL and len(kinds) >= 4

    try:
        wait_for("writes acknowledged by both instances", enough, timeout=BURST_SECONDS)
        killed.set()
        a.kill()
        at_kill = len(ledger.acked)
        wait_for(
            "writes acknowledged after the kill",
            lambda: len(ledger.acked) >= at_kill + WRITES_AFTER_KILL,
            timeout=BURST_SECONDS,
        )
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a client never finished"
    assert lost_before_kill == [], lost_before_kill
    assert ledger.server_errors == [], ledger.server_errors[:5]
    # The survivor answers every new connection the balancer gives it.
    for _ in range(4):
        assert httpx.get(f"{lb.url}/readyz", timeout=10).status_code == 200
    return ledger


def mail_sent_once(database: Database, smtp: MailServer, world: World) -> None:
    """Every mail written to the outbox (notices of the rounds and decisions to the people who
    want them at once, the password reset) is sent, each by one worker, once."""

    def all_sent() -> list[Any] | None:
        with database.transaction(write=False) as s:
            rows = s.execute(
                select(OutboxMessage.id, OutboxMessage.state, OutboxMessage.attempts)
            ).all()
        if rows and all(r.state is OutboxState.SENT for r in rows):
            return list(rows)
        return None

    wait_for("the workers to send every mail", all_sent)
    # A late second copy would have arrived by now. Mail the last writes queued while the first
    # look was being taken (notices of a late decision) is sent meanwhile: look again after.
    time.sleep(2 * float(WORKER_INTERVAL))
    rows = wait_for("the workers to send every mail", all_sent)
    with smtp.lock:
        received = list(smtp.messages)
    ids = Counter(str(m.message["Message-ID"]) for m in received)
    assert [i for i, n in ids.items() if n > 1] == [], "a mail was sent twice"
    sent_ids = {int(re.search(r"<zerodraft\.(\d+)\.", i).group(1)) for i in ids}  # type: ignore[union-attr]
    # Every message the outbox held was received, and nothing was received that it never held
    # (looked at again after the mailbox: the worker may have sent a later one in between).
    assert {r.id for r in rows} <= sent_ids
    after = wait_for("the workers to send every mail", all_sent)
    assert sent_ids <= {r.id for r in after}
    assert [r.id for r in after if r.attempts != 1] == [], "a message was claimed twice"
    (reset,) = smtp.to(world.observer)
    assert "/password/reset/" in reset.link_to("/password/reset/")
    assert len(smtp.to(world.member)) >= 2, "the notices of the two rounds"
