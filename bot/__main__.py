"""Command line: `python -m bot [COMMAND]`.

python -m bot                         the channels whose tokens are set, else the demo
python -m bot demo [--as CODE|--unlinked] [--size N]
                                      console demo on a seeded demo province
python -m bot run telegram|zalo|console
                                      serve one channel
python -m bot run zalo-oa             serve the Zalo Official Account (webhook)
python -m bot zalo-oa set-token|exchange-code CODE|status
                                      the OA's OAuth tokens (docs/zalo-oa.md)
python -m bot run all                 serve Telegram, Zalo, the Zalo OA (those configured) together
python -m bot send                    send due notices (the outbox sender alone)
python -m bot scheduler               plan notices on a clock (the scheduler alone)
python -m bot plan                    run the planning jobs once, now
python -m bot plan YEAR [--out FILE]  the year's training plan (demand, courses, balance) as .xlsx
python -m bot national NAME=URL… [--from FILE] [--year Y]
                                      compliance summed over provinces' databases (read-only)
python -m bot db upgrade              apply migrations (once per release; under a lock)
python -m bot seed-demo [--size N]    create the demo province (idempotent)
python -m bot import officials FILE [--skip-bad-rows]
python -m bot link-code EMPLOYEE_CODE [--days N]
python -m bot link-codes UNIT_CODE [--out DIR]
python -m bot template KIND [--out FILE]
python -m bot export registrations COURSE_CODE [--out FILE]
                                      a course's registrations (whole province) as .xlsx
python -m bot report year YEAR [--unit UNIT_CODE] [--out FILE]
                                      the year-end report (whole province, or a unit's subtree)
python -m bot notices preview         what planning would send now, per channel (ZNS cost)

Migrations: only `db upgrade` migrates (under a database lock), and the demo commands, which
seed a fresh SQLite file; every other command refuses a database whose schema is not this
release's, with one line saying to run `db upgrade` (README, "Deployment notes").
"""

from __future__ import annotations

from bot import start_gc

if __name__ == "__main__":
    # `python -m bot`: the start's modules load without cyclic-GC passes; main() resumes it.
    start_gc.pause()

import argparse
import asyncio
import logging
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bot.config import ConfigError, Settings
from bot.db import Database, require_current_schema, upgrade
from bot.dispatch import Dispatcher
from bot.logs import configure_logging, redact_secrets
from bot.progress import progress
from locales import _, format_date, format_number, use_locale
from models.imports.kinds import IMPORTERS, after_import
from models.notices.send_window import SendWindow
from models.vocabulary import N_

log = logging.getLogger("bot")


async def open_database(settings: Settings) -> Database:
    """The database of a command that serves or changes production data: the schema must be
    this release's (the migration policy: only `db upgrade` migrates, under its lock)."""
    db = Database.from_settings(settings)
    try:
        await require_current_schema(db)
    except BaseException:
        await db.dispose()
        raise
    return db


def check_schema(settings: Settings) -> None:
    """`open_database` for the commands that start their own event loop later."""

    async def _check() -> None:
        await (await open_database(settings)).dispose()

    asyncio.run(_check())


def use_province(settings: Settings, *, demo: bool) -> None:
    """Compose the national rules with PROVINCE_FILE (the demo's own when a demo command
    runs without one), and refuse to start on a province file that does not compile."""
    import yaml

    from models.demo import PROVINCE_FILE as DEMO_PROVINCE_FILE
    from models.requirements.store import default_catalogue, use_province_file

    path = settings.province_file or (DEMO_PROVINCE_FILE if demo else None)
    use_province_file(path)
    if path is None:
        return  # the shipped national file, checked by the tests
    try:
        default_catalogue()
    except (ValueError, OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"PROVINCE_FILE: {path}: {exc}") from exc


def province_name() -> str:
    from models.requirements.store import default_catalogue

    province = default_catalogue().province
    return province.name if province is not None else _("no province file")


async def show_province(settings: Settings) -> int:
    """The catalogue in force in this database, and where it comes from, for HR to check
    before going live; warns when a stored catalogue hides PROVINCE_FILE."""
    from models.requirements.store import (
        RequirementCatalogue,
        current_catalogue,
        default_catalogue,
        province_file,
    )

    db = await open_database(settings)
    try:
        with use_locale(settings.default_locale):
            async with db.transaction() as session:
                catalogue = await current_catalogue(session)
                stored = await session.scalar(select(RequirementCatalogue.id).limit(1))
            source = (
                _("stored in the database")
                if stored is not None
                else str(province_file() or _("national rules only"))
            )
            province = catalogue.province
            print(
                _(
                    "{province}: catalogue {name} {version} ({file}); {rules} rules, "
                    "{targets} targets."
                ).format(
                    province=province.name if province is not None else _("no province file"),
                    name=catalogue.name,
                    version=catalogue.version,
                    file=source,
                    rules=format_number(len(catalogue.rules)),
                    targets=format_number(len(catalogue.targets)),
                )
            )
            if stored is not None and catalogue.sha256 != default_catalogue().sha256:
                print(
                    _(
                        "This is not the composition of PROVINCE_FILE ({file}). To put it in "
                        "force: python -m bot province load"
                    ).format(file=province_file() or _("national rules only"))
                )
    finally:
        await db.dispose()
    return 0


async def load_province(settings: Settings) -> int:
    """Store the national rules + PROVINCE_FILE as the catalogue in force (where one was
    stored before, e.g. by `rules load` or the demo)."""
    from models.requirements.store import default_document

    return await load_rules(settings, default_document())


def make_dispatcher(settings: Settings, db: Database) -> Dispatcher:
    from bot.metrics import Metrics

    return Dispatcher(db=db, settings=settings, metrics=Metrics())


async def seed_demo(settings: Settings, db: Database) -> None:
    from models.demo.courses import seed_demo_courses
    from models.demo.province import seed_demo_province
    from models.requirements.store import ensure_default_catalogue
    from models.requirements.training_records import seed_demo_training

    today = datetime.now(settings.timezone).date()
    with progress(_("Creating the demo province"), total=5) as advance:
        async with db.transaction() as session:
            summary = await seed_demo_province(session, size=settings.demo_size, today=today)
            advance(1)
            await ensure_default_catalogue(session, datetime.now(UTC))
            advance(1)
            await seed_demo_training(session, seed=2026, today=today)
            advance(1)
            await seed_demo_courses(session, seed=2026, today=today, tz=settings.timezone)
            advance(1)
            await _demo_admin(session)
        advance(1)
    print(
        _("Demo province: {units} units, {officials} officials.").format(
            units=format_number(summary.units), officials=format_number(summary.officials)
        )
    )


async def _demo_admin(session: Any) -> None:
    """The demo's province HR officer (DB000006, Sở Nội vụ) can try the admin tools."""
    from models.org import admins, officials
    from models.org import units as org_units

    official = await officials.by_employee_code(session, "DB000006")
    root = await session.scalar(select(org_units.OrgUnit).where(org_units.OrgUnit.depth == 0))
    if official is not None and root is not None:
        await admins.grant(session, official, root, actor="demo", now=datetime.now(UTC))


async def issue_code(
    db: Database, employee_code: str, days: int = 14, *, pepper: bytes
) -> str | None:
    from models.chat import link_codes
    from models.org import officials

    async with db.transaction() as session:
        official = await officials.by_employee_code(session, employee_code)
        if official is None:
            return None
        code = await link_codes.issue(
            session,
            official,
            now=datetime.now(UTC),
            created_by="cli",
            pepper=pepper,
            ttl=timedelta(days=days),
        )
    return link_codes.display_code(code)


async def link_console(db: Database, employee_code: str, user_id: str) -> bool:
    from models.chat import accounts
    from models.org import officials

    async with db.transaction() as session:
        official = await officials.by_employee_code(session, employee_code)
        if official is None:
            return False
        now = datetime.now(UTC)
        account = await accounts.get_or_create(
            session, channel="console", user_id=user_id, chat_id=user_id, now=now
        )
        if account.official_id != official.id:
            await accounts.link(session, account, official, method="console-demo", now=now)
    return True


async def demo(settings: Settings, login_as: str | None, user_id: str = "demo") -> int:
    from bot.channels import console

    await asyncio.to_thread(upgrade, settings.database_url)
    db = Database.from_settings(settings)
    try:
        await seed_demo(settings, db)
        if login_as and not await link_console(db, login_as, user_id):
            print(
                _("No official with employee code {code}.").format(code=login_as), file=sys.stderr
            )
            return 1
        print(
            _(
                "Training Assistant — demo on a sample province, {province} (type /thoat to quit)."
            ).format(province=province_name())
        )
        if login_as:
            print(
                _("Logged in as official {code}. Type /huylienket to try linking again.").format(
                    code=login_as
                )
            )
        print(_("One-time link codes for other demo officials (type one to link):"))
        for code in ("DB000002", "DB000003", "DB000004", "DB000005"):
            print(f"   {code}: {await issue_code(db, code, pepper=settings.link_codes.pepper)}")
        print()
        await console.run(make_dispatcher(settings, db), user_id=user_id)
    finally:
        await db.dispose()
    return 0


async def import_file(
    settings: Settings, kind: str, file_name: str, content: bytes, skip_bad_rows: bool
) -> int:
    importer = IMPORTERS[kind]
    db = await open_database(settings)
    try:
        with (
            use_locale(settings.default_locale),
            # Three steps: check the file, write it, re-plan the notices it changes.
            progress(_("Importing {file}").format(file=file_name), total=3) as advance,
        ):
            async with db.transaction() as session:
                now = datetime.now(UTC)
                today = now.astimezone(settings.timezone).date()
                plan = await importer.plan(
                    session, file_name, content, today=today, pepper=settings.link_codes.pepper
                )
                advance(1)
                print(importer.format_plan_report(plan))
                if plan.errors and not skip_bad_rows:
                    return 1
                result = await importer.apply(
                    session, plan, actor="cli", now=now, skip_bad_rows=skip_bad_rows
                )
                advance(1)
                await after_import(session, kind, result, now, planning=settings.planning)
            advance(1)
            print(importer.format_result(result))
    finally:
        await db.dispose()
    return 0


async def admin_command(settings: Settings, action: str, code: str, unit_code: str) -> int:
    from models.org import admins, officials
    from models.org import units as org_units

    db = await open_database(settings)
    try:
        async with db.transaction() as session:
            if action == "list":
                for official, unit in await admins.admins(session):
                    print(
                        f"{official.employee_code}\t{official.full_name}\t{unit.code}\t{unit.name}"
                    )
                return 0
            person = await officials.by_employee_code(session, code)
            scope = await org_units.by_code(session, unit_code)
            if person is None:
                print(
                    _("No official with employee code {code}.").format(code=code), file=sys.stderr
                )
                return 1
            if scope is None:
                print(_("No unit with code {code}.").format(code=unit_code), file=sys.stderr)
                return 1
            change = admins.grant if action == "grant" else admins.revoke
            changed = await change(session, person, scope, actor="cli", now=datetime.now(UTC))
        print(_("Done.") if changed else _("Nothing to change."))
    finally:
        await db.dispose()
    return 0


async def load_rules(settings: Settings, content: bytes | dict[str, Any]) -> int:
    from models.requirements.store import format_load_result, load_catalogue_file

    db = await open_database(settings)
    try:
        with use_locale(settings.default_locale):
            async with db.transaction() as session:
                now = datetime.now(UTC)
                result = await load_catalogue_file(
                    session,
                    content,
                    actor="cli",
                    now=now,
                    today=now.astimezone(settings.timezone).date(),
                )
            print(format_load_result(result))
    finally:
        await db.dispose()
    return 0 if result.ok else 1


async def units_tree(settings: Settings) -> int:
    from models.org.unit_tree import format_tree, unit_tree

    db = await open_database(settings)
    try:
        with use_locale(settings.default_locale):
            async with db.transaction() as session:
                lines = await unit_tree(session)
            print(format_tree(lines, datetime.now(settings.timezone).date()))
    finally:
        await db.dispose()
    return 0


async def link_code(settings: Settings, employee_code: str, days: int) -> int:
    db = await open_database(settings)
    try:
        code = await issue_code(db, employee_code, days, pepper=settings.link_codes.pepper)
    finally:
        await db.dispose()
    if code is None:
        print(
            _("No official with employee code {code}.").format(code=employee_code), file=sys.stderr
        )
        return 1
    print(_("Link code: {code} (single use, expires in {days} days)").format(code=code, days=days))
    username = settings.telegram_bot_username
    compact = code.replace("-", "")
    if username:
        print(_("Telegram link: {url}").format(url=f"https://t.me/{username}?start={compact}"))
    else:
        print(_("Set TELEGRAM_BOT_USERNAME to also print the t.me/<bot>?start=<code> link."))
    return 0


async def export_registrations(settings: Settings, course_code: str, out: Path | None) -> int:
    from models.courses import catalogue as courses
    from models.exports.registrations import (
        course_registrations,
        record_export,
        registrations_workbook,
        whole_province,
    )

    db = await open_database(settings)
    try:
        with use_locale(settings.default_locale):
            async with db.transaction() as session:
                course = await courses.by_code(session, course_code.upper())
                if course is None:
                    print(
                        _("No course has the code “{code}”.").format(code=course_code),
                        file=sys.stderr,
                    )
                    return 1
                scope = await whole_province(session)
                data = await course_registrations(session, course, scope)
                now = datetime.now(UTC)
                record_export(session, data, scope, actor="cli", at=now)
                content = registrations_workbook(
                    data,
                    scope_name=", ".join(u.name for u in scope.units),
                    tz=settings.timezone,
                    now=now,
                )
            path = out or Path(f"dang-ky-{course.code}.xlsx")
            path.write_bytes(content)
            print(
                _(
                    "{n} registrations: {confirmed} confirmed, {waiting} on the waitlist, "
                    "{cancelled} cancelled. Written to {path}."
                ).format(
                    n=format_number(len(data.rows)),
                    confirmed=format_number(data.seated),
                    waiting=format_number(data.waitlisted),
                    cancelled=format_number(data.cancelled),
                    path=path,
                )
            )
    finally:
        await db.dispose()
    return 0


async def certificate_cli(settings: Settings, args: argparse.Namespace) -> int:
    from bot.cli_certificates import certificate_command

    db = await open_database(settings)
    try:
        return await certificate_command(
            db, settings, args.action, args.code, reason=args.reason, out=args.out
        )
    finally:
        await db.dispose()


async def kit_command(settings: Settings, args: argparse.Namespace) -> int:
    from bot.cli_kits import write_link_codes, write_template

    db = await open_database(settings)
    try:
        if args.command == "template":
            return await write_template(db, settings, args.kind, args.out)
        return await write_link_codes(db, settings, args.unit_code, args.out)
    finally:
        await db.dispose()


async def plan_now(settings: Settings) -> int:
    """`troly plan`: the scheduler's planning jobs once, now (after an import, or to check
    a new province's rules without waiting for the clock)."""
    from scheduler.jobs import plan_courses, plan_digests, plan_requirements

    db = await open_database(settings)
    try:
        with use_locale(settings.default_locale), progress(_("Planning notices"), 3) as advance:
            now = datetime.now(UTC)
            req = await plan_requirements(db.transaction, now=now, settings=settings.planning)
            advance(1)
            course = await plan_courses(db.transaction, now=now, settings=settings.planning)
            advance(1)
            digest = await plan_digests(db.transaction, now=now, settings=settings.digest)
            advance(1)
            print(
                _(
                    "Notices planned: {requirements} for requirements ({officials} officials "
                    "evaluated, {withdrawn} withdrawn), {courses} for courses, {digests} "
                    "unit-head digests."
                ).format(
                    requirements=format_number(req.planned),
                    officials=format_number(req.officials),
                    withdrawn=format_number(req.withdrawn),
                    courses=format_number(course.planned),
                    digests=format_number(digest.planned),
                )
            )
    finally:
        await db.dispose()
    return 0


async def export_year_plan(settings: Settings, year: int, out: Path | None) -> int:
    """`troly plan YEAR`: the year's plan for the whole province, as /kehoach writes it."""
    from models.exports.registrations import whole_province
    from models.exports.year_plan import year_plan_file

    today = datetime.now(settings.timezone).date()
    if not 2000 <= year <= today.year + 5:
        print(_("The plan year must be between 2000 and {last}.").format(last=today.year + 5))
        return 2
    db = await open_database(settings)
    try:
        with use_locale(settings.default_locale):
            async with db.transaction() as session:
                scope = await whole_province(session)
                if not scope.units:
                    print(
                        _(
                            "No units yet. Import the unit file first: "
                            "python -m bot import units FILE"
                        )
                    )
                    return 1
                found = await year_plan_file(
                    session,
                    year=year,
                    today=today,
                    scope=scope,
                    scope_name=", ".join(u.name for u in scope.units),
                )
                from models import audit

                audit.record(
                    session,
                    actor="cli",
                    action="report.year_plan",
                    subject=f"{'+'.join(u.code for u in scope.units)}:{year}"[:200],
                    affected=found.people,
                    at=datetime.now(UTC),
                )
            path = out or Path(found.file_name)
            path.write_bytes(found.content)
            print(
                _(
                    "Plan {year}: {officials} officials counted, {courses} courses, "
                    "{quotas} seats given as quotas. Written to {path}."
                ).format(
                    year=year,
                    officials=format_number(found.people),
                    courses=format_number(len(found.plan.courses)),
                    quotas=format_number(sum(p.quota_seats for p in found.plan.courses)),
                    path=path,
                )
            )
    finally:
        await db.dispose()
    return 0


async def national(
    settings: Settings, items: list[str], from_file: Path | None, year: int | None
) -> int:
    from bot.config import database_password
    from bot.national import format_figures, national_figures, parse_sources

    sources = parse_sources(items, from_file)
    if not sources:
        raise ConfigError("national: give NAME=DATABASE_URL pairs or --from FILE")
    redact_secrets(p for _name, url in sources if (p := database_password(url)))
    today = datetime.now(settings.timezone).date()
    with use_locale(settings.default_locale):
        figures = await national_figures(sources, year=year or today.year, today=today)
        print(format_figures(figures))
    return 0


def run_telegram(settings: Settings) -> int:
    # PTB, aiohttp, prometheus_client and the webhook's tornado load with the collector
    # still paused (bot/start_gc.py); it is on again before the first network call.
    from bot import metrics  # noqa: F401
    from bot.channels import telegram, telegram_run  # noqa: F401

    start_gc.resume()
    check_schema(settings)
    db = Database.from_settings(settings)
    dispatcher = make_dispatcher(settings, db)
    start_notices_if_in_process(settings, dispatcher)
    telegram.run(settings, dispatcher)
    return 0


def start_notices_if_in_process(settings: Settings, dispatcher: Dispatcher) -> None:
    """SCHEDULER_IN_PROCESS=1: plan and send notices inside this process (small installs)."""
    if settings.scheduler_in_process:
        from bot.notice_service import start_in_thread

        start_in_thread(settings, dispatcher.metrics)


def run_zalo(settings: Settings, *, with_telegram: bool, with_oa: bool = False) -> int:
    from bot.channels import zalo_run

    check_schema(settings)
    db = Database.from_settings(settings)
    dispatcher = make_dispatcher(settings, db)
    start_notices_if_in_process(settings, dispatcher)

    async def _serve() -> None:
        try:
            await zalo_run.serve(settings, dispatcher, with_telegram=with_telegram, with_oa=with_oa)
        finally:
            await db.dispose()

    asyncio.run(_serve())
    return 0


def run_zalo_oa(settings: Settings) -> int:
    from bot import ops_http
    from bot.channels import zalo
    from bot.channels.zalo_oa import channel
    from bot.metrics import Metrics

    check_schema(settings)
    db = Database.from_settings(settings)
    dispatcher = make_dispatcher(settings, db)
    start_notices_if_in_process(settings, dispatcher)

    async def _serve() -> None:
        stop = asyncio.Event()
        zalo.stop_on_signals(stop)
        try:
            metrics = dispatcher.metrics or Metrics()
            async with ops_http.serving(settings.ops, db, metrics):
                await channel.serve(settings, dispatcher, stop)
        finally:
            await db.dispose()

    asyncio.run(_serve())
    return 0


async def zalo_oa_command(settings: Settings, args: argparse.Namespace) -> int:
    from bot.channels.zalo_oa import cli

    db = await open_database(settings)
    try:
        if args.action == "set-token":
            return await cli.set_token(
                db, settings, args.access_token, args.refresh_token, args.expires_in
            )
        if args.action == "exchange-code":
            if not args.access_token:
                print(
                    "python -m bot zalo-oa exchange-code CODE [--code-verifier V]", file=sys.stderr
                )
                return 2
            return await cli.exchange_code(db, settings, args.access_token, args.code_verifier)
        return await cli.status(db, settings)
    finally:
        await db.dispose()


def run_all(settings: Settings) -> int:
    if settings.zalo_token or settings.zalo_oa.configured:
        return run_zalo(
            settings,
            with_telegram=bool(settings.telegram_token),
            with_oa=settings.zalo_oa.configured,
        )
    if settings.telegram_token:
        return run_telegram(settings)
    raise ConfigError(
        "Set TELEGRAM_BOT_TOKEN, ZALO_BOT_TOKEN and/or ZALO_OA_APP_ID + ZALO_OA_SECRET_KEY to "
        "run the chat channels"
    )


WEEKDAY_LABELS = (
    N_("Monday"),
    N_("Tuesday"),
    N_("Wednesday"),
    N_("Thursday"),
    N_("Friday"),
    N_("Saturday"),
    N_("Sunday"),
)


async def report_year(
    settings: Settings, year: int, out: Path | None, unit_code: str | None = None
) -> int:
    """`troly report year YEAR`: the year-end report as .xlsx, audited as actor "cli"."""
    from models.exports.registrations import whole_province
    from models.exports.year_report import record_year_report, year_report, year_report_workbook
    from models.exports.year_report_template import TemplateError, load_template
    from models.org.admins import Scope
    from models.org.units import by_code

    try:
        template = load_template(settings.year_report_template)
    except TemplateError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    now = datetime.now(UTC)
    today = now.astimezone(settings.timezone).date()
    if not 2000 <= year <= today.year:
        print(
            _("The year must be between 2000 and {year}.").format(year=today.year),
            file=sys.stderr,
        )
        return 2
    db = await open_database(settings)
    try:
        with use_locale(settings.default_locale):
            async with db.transaction() as session:
                if unit_code:
                    unit = await by_code(session, unit_code.strip())
                    if unit is None:
                        print(
                            _("No unit has the code “{code}”.").format(code=unit_code),
                            file=sys.stderr,
                        )
                        return 1
                    scope = Scope((unit,))
                else:
                    scope = await whole_province(session)
                report = await year_report(session, year=year, scope=scope, today=today)
                record_year_report(session, report, scope, actor="cli", at=now)
                content = year_report_workbook(report, template, made_on=today)
            stamp = scope.widest.code if scope.widest else "all"
            path = out or Path(f"bao-cao-nam-{stamp}-{year}.xlsx")
            path.write_bytes(content)
            print(
                _(
                    "Year-end report {year}: {n} completions, {leaders} by leaders and "
                    "managers, {classes} classes held. Written to {path}."
                ).format(
                    year=year,
                    n=format_number(report.total.completions),
                    leaders=format_number(report.total.leader_completions),
                    classes=format_number(report.total.classes),
                    path=path,
                )
            )
            return 0
    finally:
        await db.dispose()


def holidays_listing(window: SendWindow, year: int) -> str:
    """The year's non-sending days as the operator checks them against the announcements."""
    lines = [_("Days without non-urgent notices in {year}:").format(year=year)]
    for day, name in window.holidays.of_year(year).items():
        lines.append(f"{format_date(day)}  {_(WEEKDAY_LABELS[day.weekday()])}  {name}")
    if window.hold_weekends:
        lines.append(_("Every Saturday and Sunday too (HOLD_ON_WEEKENDS=on)."))
    return "\n".join(lines)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="troly", description="Trợ lý Bồi dưỡng")
    sub = p.add_subparsers(dest="command")
    d = sub.add_parser("demo", help="console demo on the demo province")
    d.add_argument("--as", dest="login_as", default="DB000001", help="employee code to log in as")
    d.add_argument("--unlinked", action="store_true", help="start unlinked and link by code")
    d.add_argument("--size", type=int, help="officials in the demo province")
    r = sub.add_parser("run", help="serve a channel")
    r.add_argument("channel", choices=["telegram", "zalo", "zalo-oa", "all", "console"])
    oa = sub.add_parser("zalo-oa", help="the Zalo Official Account's OAuth tokens")
    oa.add_argument("action", choices=["set-token", "exchange-code", "status"])
    oa.add_argument("access_token", nargs="?", help="(exchange-code: the CODE)")
    oa.add_argument("refresh_token", nargs="?")
    oa.add_argument("--expires-in", type=int, default=3600, help="seconds (Zalo's expires_in)")
    oa.add_argument("--code-verifier", help="the PKCE verifier of the authorisation")
    sub.add_parser("send", help="send due notices from the outbox")
    sub.add_parser("scheduler", help="plan notices on a clock (the scheduler alone)")
    pl = sub.add_parser(
        "plan", help="run the planning jobs once, now; with YEAR: the year's plan as .xlsx"
    )
    pl.add_argument("year", type=int, nargs="?", help="plan year: write its .xlsx instead")
    pl.add_argument("--out", type=Path, help="file to write (default ke-hoach-YEAR-CODE.xlsx)")
    na = sub.add_parser("national", help="compliance summed over provinces' databases")
    na.add_argument("sources", nargs="*", help="NAME=DATABASE_URL, one per province")
    na.add_argument("--from", dest="from_file", type=Path, help="file of NAME=DATABASE_URL lines")
    na.add_argument("--year", type=int, help="year judged (default: this year)")
    db = sub.add_parser("db", help="database maintenance")
    db.add_argument("action", choices=["upgrade"])
    s = sub.add_parser("seed-demo", help="create the demo province")
    s.add_argument("--size", type=int)
    i = sub.add_parser("import", help="import a file")
    i.add_argument("kind", choices=sorted(IMPORTERS))
    i.add_argument("file", type=Path)
    i.add_argument("--skip-bad-rows", action="store_true")
    ad = sub.add_parser("admin", help="HR admin roles")
    ad.add_argument("action", choices=["grant", "revoke", "list"])
    ad.add_argument("employee_code", nargs="?", default="")
    ad.add_argument("unit_code", nargs="?", default="")
    rl = sub.add_parser("rules", help="requirement rules catalogue")
    rl.add_argument("action", choices=["load"])
    rl.add_argument("file", type=Path)
    pv = sub.add_parser("province", help="the province file in force (PROVINCE_FILE)")
    pv.add_argument("action", choices=["show", "load"])
    ut = sub.add_parser("units", help="the unit tree")
    ut.add_argument("action", choices=["tree"])
    lc = sub.add_parser("link-code", help="issue a one-time link code")
    lc.add_argument("employee_code")
    lc.add_argument("--days", type=int, default=14)
    lk = sub.add_parser("link-codes", help="rollout kit: codes for a unit's unlinked officials")
    lk.add_argument("unit_code")
    lk.add_argument("--out", type=Path, help="folder to write the .xlsx and .pdf to")
    tp = sub.add_parser("template", help="write the empty .xlsx template of an import kind")
    tp.add_argument("kind")
    tp.add_argument("--out", type=Path, help="file to write (default mau-KIND.xlsx)")
    hd = sub.add_parser("holidays", help="list the days no non-urgent notice is sent")
    hd.add_argument("year", type=int)
    ex = sub.add_parser("export", help="export data as .xlsx")
    ex.add_argument("what", choices=["registrations"])
    ex.add_argument("course_code")
    ex.add_argument("--out", type=Path, help="file to write (default dang-ky-CODE.xlsx)")
    rp = sub.add_parser("report", help="reports as .xlsx")
    rp.add_argument("what", choices=["year"])
    rp.add_argument("year", type=int)
    rp.add_argument("--unit", help="a unit's code: its subtree only (default: whole province)")
    rp.add_argument("--out", type=Path, help="file to write (default bao-cao-nam-UNIT-YEAR.xlsx)")
    nt = sub.add_parser("notices", help="the outbox")
    nt.add_argument("action", choices=["preview"])
    # --- certificates (#16.5) ---
    ce = sub.add_parser("certificate", help="verify, revoke or print a completion certificate")
    ce.add_argument("action", choices=["verify", "revoke", "pdf"])
    ce.add_argument("code", help="the verification code, e.g. ABCD-EFGH-JK")
    ce.add_argument("--reason", default="", help="(revoke) why; shown to whoever verifies it")
    ce.add_argument("--out", type=Path, help="(pdf) file to write")
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if not (args.command == "run" and args.channel == "telegram"):
        start_gc.resume()  # run_telegram resumes it once the channel's libraries are loaded
    configure_logging()
    try:
        settings = Settings.from_env()
        configure_logging(settings.ops)
        redact_secrets(settings.secrets())
        size = getattr(args, "size", None)
        if size:
            from dataclasses import replace

            settings = replace(settings, demo_size=size)
        demo_command = (
            args.command in ("demo", "seed-demo")
            or (args.command == "run" and args.channel == "console")
            or (args.command is None and not (settings.telegram_token or settings.zalo_token))
        )
        use_province(settings, demo=demo_command)
        if args.command is None:
            if settings.telegram_token or settings.zalo_token or settings.zalo_oa.configured:
                return run_all(settings)
            return asyncio.run(demo(settings, "DB000001"))
        if args.command == "demo":
            return asyncio.run(demo(settings, None if args.unlinked else args.login_as))
        if args.command == "run":
            if args.channel == "telegram":
                if not settings.telegram_token:
                    raise ConfigError("TELEGRAM_BOT_TOKEN is not set")
                return run_telegram(settings)
            if args.channel == "zalo":
                if not settings.zalo_token:
                    raise ConfigError("ZALO_BOT_TOKEN is not set")
                return run_zalo(settings, with_telegram=False)
            if args.channel == "zalo-oa":
                return run_zalo_oa(settings)
            if args.channel == "all":
                return run_all(settings)
            return asyncio.run(demo(settings, None))
        if args.command == "holidays":
            print(holidays_listing(settings.send_window, args.year))
            return 0
        if args.command == "db":
            upgrade(settings.database_url)
            return 0
        if args.command == "send":
            from bot.notice_service import send_forever

            check_schema(settings)
            return send_forever(settings)
        if args.command == "scheduler":
            from bot.scheduler_main import run as run_scheduler_process

            return asyncio.run(run_scheduler_process(settings))
        if args.command == "national":
            return asyncio.run(national(settings, args.sources, args.from_file, args.year))
        if args.command == "plan":
            if args.year is not None:
                return asyncio.run(export_year_plan(settings, args.year, args.out))
            return asyncio.run(plan_now(settings))
        if args.command == "seed-demo":

            async def _seed() -> None:
                await asyncio.to_thread(upgrade, settings.database_url)
                database = Database.from_settings(settings)
                try:
                    await seed_demo(settings, database)
                finally:
                    await database.dispose()

            asyncio.run(_seed())
            return 0
        if args.command == "import":
            if not args.file.is_file():
                print(_("File not found: {path}").format(path=args.file), file=sys.stderr)
                return 2
            content = args.file.read_bytes()
            return asyncio.run(
                import_file(settings, args.kind, args.file.name, content, args.skip_bad_rows)
            )
        if args.command == "admin":
            if args.action != "list" and not (args.employee_code and args.unit_code):
                print("python -m bot admin grant|revoke EMPLOYEE_CODE UNIT_CODE", file=sys.stderr)
                return 2
            return asyncio.run(
                admin_command(settings, args.action, args.employee_code, args.unit_code)
            )
        if args.command == "rules":
            if not args.file.is_file():
                print(_("File not found: {path}").format(path=args.file), file=sys.stderr)
                return 2
            return asyncio.run(load_rules(settings, args.file.read_bytes()))
        if args.command == "province":
            if args.action == "load":
                return asyncio.run(load_province(settings))
            return asyncio.run(show_province(settings))
        if args.command == "units":
            return asyncio.run(units_tree(settings))
        if args.command == "link-code":
            return asyncio.run(link_code(settings, args.employee_code, args.days))
        if args.command in ("link-codes", "template"):
            return asyncio.run(kit_command(settings, args))
        if args.command == "zalo-oa":
            return asyncio.run(zalo_oa_command(settings, args))
        if args.command == "export":
            return asyncio.run(export_registrations(settings, args.course_code, args.out))
        if args.command == "report":
            return asyncio.run(report_year(settings, args.year, args.out, args.unit))
        if args.command == "notices":
            from bot import notices_preview

            check_schema(settings)
            print(asyncio.run(notices_preview.run(settings)))
            return 0
        if args.command == "certificate":
            return asyncio.run(certificate_cli(settings, args))
    except KeyboardInterrupt:
        return 130
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
