"""Flask CLI commands: admin set-up, key rotation, and the worker and scheduler processes."""

import getpass
import logging

import click
from flask.cli import with_appcontext
from sqlalchemy import select

from autoorder import crypto
from autoorder.extensions import db
from autoorder.models import Team, User


def register(app):
    for command in (
        create_admin,
        make_operator,
        rotate_keys,
        worker,
        scheduler,
        seed_demo,
        add_credit_package,
        suppliers_group,
        bots_group,
        orders_group,
        credits_group,
    ):
        app.cli.add_command(command)


def _log_to_stderr():
    """One log line per record for the long-running processes (Flask's own handler would repeat
    every ``autoorder.*`` record that the root handler prints)."""
    from flask import current_app
    from flask.logging import default_handler

    current_app.logger.removeHandler(default_handler)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("rq.worker").addFilter(_quiet_periodic_duties)


def _quiet_periodic_duties(record: logging.LogRecord) -> bool:
    """RQ logs three lines for every job; the periodic duties run every few seconds, so their
    routine lines would drown the log (their failures are still logged)."""
    message = record.getMessage()
    routine = "periodic-" in message or "autoorder.jobs.tick." in message
    return not (record.levelno <= logging.INFO and routine)


@click.command("create-admin")
@with_appcontext
@click.option("--email", required=True)
@click.option("--team", "team_name", default="My team", show_default=True)
@click.option(
    "--password",
    envvar="AUTOORDER_ADMIN_PASSWORD",
    help="Read from AUTOORDER_ADMIN_PASSWORD, else asked for.",
)
@click.option("--if-missing", is_flag=True, help="Do nothing if the user exists.")
@click.option(
    "--operator/--no-operator",
    default=None,
    help="Make the user the server operator (default: only if there is no operator yet).",
)
def create_admin(email, team_name, password, if_missing, operator):
    """Create an admin user and their team; the first one is also the server operator."""
    email = email.strip().lower()
    if db.session.scalar(select(User).where(User.email == email)) is not None:
        if if_missing:
            click.echo(f"user {email} exists; nothing to do")
            return
        raise click.ClickException(f"user {email} already exists")
    if not password:
        password = getpass.getpass("Password for the new admin: ")
    if operator is None:
        operator = db.session.scalar(select(User.id).where(User.is_operator).limit(1)) is None
    team = Team(name=team_name)
    user = User(team=team, email=email, role="admin", is_operator=operator)
    try:
        user.set_password(password)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.add_all([team, user])
    db.session.commit()
    role = "admin and server operator" if operator else "admin"
    click.echo(f"created {role} {email} in team {team_name!r} (team id {team.id})")


@click.command("make-operator")
@with_appcontext
@click.argument("email")
@click.option("--revoke", is_flag=True, help="Take the operator role away instead.")
def make_operator(email, revoke):
    """Make an existing user a server operator (or, with --revoke, no longer one)."""
    user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise click.ClickException(f"no user {email.strip().lower()}")
    if revoke and user.is_operator:
        others = db.session.scalar(
            select(User.id).where(User.is_operator, User.active, User.id != user.id).limit(1)
        )
        if others is None:
            raise click.ClickException(f"{user.email} is the last active operator")
    user.is_operator = not revoke
    db.session.commit()
    click.echo(f"{user.email} is {'no longer' if revoke else 'now'} a server operator")


@click.command("rotate-keys")
@with_appcontext
def rotate_keys():
    """Re-encrypt every stored secret under the first key of FERNET_KEYS.

    Put the new key first and keep the old ones after it, run this, then remove the old keys.
    """
    with db.engine.begin() as connection:
        count = crypto.rotate_all(connection, db.metadata)
    click.echo(f"re-encrypted {count} stored secret(s) under the first key")


@click.command("worker")
@with_appcontext
@click.option("--queues", default="orders,tracking,default", show_default=True)
@click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
@click.option("--name", default=None)
@click.option(
    "--fork",
    is_flag=True,
    help="Run each job in a forked work-horse (RQ's default; a new browser per order job).",
)
@click.option(
    "--scheduler/--no-scheduler",
    "with_scheduler",
    default=True,
    show_default=True,
    help="Also move due scheduled jobs to their queues (RQ runs this in one worker at a time).",
)
def worker(queues, burst, name, fork, with_scheduler):
    """Run an RQ worker (with its scheduler) on the app's queues.

    By default jobs run in the worker process itself, so its browser is reused across orders.
    """
    from flask import current_app

    from autoorder.queues import get_queue, redis_connection
    from autoorder.worker import AppWorker, ForkingAppWorker, work_forever

    _log_to_stderr()
    connection = redis_connection()
    names = [q.strip() for q in queues.split(",") if q.strip()]
    worker_class = ForkingAppWorker if fork else AppWorker
    app = current_app._get_current_object()

    def make_worker():
        return worker_class(
            [get_queue(n, connection) for n in names], connection=connection, name=name, app=app
        )

    work_forever(make_worker, with_scheduler=with_scheduler, burst=burst)


@click.command("scheduler")
@with_appcontext
@click.option(
    "--interval",
    default=1,
    show_default=True,
    help="Seconds between scheduler polls (how late a job scheduled for a time may start).",
)
def scheduler(interval):
    """Register the periodic jobs, then run the scheduler: rq-scheduler's periodic jobs and RQ's
    promotion of jobs scheduled for a time (so workers can run with --no-scheduler)."""
    from autoorder.jobs.schedule import AppScheduler
    from autoorder.queues import redis_connection

    _log_to_stderr()
    from autoorder.jobs.schedule import periodic_jobs

    definitions = periodic_jobs()
    s = AppScheduler(connection=redis_connection(), interval=interval, periodic=definitions)
    s.run_forever()  # registers the periodic jobs (removing outdated ones) once Redis answers


@click.command("seed-demo")
@with_appcontext
@click.option("--admin-email", required=True)
@click.option("--shop-url", required=True)
@click.option("--ebay-url", required=True)
@click.option(
    "--sales-every", type=float, default=None, help="Seconds between generated eBay sales."
)
@click.option("--aliexpress-url", default=None, help="The AliExpress replica (sandbox/aliexpress).")
def seed_demo(admin_email, shop_url, ebay_url, sales_every, aliexpress_url):
    """Create the demo's suppliers, bots, listings, credits and eBay connection (idempotent)."""
    from autoorder import demo

    demo.seed(
        admin_email=admin_email,
        shop_url=shop_url,
        ebay_url=ebay_url,
        sales_every=sales_every,
        aliexpress_url=aliexpress_url,
    )
    click.echo("demo data ready")


@click.command("add-credit-package")
@with_appcontext
@click.option("--name", required=True)
@click.option("--credits", "count", type=click.IntRange(min=1), required=True)
@click.option("--price", required=True, help="e.g. 9.00")
@click.option("--currency", default="USD", show_default=True)
def add_credit_package(name, count, price, currency):
    """Offer a credits package to every team on this server."""
    from decimal import Decimal, InvalidOperation

    from autoorder.models import CreditPackage

    try:
        amount = Decimal(price)
    except InvalidOperation as exc:
        raise click.ClickException("--price must be a number such as 9.00") from exc
    package = CreditPackage(name=name, credits=count, price=amount, currency=currency.upper())
    db.session.add(package)
    db.session.commit()
    click.echo(f"package {package.id} {name!r}: {count} credits for {amount} {currency.upper()}")


@click.group("suppliers")
def suppliers_group():
    """Supplier rows, made from the adapters in the code."""


@suppliers_group.command("sync")
@click.option(
    "--base-url",
    "base_urls",
    multiple=True,
    metavar="KEY=URL",
    help="point a supplier at another site (a replica, a country site); kept by later syncs",
)
@with_appcontext
def suppliers_sync(base_urls):
    """Create/update one Supplier row per registered adapter (run by the Procfile's release)."""
    from autoorder import suppliers

    try:
        pairs = dict(item.split("=", 1) for item in base_urls)
        outcome = suppliers.sync(pairs)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    for key, what in outcome.items():
        click.echo(f"{key}: {what}")


@click.group("orders")
def orders_group():
    """Sales: their search index and status counts."""


@orders_group.command("reindex")
@click.option(
    "--check", is_flag=True, help="only compare the counts with the orders; exit 1 if off"
)
@with_appcontext
def orders_reindex(check):
    """Rebuild every sale's search text, the SQLite search table and the per-status counts from
    the orders (after a bulk import, or a repair). Safe while workers run."""
    from autoorder import order_index

    if check:
        wrong = order_index.check_counts()
        for team_id, status, tracking, counted, actual in wrong:
            click.echo(f"team {team_id} {status}/{tracking}: counted {counted}, actual {actual}")
        if wrong:
            raise click.ClickException(f"{len(wrong)} status counts differ from the orders")
        click.echo("status counts agree with the orders")
        return
    outcome = order_index.rebuild()
    click.echo(f"search text updated on {outcome['search_text_updated']} sales; counts rebuilt")


@click.group("credits")
def credits_group():
    """Auto-order credits: the teams' balances."""


@credits_group.command("recompute")
@click.option(
    "--check", is_flag=True, help="only compare the balances with the ledger; exit 1 if off"
)
@with_appcontext
def credits_recompute(check):
    """Recompute every team's credit balance from its ledger (the ledger is the truth; the
    balance is kept in step with it on every entry). Safe while workers run."""
    from autoorder import credits

    wrong = credits.check_balances()
    for team_id, kept, summed in wrong:
        click.echo(f"team {team_id}: balance {kept}, ledger sum {summed}")
    if check:
        if wrong:
            raise click.ClickException(f"{len(wrong)} credit balances differ from the ledger")
        click.echo("credit balances agree with the ledger")
        return
    credits.recompute_balances()
    click.echo(f"credit balances recomputed ({len(wrong)} were off)")


@click.group("bots")
def bots_group():
    """Order bots."""


@bots_group.command("check")
@click.argument("bot_id", type=int)
@with_appcontext
def bots_check(bot_id):
    """Dry-run BOT_ID's checkout to the review page (never places an order); report each step."""
    from autoorder.jobs.canary import STEP_NAMES, canary_folder, check_checkout

    result = check_checkout(bot_id)
    if result.get("code") == "missing":
        raise click.UsageError(f"no bot {bot_id}")
    done = {s["name"]: s for s in result.get("steps", [])}
    for name in STEP_NAMES:
        step = done.get(name)
        if step is None:
            click.echo(f"  -      {name}")
        elif step["ok"]:
            click.echo(f"  ok     {name}")
        else:
            click.echo(f"  FAILED {name}: {step.get('code')}: {step.get('message')}")
    if result.get("total"):
        click.echo(f"review total: {result['total']} (stopped before place-order)")
    for kind, name in (result.get("files") or {}).items():
        click.echo(f"{kind}: {canary_folder(bot_id) / name}")
    if not result["ok"]:
        if result.get("message") and not any(not s["ok"] for s in result.get("steps", [])):
            click.echo(result["message"])
        raise SystemExit(1)
