"""Command line: `python -m bot [COMMAND]`.

python -m bot                         the channels whose tokens are set, else the demo
python -m bot demo [--as CODE|--unlinked] [--size N]
                                      console demo on a seeded demo province
python -m bot run telegram|zalo|console
                                      serve one channel
python -m bot run all                 serve Telegram and Zalo (those with a token) together
python -m bot send                    send due notices (the outbox sender alone)
python -m bot scheduler               plan notices on a clock (the scheduler alone)
python -m bot db upgrade              apply migrations (once per release; under a lock)
python -m bot seed-demo [--size N]    create the demo province (idempotent)
python -m bot import officials FILE [--skip-bad-rows]
python -m bot link-code EMPLOYEE_CODE [--days N]
python -m bot export registrations COURSE_CODE [--out FILE]
                                      a course's registrations (whole province) as .xlsx
python -m bot notices preview         what planning would send now, per channel (ZNS cost)

Migrations: only `db upgrade` migrates (under a database lock), and the demo commands, which
seed a fresh SQLite file; every other command refuses a database whose schema is not this
release's, with one line saying to run `db upgrade` (README, "Deployment notes").
"""

from __future__ import annotations

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
from locales import _, format_date, format_number, use_locale
from models.imports.kinds import IMPORTERS, after_import
from models.notices.send_window import SendWindow
from models.vocabulary import N_

log = logging.getLogger("bot")


async def open_database(settings: Settings) -> Database:
    """The database of a command that serves or changes production data: the schema must be
    this release's (the migration policy: only `db upgrade` migrates, under its lock)."""
    db = Database(settings.database_url)
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


def make_dispatcher(settings: Settings, db: Database) -> Dispatcher:
    return Dispatcher(db=db, settings=settings)


async def seed_demo(settings: Settings, db: Database) -> None:
    from models.demo.courses import seed_demo_courses
    from models.demo.province import seed_demo_province
    from models.requirements.store import ensure_default_catalogue
    from models.requirements.training_records import seed_demo_training

    today = datetime.now(settings.timezone).date()
    async with db.transaction() as session:
        summary = await seed_demo_province(session, size=settings.demo_size, today=today)
        await ensure_default_catalogue(session, datetime.now(UTC))
        await seed_demo_training(session, seed=2026, today=today)
        await seed_demo_courses(session, seed=2026, today=today, tz=settings.timezone)
        await _demo_admin(session)
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
    db = Database(settings.database_url)
    try:
        await seed_demo(settings, db)
        if login_as and not await link_console(db, login_as, user_id):
            print(
                _("No official with employee code {code}.").format(code=login_as), file=sys.stderr
            )
            return 1
        print(_("Training Assistant — demo on a sample Điện Biên province (type /thoat to quit)."))
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
        with use_locale(settings.default_locale):
            async with db.transaction() as session:
                now = datetime.now(UTC)
                today = now.astimezone(settings.timezone).date()
                plan = await importer.plan(session, file_name, content, today=today)
                print(importer.format_plan_report(plan))
                if plan.errors and not skip_bad_rows:
                    return 1
                result = await importer.apply(
                    session, plan, actor="cli", now=now, skip_bad_rows=skip_bad_rows
                )
                await after_import(session, kind, result, now, planning=settings.planning)
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


async def load_rules(settings: Settings, content: bytes) -> int:
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


def run_telegram(settings: Settings) -> int:
    from bot.channels import telegram

    check_schema(settings)
    db = Database(settings.database_url)
    start_notices_if_in_process(settings)
    telegram.run(settings, make_dispatcher(settings, db))
    return 0


def start_notices_if_in_process(settings: Settings) -> None:
    """SCHEDULER_IN_PROCESS=1: plan and send notices inside this process (small installs)."""
    if settings.scheduler_in_process:
        from bot.notice_service import start_in_thread

        start_in_thread(settings)


def run_zalo(settings: Settings, *, with_telegram: bool) -> int:
    from bot.channels import zalo_run

    check_schema(settings)
    db = Database(settings.database_url)
    start_notices_if_in_process(settings)

    async def _serve() -> None:
        try:
            dispatcher = make_dispatcher(settings, db)
            await zalo_run.serve(settings, dispatcher, with_telegram=with_telegram)
        finally:
            await db.dispose()

    asyncio.run(_serve())
    return 0


def run_all(settings: Settings) -> int:
    if settings.zalo_token:
        return run_zalo(settings, with_telegram=bool(settings.telegram_token))
    if settings.telegram_token:
        return run_telegram(settings)
    raise ConfigError("Set TELEGRAM_BOT_TOKEN and/or ZALO_BOT_TOKEN to run the chat channels")


WEEKDAY_LABELS = (
    N_("Monday"),
    N_("Tuesday"),
    N_("Wednesday"),
    N_("Thursday"),
    N_("Friday"),
    N_("Saturday"),
    N_("Sunday"),
)


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
    r.add_argument("channel", choices=["telegram", "zalo", "all", "console"])
    sub.add_parser("send", help="send due notices from the outbox")
    sub.add_parser("scheduler", help="plan notices on a clock (the scheduler alone)")
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
    lc = sub.add_parser("link-code", help="issue a one-time link code")
    lc.add_argument("employee_code")
    lc.add_argument("--days", type=int, default=14)
    hd = sub.add_parser("holidays", help="list the days no non-urgent notice is sent")
    hd.add_argument("year", type=int)
    ex = sub.add_parser("export", help="export data as .xlsx")
    ex.add_argument("what", choices=["registrations"])
    ex.add_argument("course_code")
    ex.add_argument("--out", type=Path, help="file to write (default dang-ky-CODE.xlsx)")
    nt = sub.add_parser("notices", help="the outbox")
    nt.add_argument("action", choices=["preview"])
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    configure_logging()
    try:
        settings = Settings.from_env()
        redact_secrets(settings.secrets())
        size = getattr(args, "size", None)
        if size:
            from dataclasses import replace

            settings = replace(settings, demo_size=size)
        if args.command is None:
            if settings.telegram_token or settings.zalo_token:
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
        if args.command == "seed-demo":

            async def _seed() -> None:
                await asyncio.to_thread(upgrade, settings.database_url)
                database = Database(settings.database_url)
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
        if args.command == "link-code":
            return asyncio.run(link_code(settings, args.employee_code, args.days))
        if args.command == "export":
            return asyncio.run(export_registrations(settings, args.course_code, args.out))
        if args.command == "notices":
            from bot import notices_preview

            check_schema(settings)
            print(asyncio.run(notices_preview.run(settings)))
            return 0
    except KeyboardInterrupt:
        return 130
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
