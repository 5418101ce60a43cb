"""The zerodraft command: serve the app, upgrade the database, load the demo, manage accounts,
export rounds to Word.

Each command parses its options, calls one service in one unit of work and prints the outcome.
Expected failures print one line, "error: ...", on stderr and exit with status 1.
"""

import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from alembic.util.exc import CommandError
from pydantic import ValidationError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, OperationalError
from sqlalchemy.orm import Session

from app import worker as background
from app.accounts import service as accounts
from app.approvals.service import approved_rounds_checked
from app.audit import upgrade as audit_upgrade
from app.audit.guard import open_database
from app.audit.service import Actor, check_trail, verify_chain
from app.backup import schedule as backup_schedule
from app.backup import service as backups
from app.config import Settings
from app.db import utcnow
from app.demo.loader import DEMO_PASSWORD, DemoLogin, demo_logins, is_empty, load_demo
from app.errors import DomainError
from app.groups import service as groups
from app.models import Role
from app.ops import logs
from app.ops import metrics as ops_metrics
from app.rounds import service as rounds

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
CLI_ACTOR = Actor.system(request_id="cli")

app = typer.Typer(
    help="zerodraft: drafting platform of the ASEAN Drafting Working Group.",
    no_args_is_help=True,
    add_completion=False,
    # Locals may hold passwords and tokens: never print them in a traceback.
    pretty_exceptions_show_locals=False,
)
db_app = typer.Typer(help="Manage the database schema.", no_args_is_help=True)
user_app = typer.Typer(help="Manage user accounts.", no_args_is_help=True)
token_app = typer.Typer(help="Manage personal API tokens.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(token_app, name="token")
audit_app = typer.Typer(help="Check the audit trail.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
rounds_app = typer.Typer(help="Draft rounds and their deadlines.", no_args_is_help=True)
app.add_typer(rounds_app, name="rounds")
body_app = typer.Typer(help="The group's sectoral bodies (AICHR, SOMTC ...).", no_args_is_help=True)
app.add_typer(body_app, name="body")
delegation_app = typer.Typer(
    help="Delegations: a member state speaking through a body (PH-SOMTC).", no_args_is_help=True
)
app.add_typer(delegation_app, name="delegation")

DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--database",
        metavar="URL",
        help="SQLAlchemy database URL; overrides ZERODRAFT_DATABASE_URL.",
        show_default=False,
    ),
]
EmailOption = Annotated[str, typer.Option("--email", help="The person's e-mail address.")]


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(1)


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def _settings_problem(exc: ValidationError) -> str:
    problems = []
    for err in exc.errors():
        message = str(err["msg"]).removeprefix("Value error, ")
        where = "_".join(str(part) for part in err["loc"]).upper()
        problems.append(f"ZERODRAFT_{where}: {message}" if where else message)
    return "invalid settings: " + "; ".join(problems)


def _database_problem(exc: DBAPIError) -> str:
    detail = _first_line(exc.orig) if exc.orig is not None else _first_line(exc)
    missing_table = "no such table" in detail or (
        "relation" in detail and "does not exist" in detail
    )
    hint = "; run `zerodraft db upgrade` first" if missing_table else ""
    return f"database: {detail}{hint}"


@contextmanager
def _errors() -> Iterator[None]:
    """Turn the failures a user can fix into one line on stderr and exit status 1."""
    try:
        yield
    except DomainError as exc:
        _fail(exc.detail)
    except ValidationError as exc:
        _fail(_settings_problem(exc))
    except OperationalError as exc:
        _fail(_database_problem(exc))
    except DBAPIError as exc:
        _fail(_database_problem(exc))
    except ArgumentError as exc:
        _fail(f"invalid database URL: {_first_line(exc)}")
    except CommandError as exc:
        _fail(f"migration: {_first_line(exc)}")


def _settings(database: str | None) -> Settings:
    return Settings(database_url=database) if database else Settings()


def _shown_url(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


@contextmanager
def _unit_of_work(settings: Settings) -> Iterator[Session]:
    database = open_database(settings)
    try:
        with database.transaction(write=True) as session:
            yield session
    finally:
        database.dispose()


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = DEFAULT_HOST,
    port: Annotated[int, typer.Option(help="Port to listen on.", min=1, max=65535)] = DEFAULT_PORT,
    database: DatabaseOption = None,
    workers: Annotated[
        int,
        typer.Option(
            "--workers",
            metavar="N",
            min=1,
            max=64,
            help="Processes answering requests on the one port, each with its own database "
            "pool (ZERODRAFT_DATABASE_POOL_SIZE each; mind PostgreSQL's max_connections).",
        ),
    ] = 1,
    proxy_headers: Annotated[
        bool | None,
        typer.Option(
            "--proxy-headers/--no-proxy-headers",
            help="Believe X-Forwarded-For and X-Forwarded-Proto, from --forwarded-allow-ips "
            "only. Default: on when those addresses are given.",
            show_default=False,
        ),
    ] = None,
    forwarded_allow_ips: Annotated[
        str | None,
        typer.Option(
            "--forwarded-allow-ips",
            metavar="ADDRESSES",
            help="The reverse proxies' addresses (comma-separated, e.g. 10.0.0.2 or "
            "172.16.0.0/12); overrides ZERODRAFT_FORWARDED_ALLOW_IPS.",
            show_default=False,
        ),
    ] = None,
    graceful_timeout: Annotated[
        int,
        typer.Option(
            "--graceful-timeout",
            metavar="SECONDS",
            min=0,
            help="On SIGTERM, stop accepting and let requests in flight finish for this long, "
            "then close what is left.",
        ),
    ] = 30,
) -> None:
    """Run the web app (pages, API and /docs) with uvicorn. Does not touch the schema: run
    `zerodraft db upgrade` first (once, not from every instance)."""
    import uvicorn

    with _errors():
        settings = _settings(database)
        if forwarded_allow_ips is not None:
            settings = settings.model_copy(update={"forwarded_allow_ips": forwarded_allow_ips})
    if database:
        # The app factory reads its settings from the environment.
        os.environ["ZERODRAFT_DATABASE_URL"] = database
    options: dict[str, Any] = proxy_options(settings)
    if proxy_headers is False:
        options = {"proxy_headers": False, "forwarded_allow_ips": None}
    elif proxy_headers and not options["proxy_headers"]:
        _fail(
            "--proxy-headers needs the proxies' addresses: --forwarded-allow-ips or "
            "ZERODRAFT_FORWARDED_ALLOW_IPS"
        )
    if settings.log_format == "json":
        # The app's request line replaces uvicorn's access log (it names the route, not the
        # path, and the person); uvicorn's own lines go through the JSON handler.
        options |= {"log_config": None, "access_log": False}
    shared_metrics = ops_metrics.prepare_processes(workers)
    logs.configure(settings.log_format)
    typer.echo(
        f"zerodraft ({settings.mode} mode, {_shown_url(settings.effective_database_url)}) "
        f"at http://{host}:{port}, {workers} process{'es' if workers > 1 else ''}"
    )
    try:
        uvicorn.run(
            "app.main:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            timeout_graceful_shutdown=graceful_timeout,
            **options,
        )
    finally:
        shared_metrics.close()


def proxy_options(settings: Settings) -> dict[str, Any]:
    """uvicorn's handling of forwarded headers: believed only from the configured proxies.
    (uvicorn's own default believes any X-Forwarded-For from 127.0.0.1, so a local process or
    a proxy that passes the header through could choose the address throttling counts.)"""
    trusted = settings.forwarded_allow_ips.strip()
    return {"proxy_headers": bool(trusted), "forwarded_allow_ips": trusted or None}


@db_app.command("upgrade")
def db_upgrade(database: DatabaseOption = None) -> None:
    """Create or upgrade the database schema to the latest revision."""
    with _errors():
        settings = _settings(database)
        url = settings.effective_database_url
        done = audit_upgrade.upgrade(settings)
    if done.before == done.after:
        typer.echo(f"database is up to date (revision {done.after}): {_shown_url(url)}")
        return
    typer.echo(
        f"database upgraded from {done.before or 'empty'} to {done.after}: {_shown_url(url)}"
    )
    if done.vouched:
        counted = ", ".join(f"{n} {table}" for table, n in done.vouched.items())
        typer.echo(f"audit event {done.event_id} records the rows the upgrade rewrote: {counted}")
    if done.not_vouched:
        typer.echo(
            f"warning: the rows the upgrade rewrote are not recorded in the audit trail, as it "
            f"did not verify before the upgrade ({done.not_vouched}); run `zerodraft audit "
            "verify`",
            err=True,
        )


def _print_logins(logins: list[DemoLogin]) -> None:
    email_width = max(len(login.email) for login in logins)
    typer.echo(f"  {'E-MAIL':<{email_width}}  {'ROLE':<12}  DELEGATION")
    for login in logins:
        delegations = ", ".join(login.delegations) or "-"
        typer.echo(f"  {login.email:<{email_width}}  {login.role.value:<12}  {delegations}")


@app.command()
def demo(database: DatabaseOption = None) -> None:
    """Load the demo working group into an empty database (never in production mode)."""
    with _errors():
        settings = _settings(database)
        if settings.mode == "production":
            _fail("the demo is not loaded in production mode")
        with _unit_of_work(settings) as session:
            loaded = is_empty(session)
            logins = load_demo(session, now=utcnow()) if loaded else demo_logins(session)
    url = f"http://{DEFAULT_HOST}:{DEFAULT_PORT}"
    if not loaded:
        typer.echo("database already has data; demo not loaded")
        if logins:
            typer.echo(f"\nDemo log-ins at {url}:\n")
            _print_logins(logins)
            typer.echo(f"\nDemo password (unless changed since): {DEMO_PASSWORD}")
        return
    typer.echo(f"Demo working group loaded into {_shown_url(settings.effective_database_url)}")
    typer.echo(f"\nOpen {url} and log in as one of:\n")
    _print_logins(logins)
    typer.echo(f"\nPassword for every demo account: {DEMO_PASSWORD}")
    typer.echo(
        "\nRounds: DWG-FC/ZD (decided, superseded) and DWG-FC/Rev.1 (open for input). "
        "Try:\n  zerodraft export latest --variant redline --comments -o rev1-redline.docx"
    )


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            _fail("no password on standard input")
        return password
    password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    return str(password)


@user_app.command("add")
def user_add(
    email: EmailOption,
    name: Annotated[str, typer.Option("--name", help="Full name, as shown to others.")],
    role: Annotated[Role, typer.Option("--role", help="What the person may do.")],
    delegation: Annotated[
        list[str] | None,
        typer.Option(
            "--delegation",
            metavar="CODE",
            help="Delegation the person speaks for, e.g. PH-SOMTC; repeat for several.",
            show_default=False,
        ),
    ] = None,
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input.")
    ] = False,
    database: DatabaseOption = None,
) -> None:
    """Add a person who can log in. Asks for the password twice unless --password-stdin."""
    with _errors():
        settings = _settings(database)
        password = _read_password(password_stdin)
        with _unit_of_work(settings) as session:
            user = accounts.add_user(
                session,
                CLI_ACTOR,
                email=email,
                name=name,
                role=role,
                password=password,
                delegation_codes=[code.upper() for code in delegation or []],
                now=utcnow(),
            )
            added = f"added {user.role.value} {user.email} ({user.name})"
    codes = ", ".join(code.upper() for code in delegation or [])
    typer.echo(added + (f" for {codes}" if codes else ""))


@user_app.command("disable")
def user_disable(email: EmailOption, database: DatabaseOption = None) -> None:
    """Disable an account and end its log-in sessions; its API tokens stop working."""
    with _errors(), _unit_of_work(_settings(database)) as session:
        user = accounts.disable_user(session, CLI_ACTOR, email=email, now=utcnow())
        disabled = user.email
    typer.echo(f"disabled {disabled}")


@user_app.command("import")
def user_import(
    file: Annotated[
        Path,
        typer.Argument(
            metavar="FILE", help="The roster: CSV with e-mail, name, role and delegation codes."
        ),
    ],
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Check and print every row; invite nobody.")
    ] = False,
    database: DatabaseOption = None,
) -> None:
    """Invite everyone on a roster at once, or nobody: prints one line per row, and exits 1
    naming every row with a problem. Columns (a header row names them, in any order): email,
    name, role (empty: member), delegations (codes separated by spaces, ; or |)."""
    from app.people import roster

    try:
        with file.open("rb") as opened:
            data = opened.read(roster.MAX_BYTES + 1)
    except OSError as exc:
        _fail(f"cannot read {file}: {exc.strerror or _first_line(exc)}")
    with _errors():
        settings = _settings(database)
        with _unit_of_work(settings) as session:
            found = roster.read(session, data, inviter_role=None)
            if found.ok and not dry_run:
                roster.confirm(
                    session, CLI_ACTOR, data, inviter_role=None, now=utcnow(), settings=settings
                )
    for line in found.report():
        typer.echo(line)
    count = len(found.rows)
    people = f"{count} {'person' if count == 1 else 'people'}"
    if not found.ok:
        bad = sum(1 for r in found.rows if not r.ok)
        _fail(f"{bad} of {count} rows have problems (above); nobody was invited")
    if dry_run:
        typer.echo(f"dry run: {people} would be invited; nobody was")
    else:
        typer.echo(f"invited {people}; each has an invitation mail in the outbox")


BodyCodeOption = Annotated[str, typer.Option("--code", metavar="CODE", help="e.g. SOMTC.")]
DelegationCodeOption = Annotated[
    str, typer.Option("--code", metavar="CODE", help="The delegation's code, e.g. PH-SOMTC.")
]


@body_app.command("add")
def body_add(
    code: BodyCodeOption,
    name: Annotated[str, typer.Option("--name", help="The body's full name.")],
    database: DatabaseOption = None,
) -> None:
    """Add a sectoral body."""
    with _errors(), _unit_of_work(_settings(database)) as session:
        body = groups.add_body(session, CLI_ACTOR, code=code, name=name, now=utcnow())
        line = f"added body {body.code} ({body.name})"
    typer.echo(line)


@body_app.command("rename")
def body_rename(
    code: BodyCodeOption,
    name: Annotated[str, typer.Option("--name", help="The new name; the code stays.")],
    database: DatabaseOption = None,
) -> None:
    """Rename a body; its code never changes."""
    with _errors(), _unit_of_work(_settings(database)) as session:
        body = groups.rename_body(session, CLI_ACTOR, code=code, name=name, now=utcnow())
        line = f"body {body.code} is now named {body.name}"
    typer.echo(line)


@body_app.command("retire")
def body_retire(code: BodyCodeOption, database: DatabaseOption = None) -> None:
    """Retire a body: it takes no new delegations. Nothing is deleted."""
    with _errors(), _unit_of_work(_settings(database)) as session:
        body = groups.retire_body(session, CLI_ACTOR, code=code, now=utcnow())
        line = f"retired body {body.code}"
    typer.echo(line)


@body_app.command("reinstate")
def body_reinstate(code: BodyCodeOption, database: DatabaseOption = None) -> None:
    """Undo a body's retirement."""
    with _errors(), _unit_of_work(_settings(database)) as session:
        body = groups.reinstate_body(session, CLI_ACTOR, code=code, now=utcnow())
        line = f"reinstated body {body.code}"
    typer.echo(line)


@body_app.command("list")
def body_list(database: DatabaseOption = None) -> None:
    """Print the bodies, active ones first."""
    with _errors(), _unit_of_work(_settings(database)) as session:
        rows = groups.bodies(session)
    if not rows:
        typer.echo("no body yet; add one with `zerodraft body add --code CODE --name NAME`")
        return
    width = max(len(r.code) for r in rows)
    typer.echo(f"{'CODE':<{width}}  {'STATUS':<20}  DELEGATIONS  NAME")
    for r in rows:
        status = f"retired {r.retired_at:%Y-%m-%d}" if r.retired_at else "active"
        typer.echo(f"{r.code:<{width}}  {status:<20}  {r.delegations:>11}  {r.name}")


@delegation_app.command("add")
def delegation_add(
    state: Annotated[str, typer.Option("--state", metavar="XX", help="Member state, e.g. PH.")],
    body: Annotated[str, typer.Option("--body", metavar="CODE", help="Body, e.g. SOMTC.")],
    title: Annotated[
        str | None,
        typer.Option("--title", help="A name; default: '<member state> - <body code>'."),
    ] = None,
    database: DatabaseOption = None,
) -> None:
    """Add a delegation: a member state speaking through a body; its code is XX-CODE."""
    with _errors(), _unit_of_work(_settings(database)) as session:
        added = groups.add_delegation(
            session, CLI_ACTOR, state_code=state, body_code=body, title=title, now=utcnow()
        )
        line = f"added delegation {added.code}"
    typer.echo(line)


@delegation_app.command("rename")
def delegation_rename(
    code: DelegationCodeOption,
    title: Annotated[
        str, typer.Option("--title", help="The new name; empty: '<member state> - <body code>'.")
    ],
    database: DatabaseOption = None,
) -> None:
    """Give a delegation a name; its code never changes."""
    with _errors(), _unit_of_work(_settings(database)) as session:
        d = groups.rename_delegation(session, CLI_ACTOR, code=code, title=title, now=utcnow())
        line = (
            f"delegation {d.code} is now named {d.title}"
            if d.title
            else f"delegation {d.code} has its default name again"
        )
    typer.echo(line)


@delegation_app.command("retire")
def delegation_retire(code: DelegationCodeOption, database: DatabaseOption = None) -> None:
    """Retire a delegation: nobody can act for it or join it; everything it said stays."""
    with _errors(), _unit_of_work(_settings(database)) as session:
        d = groups.retire_delegation(session, CLI_ACTOR, code=code, now=utcnow())
        line = f"retired delegation {d.code}"
    typer.echo(line)


@delegation_app.command("reinstate")
def delegation_reinstate(code: DelegationCodeOption, database: DatabaseOption = None) -> None:
    """Undo a delegation's retirement."""
    with _errors(), _unit_of_work(_settings(database)) as session:
        d = groups.reinstate_delegation(session, CLI_ACTOR, code=code, now=utcnow())
        line = f"reinstated delegation {d.code}"
    typer.echo(line)


@delegation_app.command("list")
def delegation_list(
    include_retired: Annotated[
        bool, typer.Option("--all", help="Include retired delegations.")
    ] = False,
    database: DatabaseOption = None,
) -> None:
    """Print the delegations with how many active people belong to each."""
    with _errors(), _unit_of_work(_settings(database)) as session:
        rows = groups.delegations(session, include_retired=include_retired)
    if not rows:
        typer.echo(
            "no delegation yet; add one with `zerodraft delegation add --state XX --body CODE`"
        )
        return
    width = max(len(r.code) for r in rows)
    typer.echo(f"{'CODE':<{width}}  {'STATUS':<20}  PEOPLE  NAME")
    for r in rows:
        status = f"retired {r.retired_at:%Y-%m-%d}" if r.retired_at else "active"
        typer.echo(f"{r.code:<{width}}  {status:<20}  {r.members:>6}  {r.name}")


@token_app.command("create")
def token_create(
    email: EmailOption,
    name: Annotated[str, typer.Option("--name", help="What the token is for.")] = "CLI token",
    days: Annotated[
        int,
        typer.Option(
            "--days", min=1, max=accounts.MAX_TOKEN_DAYS, help="How many days the token works."
        ),
    ] = accounts.TOKEN_DAYS,
    database: DatabaseOption = None,
) -> None:
    """Create a personal API token; it is printed once, as the last line."""
    with _errors(), _unit_of_work(_settings(database)) as session:
        user = accounts.get_user_by_email(session, email)
        token, raw = accounts.create_token(
            session, CLI_ACTOR, user=user, name=name, now=utcnow(), days=days
        )
        heading = (
            f"API token {token.name!r} for {user.email}, working until "
            f"{token.expires_at:%Y-%m-%d %H:%M} UTC (shown only now; use as Bearer):"
        )
    typer.echo(heading)
    typer.echo(raw)


AnchorOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--anchor",
        metavar="FILE",
        help="An anchor file to check (repeat for several app instances); default: "
        "ZERODRAFT_AUDIT_ANCHOR, else audit-anchor.log in the data folder.",
        show_default=False,
    ),
]


@audit_app.command("verify")
def audit_verify(database: DatabaseOption = None, anchor: AnchorOption = None) -> None:
    """Re-compute the audit trail's keyed hash chain, compare its end with the anchor file and
    every content row with what the trail last recorded for it; exit 1 naming each problem."""
    with _errors():
        settings = _settings(database)
        db = open_database(settings, pool_size=1)
        try:
            # A read transaction: a long trail is checked without holding SQLite's write lock.
            with db.transaction(write=False) as session:
                check = check_trail(
                    session,
                    anchor or [settings.audit_anchor_path],
                    require_anchor=settings.mode == "production",
                )
        finally:
            db.dispose()
    for problem in check.problems:
        typer.echo(f"error: {problem}", err=True)
    for note in check.notes:
        typer.echo(f"note: {note}", err=True)
    if check.problems:
        raise typer.Exit(1)
    found = check.walk
    typer.echo(f"audit chain verified: {found.count} events, unbroken")
    if found.unkeyed:
        typer.echo(f"events 1-{found.unkeyed} were written before the audit key (plain SHA-256)")
    typer.echo(f"content rows: every one the trail recorded matches ({len(found.rows)} recorded)")


@rounds_app.command("tick")
def rounds_tick(database: DatabaseOption = None) -> None:
    """Apply passed deadlines: close rounds past their input deadline, adopt texts whose silence
    procedure ended unbroken. Prints one line per round changed."""
    with _errors(), _unit_of_work(_settings(database)) as session:
        changed = rounds.tick(session, utcnow(), request_id="cli")
    for line in changed:
        typer.echo(line)
    if not changed:
        typer.echo("no round had a deadline to apply", err=True)


@app.command("worker")
def worker_command(
    once: Annotated[
        bool, typer.Option("--once", help="Do one pass of everything that is due, then exit.")
    ] = False,
    interval: Annotated[
        float,
        typer.Option("--interval", metavar="SECONDS", min=0.5, help="Seconds between passes."),
    ] = 5.0,
    database: DatabaseOption = None,
) -> None:
    """Run the background work: round deadlines (as `rounds tick`), reminders 48 and 24 hours
    before a deadline, notification mail and digests, delivery of the outbox over SMTP, and
    scheduled backups with ZERODRAFT_BACKUP_DIR (see `zerodraft backups`). Several workers may
    run at once. Stops after the current message on SIGTERM or Ctrl-C."""
    with _errors():
        settings = _settings(database)
        db = open_database(settings, pool_size=2)
        try:
            if once:
                done = background.run_once(db, settings, utcnow)
                lines = done.lines() + [line for line in [done.delivery.held_line] if line]
                for line in lines:
                    typer.echo(line, err=line.startswith("error: "))
                if not lines:
                    typer.echo("nothing was due", err=True)
                if done.failures:
                    raise typer.Exit(1)
                return
            mail = (
                f"SMTP {settings.smtp_host}:{settings.smtp_port}"
                if settings.mail_enabled
                else "kept in the outbox (no ZERODRAFT_SMTP_HOST)"
            )
            planned = backup_schedule.Schedule.of(settings)
            typer.echo(
                f"zerodraft worker on {_shown_url(settings.effective_database_url)}, a pass "
                f"every {interval:g} s; mail: {mail}; backups: "
                + (planned.describe() if planned else "none (no ZERODRAFT_BACKUP_DIR)")
            )
            stop = threading.Event()
            for signum in (signal.SIGTERM, signal.SIGINT):
                signal.signal(signum, lambda *_: stop.set())

            def report(line: str) -> None:
                typer.echo(f"{utcnow():%Y-%m-%d %H:%M:%S}Z {line}")

            background.run(db, settings, utcnow, stop=stop, interval=interval, report=report)
            typer.echo("worker stopped")
        finally:
            db.dispose()


BackupFile = Annotated[Path, typer.Argument(metavar="FILE", help="The backup file (a zip).")]


@app.command()
def backup(file: BackupFile, database: DatabaseOption = None) -> None:
    """Write a consistent, portable backup of every table; the service may keep running."""
    with _errors():
        url = _settings(database).effective_database_url
        done = backups.backup(url, file, now=utcnow())
    typer.echo(
        f"backup of {_shown_url(url)} written to {file}: {done.rows} rows in "
        f"{len(done.tables)} tables, schema revision {done.schema_revision}"
    )


def _size(count: int) -> str:
    if count < 1024:
        return f"{count} bytes"
    amount = count / 1024
    for unit in ("KB", "MB"):
        if amount < 1024:
            return f"{amount:.1f} {unit}"
        amount /= 1024
    return f"{amount:.1f} GB"


@app.command("backups")
def backups_command(
    folder: Annotated[
        Path | None,
        typer.Option(
            "--dir",
            metavar="FOLDER",
            help="The folder to list; default: ZERODRAFT_BACKUP_DIR.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """List the backups in the backup folder, oldest first: when each was taken, its size, rows
    and schema revision; and the schedule the worker follows."""
    with _errors():
        settings = Settings()
        folder = folder or settings.backup_dir
        if folder is None:
            _fail("no backup folder: set ZERODRAFT_BACKUP_DIR or give --dir")
        found = backup_schedule.listing(folder)
        planned = backup_schedule.Schedule.of(settings)
    for listed in found:
        kind = "scheduled" if listed.scheduled else "by hand"
        if listed.problem is not None or listed.created_at is None:
            typer.echo(f"{listed.path.name}  {_size(listed.size)}  UNREADABLE: {listed.problem}")
            continue
        typer.echo(
            f"{listed.path.name}  taken {listed.created_at:%Y-%m-%d %H:%M} UTC  "
            f"{_size(listed.size)}  {listed.rows} rows  schema {listed.schema_revision}  ({kind})"
        )
    if not found:
        typer.echo(f"no backups in {folder}", err=True)
    typer.echo(
        "schedule: "
        + (planned.describe() if planned else "none (ZERODRAFT_BACKUP_DIR is not set)"),
        err=True,
    )


@app.command()
def restore(file: BackupFile, database: DatabaseOption = None) -> None:
    """Load a backup into an empty database of either engine (its schema is created if
    missing), then check the audit chain and every approved round's hash."""
    with _errors():
        url = _settings(database).effective_database_url
        done = backups.restore(url, file)
        with _unit_of_work(_settings(url)) as session:
            count, broken = verify_chain(session)
            checked = approved_rounds_checked(session)
        mismatched = [r.symbol for r, check in checked if not check.matches]
    typer.echo(
        f"restored {done.rows} rows in {done.tables} tables into {_shown_url(url)} "
        f"(schema revision {done.schema_revision}{', schema created' if done.migrated else ''})"
    )
    if broken is not None:
        _fail(f"restored, but the audit chain is broken at event {broken.seq}: {broken.problem}")
    if mismatched:
        _fail(f"restored, but the hash of approved round(s) {', '.join(mismatched)} does not match")
    typer.echo(f"audit chain verified: {count} events, unbroken")
    typer.echo(f"approved rounds: {len(checked)}, every stored hash matches its text")


VariantOption = Annotated[
    str,
    typer.Option(
        "--variant",
        metavar="V",
        help="clean, redline, compilation or responses.",
        show_default=False,
    ),
]


def _check_template(path: Path) -> bytes:
    """An operator's template: any path, but a .docx that python-docx can open."""
    import io

    import docx

    if path.suffix.lower() != ".docx":
        _fail(f"template {path} is not a .docx file")
    try:
        data = path.read_bytes()
    except OSError as exc:
        _fail(f"template {path}: {exc.strerror or _first_line(exc)}")
    try:
        docx.Document(io.BytesIO(data))
    except Exception as exc:  # python-docx raises several kinds for a broken package
        _fail(f"template {path} is not a Word document python-docx can read ({type(exc).__name__})")
    return data


@app.command("export")
def export_command(
    round_ref: Annotated[
        str, typer.Argument(metavar="ROUND", help="A round's symbol, its id, or `latest`.")
    ],
    variant: VariantOption,
    output: Annotated[
        Path, typer.Option("-o", "--output", metavar="FILE", help="Where to write the .docx.")
    ],
    base: Annotated[
        str | None,
        typer.Option(
            "--base",
            metavar="ROUND",
            help="Redline: the earlier round (default: the one this round follows).",
            show_default=False,
        ),
    ] = None,
    comments: Annotated[
        bool, typer.Option("--comments", help="Include the open comment threads.")
    ] = False,
    template: Annotated[
        Path | None,
        typer.Option(
            "--template",
            metavar="FILE",
            help="Another reference template (.docx) than drafts/templates'.",
            show_default=False,
        ),
    ] = None,
    database: DatabaseOption = None,
) -> None:
    """Export a round to Word; prints the file, its size and its SHA-256."""
    from app.rounds.export import check_exportable, check_variant, export_round, find_round

    with _errors():
        chosen = check_variant(variant)
    template_data = _check_template(template) if template is not None else None
    folder = output.parent if str(output.parent) else Path(".")
    if output.is_dir():
        _fail(f"cannot write {output}: it is a folder")
    if not folder.is_dir():
        _fail(f"cannot write {output}: no folder {folder}")
    if not os.access(folder, os.W_OK) or (output.exists() and not os.access(output, os.W_OK)):
        _fail(f"cannot write {output}: permission denied")
    with _errors():
        settings = _settings(database)
        with _unit_of_work(settings) as session:
            r = find_round(session, round_ref)
            check_exportable(r)
            if base:
                find_round(session, base)
            with typer.progressbar(length=1, label=f"{r.symbol} {chosen}", file=sys.stderr) as bar:
                done = 0

                def progress(at: int, total: int) -> None:
                    nonlocal done
                    bar.length = max(total, 1)
                    if at > done:
                        bar.update(at - done)
                        done = at

                exported = export_round(
                    session,
                    r,
                    chosen,
                    working_group=settings.working_group_name,
                    signing_key=settings.secret_key,
                    base=base,
                    include_comments=comments,
                    template=template_data,
                    progress=progress,
                )
    try:
        output.write_bytes(exported.data)
    except OSError as exc:
        _fail(f"cannot write {output}: {exc.strerror or _first_line(exc)}")
    typer.echo(f"{exported.symbol} {chosen}: {output} ({len(exported.data)} bytes)")
    typer.echo(f"sha256 {exported.sha256}")


@app.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(metavar="FILE", help="The Word file (.docx).")],
    delegation: Annotated[
        str | None,
        typer.Option(
            "--delegation",
            metavar="CODE",
            help="The delegation a returned copy is imported for, e.g. PH-SOMTC.",
            show_default=False,
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Print the preview; change nothing.")
    ] = False,
    author: Annotated[
        list[str] | None,
        typer.Option(
            "--author",
            metavar="NAME=CODE",
            help="Who an author of a Word draft's tracked changes and comments is: a "
            "delegation's code, 'secretariat' or 'skip' (repeatable).",
            show_default=False,
        ),
    ] = None,
    personal_data_checked: Annotated[
        bool,
        typer.Option(
            "--personal-data-checked",
            help="Confirm although the preview lists possible personal data: you checked it "
            "is not personal data, or that it is needed.",
        ),
    ] = False,
    database: DatabaseOption = None,
) -> None:
    """Import a returned copy of a round (its delegation's proposals and comments) or a draft
    written in Word, as the secretariat; prints the preview, then what was created."""
    from app.imports.command import author_choices, run

    with _errors():
        outcome = run(
            _settings(database),
            file,
            delegation=delegation,
            dry_run=dry_run,
            now=utcnow(),
            authors=author_choices(author),
            personal_data_checked=personal_data_checked,
        )
    for line in outcome.lines:
        typer.echo(line)


@app.command("screen")
def screen_command(
    round_ref: Annotated[
        str, typer.Argument(metavar="ROUND", help="A round's symbol, its id, or `latest`.")
    ],
    database: DatabaseOption = None,
) -> None:
    """Screen every case study through a round's indicators and the 2009 rule: one line per case
    study (its reference and identified, not identified or insufficient), then sensitivity and
    specificity against the experts' reference outcomes."""
    from app.screening.cli import screen_lines

    with _errors():
        settings = _settings(database)
        with _unit_of_work(settings) as session:
            lines = screen_lines(session, round_ref)
    for line in lines:
        typer.echo(line)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
