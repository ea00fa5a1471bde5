"""The `huiyin` command line for operators: set up, staff accounts, verification, processes."""

from __future__ import annotations

import argparse
import contextlib
import getpass
import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from complaints import processes
from complaints.adapters.access_store import open_access_store
from complaints.application import audit, history_export, key_rotation
from complaints.application.case_application import CaseNotFoundError
from complaints.bootstrap import Services, build_services
from complaints.domain.errors import DomainError
from complaints.domain.values import STAFF_ROLES
from complaints.importing import cli as importing
from complaints.readmodels.case_index import open_case_index
from complaints.readmodels.projection import Lag
from complaints.readmodels.scorecards import open_scorecards
from complaints.retention import cli as personal_data
from complaints.settings import Settings
from complaints.streaming import relay
from complaints.streaming.keys import republish_case_keys
from complaints.timelimits import cli as calendar
from shared.installation import DEMO_PASSWORD_FILE, SecretFileError, demo_password
from shared.logging_setup import configure_logging
from shared.sealing import KeyEncryptionKey, WrappedKey
from shared.settings import SettingsError
from shared.stream.base import StreamUnavailableError
from shared.stream.factory import describe, open_publisher, prepare_topics
from shared.stream.kafka import quiet_client_logs

BROKEN = 1
UNUSABLE = 2
# What every demo account's password was, before each installation made its own.
LEGACY_DEMO_PASSWORD = "demo"


def main(argv: Sequence[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
    if getattr(arguments, "export_file", None) is not None:
        return verify_file(arguments)  # offline: no settings, no store, no secret key
    if getattr(arguments, "offline", None) is not None:
        return arguments.offline(arguments)  # needs no settings (the first KEK, say)
    try:
        settings = Settings.from_env()
    except SettingsError as error:
        print(f"huiyin: {error}", file=sys.stderr)
        return UNUSABLE
    configure_logging(settings.log_level, settings.log_format)
    return arguments.command(settings, arguments)


def init(settings: Settings, arguments: argparse.Namespace) -> int:
    """Create the tables of the event store and of the read model, once, before any worker."""
    services = build_services(settings, create_tables=True)
    try:
        _close(open_case_index(settings, create_tables=True))
        open_scorecards(services.complaints, create=True)
        relay.open_relay_positions(services.complaints, create=True)
        # Page sessions and rate-limit counters, shared by the workers.
        open_access_store(settings.database_url, settings.data_dir, create=True).close()
        where = settings.postgres or settings.sqlite_path
        print(f"huiyin: the {settings.store_name} store is ready ({_describe(where)})")
        if settings.demo:
            try:
                password = demo_password(settings.data_dir)
            except SecretFileError as error:
                print(f"huiyin: the demo password: {error}", file=sys.stderr)
                return UNUSABLE
            accounts = services.staff.ensure_demo_accounts(password)
            _renew_the_old_demo_passwords(services, accounts, password)
            _print_demo(settings, accounts, password)
    finally:
        services.close()
    return 0


def create_user(settings: Settings, arguments: argparse.Namespace) -> int:
    password = _read_password(arguments.password_stdin)
    if password is None:
        print("huiyin: the two passwords differ; nothing was created", file=sys.stderr)
        return UNUSABLE
    with _opened(settings) as services:
        try:
            account = services.staff.register(
                arguments.username, password, arguments.role, arguments.department
            )
        except DomainError as error:
            print(f"huiyin: {error.message}", file=sys.stderr)
            return UNUSABLE
    department = f" of {account.department}" if account.department else ""
    print(f"huiyin: created {account.username}, {account.role}{department}")
    return 0


def staff_list(settings: Settings, arguments: argparse.Namespace) -> int:
    with _opened(settings) as services:
        accounts = list(services.staff.accounts())
    for account in accounts:
        department = f" of {account.department}" if account.department else ""
        state = "  (disabled)" if account.disabled else ""
        print(f"{account.username:<24} {account.role}{department}{state}")
    print(f"huiyin: {len(accounts)} account(s)")
    return 0


def staff_set_password(settings: Settings, arguments: argparse.Namespace) -> int:
    password = _read_password(arguments.password_stdin)
    if password is None:
        print("huiyin: the two passwords differ; nothing was changed", file=sys.stderr)
        return UNUSABLE
    return _on_account(
        settings, arguments.username,
        lambda staff, name: staff.set_password(name, password),
        "has a new password; every earlier sign-in has ended",
    )


def staff_disable(settings: Settings, arguments: argparse.Namespace) -> int:
    return _on_account(
        settings, arguments.username,
        lambda staff, name: staff.disable(name),
        "is disabled; every sign-in has ended", "was disabled already",
    )


def staff_enable(settings: Settings, arguments: argparse.Namespace) -> int:
    return _on_account(
        settings, arguments.username,
        lambda staff, name: staff.enable(name),
        "is enabled; its owner signs in again", "was not disabled",
    )


def staff_delete(settings: Settings, arguments: argparse.Namespace) -> int:
    return _on_account(
        settings, arguments.username,
        lambda staff, name: staff.delete(name),
        "is deleted; every sign-in has ended (its history stays)",
    )


def _on_account(
    settings: Settings, username: str, change: Callable, done: str, unchanged: str = ""
) -> int:
    with _opened(settings) as services:
        try:
            changed = change(services.staff, username)
        except DomainError as error:
            print(f"huiyin: {error.message}", file=sys.stderr)
            return UNUSABLE
    print(f"huiyin: {username.lower()} {unchanged if changed is False else done}")
    return 0


def verify(settings: Settings, arguments: argparse.Namespace) -> int:
    if bool(arguments.case) == arguments.all:
        print("huiyin: name one CASE or give --all", file=sys.stderr)
        return UNUSABLE
    with _opened(settings) as services:
        app = services.complaints
        try:
            if arguments.all:
                case_ids = list(audit.all_case_ids(app))
            else:
                case_ids = [app.resolve_case_id(arguments.case)]
            results = [audit.verify_case(app, case_id) for case_id in case_ids]
        except CaseNotFoundError as error:
            print(f"huiyin: {error.named_as(arguments.case or '').message}", file=sys.stderr)
            return UNUSABLE
        except DomainError as error:
            print(f"huiyin: {error.message}", file=sys.stderr)
            return UNUSABLE
    return _report(results)


def verify_file(arguments: argparse.Namespace) -> int:
    """Verify a history exported by an auditor, from the file alone."""
    path = arguments.export_file
    if arguments.case or arguments.all:
        print("huiyin: give --file alone, without CASE or --all", file=sys.stderr)
        return UNUSABLE
    try:
        with open(path, "rb") as exported:
            result = history_export.verify_export(json.load(exported))
    except OSError as error:
        print(f"huiyin: cannot read {path}: {error.strerror}", file=sys.stderr)
        return UNUSABLE
    except DomainError as error:
        print(f"huiyin: {path}: {error.message}", file=sys.stderr)
        return UNUSABLE
    except (ValueError, RecursionError) as error:  # not UTF-8, not JSON, nested past reason
        print(f"huiyin: {path} is not a JSON document: {error}", file=sys.stderr)
        return UNUSABLE
    state = "chain intact" if result.intact else "chain BROKEN"
    print(f"huiyin: {path}: case {result.reference or '?'} ({result.case_id}), "
          f"{result.events_checked} event(s), {state}")
    return _report([result])


def _report(results: Sequence[audit.Verification]) -> int:
    for result in results:
        name = result.reference or str(result.case_id)
        for event in result.broken:
            print(
                f"BROKEN case {name} ({result.case_id}) position {event.position} "
                f"{event.event_type}: {event.problem}"
            )
    broken = sum(len(result.broken) for result in results)
    print(f"huiyin: {len(results)} case(s) checked, {broken} broken event(s)")
    return BROKEN if broken else 0


def projections_run(settings: Settings, arguments: argparse.Namespace) -> int:
    """Keep the read models current until SIGTERM or SIGINT; then finish the batch and stop."""
    processes.run_projections(settings, stop=_stop_on_signals())
    return 0


def projections_catch_up(settings: Settings, arguments: argparse.Namespace) -> int:
    processes.catch_up_projections(settings, progress=_progress_on_stderr("catch-up"))
    return 0


def projections_rebuild(settings: Settings, arguments: argparse.Namespace) -> int:
    processes.rebuild_projections(settings, progress=_progress_on_stderr("rebuild"))
    return 0


def _progress_on_stderr(what: str) -> processes.Progress:
    """Where each read model stands, a line every few seconds on stderr (stdout stays clean)."""
    started = time.monotonic()

    def told(lags: list[tuple[str, Lag]]) -> None:
        parts = [f"{name} {lag.tracked:,} of {lag.head:,}"
                 + (f" ({lag.tracked * 100 // lag.head} %)" if lag.head else "")
                 for name, lag in lags]
        print(f"huiyin projections {what}: {', '.join(parts)} after "
              f"{time.monotonic() - started:.0f} s", file=sys.stderr, flush=True)

    return told


def relay_run(settings: Settings, arguments: argparse.Namespace) -> int:
    """Publish the case events until SIGTERM or SIGINT; then finish the batch and stop."""
    _quiet_stream_client(settings)
    processes.run_relay(settings, stop=_stop_on_signals())
    return 0


def relay_catch_up(settings: Settings, arguments: argparse.Namespace) -> int:
    return _once("relay", "event(s) published", lambda: processes.relay_once(settings))


def receipts_run(settings: Settings, arguments: argparse.Namespace) -> int:
    """Record notify's receipts until SIGTERM or SIGINT."""
    _quiet_stream_client(settings)
    processes.run_receipts(settings, stop=_stop_on_signals())
    return 0


def receipts_catch_up(settings: Settings, arguments: argparse.Namespace) -> int:
    return _once("receipts", "receipt(s) handled", lambda: processes.receive_once(settings))


def watchdog_run(settings: Settings, arguments: argparse.Namespace) -> int:
    """Sweep for deadlines near or past until SIGTERM or SIGINT."""
    processes.run_watchdog(settings, stop=_stop_on_signals(), interval=arguments.interval)
    return 0


def suggestions_train(settings: Settings, arguments: argparse.Namespace) -> int:
    """Learn dispatch suggestions from the closed cases; 1 when there is too little history."""
    report = processes.train_suggestions(settings)
    print(f"huiyin suggestions: {report.message}")
    return 0 if report.trained else BROKEN


def watchdog_sweep(settings: Settings, arguments: argparse.Namespace) -> int:
    done = processes.sweep_once(settings)
    summary = ", ".join(f"{count} {kind}" for kind, count in sorted(done.items()))
    print(f"huiyin watchdog: {summary or 'nothing to record'}")
    return 0


def attachments_sweep(settings: Settings, arguments: argparse.Namespace) -> int:
    """Remove expired staging folders and stored files no case refers to."""
    done = processes.sweep_attachments(settings)
    print(f"huiyin attachments: {done['staging']} staged upload(s) expired, "
          f"{done['erased']} erased case(s)' files removed, "
          f"{done['unreferenced']} unreferenced file(s) removed")
    return 0


def keys_new_kek(arguments: argparse.Namespace) -> int:
    """A new key-encryption key: printed, or written to a new file only its owner reads."""
    text = KeyEncryptionKey.generate_text()
    kek = KeyEncryptionKey.parse(text)
    if arguments.out is None:
        print(text)
        print(f"huiyin: a new key-encryption key, {kek.id}", file=sys.stderr)
        return 0
    try:
        # O_EXCL: an existing file may hold the KEK that wraps every case key; never replace it.
        descriptor = os.open(arguments.out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        print(f"huiyin: {arguments.out} exists; a KEK file is never overwritten",
              file=sys.stderr)
        return UNUSABLE
    except OSError as error:
        print(f"huiyin: cannot create {arguments.out}: {error.strerror}", file=sys.stderr)
        return UNUSABLE
    with os.fdopen(descriptor, "w", encoding="utf-8") as file:
        file.write(text + "\n")
    print(f"huiyin: a new key-encryption key, {kek.id}, is in {arguments.out} (mode 0600); "
          f"to rotate, name it in HUIYIN_KEK_FILE and the old one's file in "
          f"HUIYIN_KEK_RETIRED_FILES, restart the services, then run `huiyin keys rotate`")
    return 0


def keys_status(settings: Settings, arguments: argparse.Namespace) -> int:
    with _opened(settings) as services:
        status = key_rotation.key_status(services.complaints.recorder, settings.key_ring)
    for kek in (status.current, *status.retired):
        role = "current" if kek == status.current else "retired"
        print(f"{kek}  {role:<8} wraps {status.keys_by_kek.get(kek, 0)} case key(s)")
    for kek, count in sorted(status.unheld.items()):
        print(f"{kek}  NOT HELD wraps {count} case key(s)")
    print(f"huiyin keys: {sum(status.keys_by_kek.values())} case key(s), "
          f"{status.left} not under the current KEK")
    if status.unheld:
        print(f"huiyin keys: keys wrapped by a KEK this installation does not hold cannot be "
              f"opened; list its file in {key_rotation.RETIRED_VARIABLE}", file=sys.stderr)
        return BROKEN
    return 0


def keys_rotate(settings: Settings, arguments: argparse.Namespace) -> int:
    """Re-wrap every case key under the current KEK; SIGTERM or SIGINT ends after a batch."""

    def report(done: key_rotation.RotationProgress) -> None:
        gone = f", {done.gone} erased meanwhile" if done.gone else ""
        print(f"huiyin keys: batch {done.batches}: {done.rewrapped} of {done.to_rotate} "
              f"re-wrapped{gone}", flush=True)

    handlers = {signum: signal.getsignal(signum) for signum in (signal.SIGTERM, signal.SIGINT)}
    with _opened(settings) as services, contextlib.closing(
        open_publisher(settings, client_id="huiyin-keys")
    ) as publisher:
        app = services.complaints

        def republish(keys: Sequence[WrappedKey]) -> None:
            # Notify unwraps what the keys channel carries: each batch goes out re-wrapped.
            republish_case_keys(app, publisher, [key.case_id for key in keys])

        try:
            result = key_rotation.rotate_keys(
                app.recorder, settings.key_ring, batch_size=arguments.batch_size,
                stop=_stop_on_signals(), progress=report, republish=republish,
            )
        except key_rotation.KeyRotationError as error:
            print(f"huiyin keys: {error}", file=sys.stderr)
            return UNUSABLE
        finally:
            for signum, handler in handlers.items():
                signal.signal(signum, handler)
    if not result.finished:
        print(f"huiyin keys: stopped with {result.left} key(s) under a retired KEK; "
              f"run `huiyin keys rotate` again to finish", file=sys.stderr)
        return BROKEN
    print(f"huiyin keys: every case key is under {settings.key_ring.current.id}; "
          f"the retired KEKs may be discarded")
    return 0


def calendar_load(settings: Settings, arguments: argparse.Namespace) -> int:
    """Check and store a year's official schedule, then recompute the provisional due times."""
    return calendar.load_schedule(
        settings, arguments, recompute=processes.recompute_provisional_deadlines
    )


def stream_prepare(settings: Settings, arguments: argparse.Namespace) -> int:
    """Create the topics with their partitions and retention (Kafka), or the embedded log."""
    try:
        created = prepare_topics(settings)
    except StreamUnavailableError as error:
        print(f"huiyin: {error}", file=sys.stderr)
        return UNUSABLE
    made = f"created {', '.join(created)}" if created else "nothing to create"
    print(f"huiyin: {describe(settings)} is ready ({made})")
    return 0


def _once(name: str, unit: str, work: Callable[[], int]) -> int:
    try:
        count = work()
    except StreamUnavailableError as error:
        print(f"huiyin {name}: {error}", file=sys.stderr)
        return UNUSABLE
    print(f"huiyin {name}: {count} {unit}")
    return 0


def _quiet_stream_client(settings: Settings) -> None:
    """One line per outage from us, not kafka-python's line per reconnect (DEBUG keeps them)."""
    if settings.log_level != "DEBUG":
        quiet_client_logs()


def _stop_on_signals() -> threading.Event:
    """An event set by SIGTERM or SIGINT, so a process finishes its batch and stops."""
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    return stop


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="huiyin", description="Operate the Huiyin complaints service."
    )
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    def command(name: str, run: Callable, help: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help, description=help)
        sub.set_defaults(command=run)
        return sub

    command("init", init, "create the store's and the read model's tables (demo: the accounts)")
    user = command(
        "create-user", create_user, "register a staff account (a password of 12+ characters)"
    )
    user.add_argument("username")
    user.add_argument("--role", required=True, choices=[role.value for role in STAFF_ROLES])
    user.add_argument("--department", help="a handler's department code, such as TAX")
    user.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    accounts = _group(commands, "staff", "staff accounts: list, disable, enable, delete", (
        ("list", staff_list, "every account, its role and whether it is disabled"),
        ("set-password", staff_set_password,
         "give an account a new password (asked twice, or read from standard input)"),
        ("disable", staff_disable, "stop an account signing in; its sign-ins end at once"),
        ("enable", staff_enable, "let a disabled account sign in again"),
        ("delete", staff_delete, "delete an account; its sign-ins end at once"),
    ))
    for action in ("set-password", "disable", "enable", "delete"):
        accounts[action].add_argument("username")
    accounts["set-password"].add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    check = command(
        "verify", verify, "verify the chain of hashes of a case, of every case, or of an export"
    )
    check.add_argument("case", nargs="?", help="a case reference (HY-2026-000123) or id")
    check.add_argument("--all", action="store_true", help="every case in the store")
    check.add_argument(
        "--file", dest="export_file", metavar="EXPORT.json",
        help="a history exported by an auditor, verified offline (no store, no settings)",
    )
    importing.add_arguments(
        command("import", importing.run, "import historical cases from a CSV or XLSX file")
    )

    projections = commands.add_parser("projections", help="run or rebuild the read models")
    actions = projections.add_subparsers(required=True, metavar="ACTION")
    for name, run, help in (
        ("run", projections_run, "keep the read models current until stopped"),
        ("catch-up", projections_catch_up, "bring the read models up to date, then exit"),
        ("rebuild", projections_rebuild, "empty the read models and project every event again"),
    ):
        actions.add_parser(name, help=help, description=help).set_defaults(command=run)
    _group(commands, "relay", "publish the case events to the stream", (
        ("run", relay_run, "publish the case events as they are recorded, until stopped"),
        ("catch-up", relay_catch_up, "publish every pending case event, then exit"),
    ))
    _group(commands, "receipts", "record notify's receipts in the cases", (
        ("run", receipts_run, "record receipts as they arrive, until stopped"),
        ("catch-up", receipts_catch_up, "record every waiting receipt, then exit"),
    ))
    watch = _group(commands, "watchdog", "record breached deadlines and warn before them", (
        ("run", watchdog_run, "sweep until stopped"),
        ("sweep", watchdog_sweep, "sweep once, then exit"),
    ))
    watch["run"].add_argument(
        "--interval", type=float, default=30.0, help="seconds between sweeps (default 30)"
    )
    _group(commands, "suggestions", "dispatch suggestions learned from the closed cases", (
        ("train", suggestions_train,
         "learn the category and lead department from the closed cases, then exit"),
    ))
    _group(commands, "attachments", "the files filers attached", (
        ("sweep", attachments_sweep, "remove uploads no case refers to, then exit"),
    ))
    keys = _group(commands, "keys", "the key-encryption keys that wrap every case's key", (
        ("new-kek", None, "make a new key-encryption key (printed, or --out FILE)"),
        ("status", keys_status, "how many case keys each KEK wraps, and which KEKs are held"),
        ("rotate", keys_rotate, "re-wrap every case key under the current KEK, resumably"),
    ))
    keys["new-kek"].set_defaults(offline=keys_new_kek)
    keys["new-kek"].add_argument(
        "--out", metavar="FILE", help="write it to FILE, made readable by its owner only "
        "(never over an existing file)",
    )
    keys["rotate"].add_argument(
        "--batch-size", type=_positive, default=key_rotation.BATCH_SIZE,
        help=f"keys re-wrapped per transaction (default {key_rotation.BATCH_SIZE})",
    )
    personal_data.add_commands(commands)
    _group(commands, "stream", "prepare the event stream", (
        ("prepare", stream_prepare, "create the topics (Kafka) or the embedded log"),
    ))
    schedules = _group(commands, "calendar", "the official working-day calendar", (
        ("load", calendar_load, "check and store a year's official schedule"),
        ("show", calendar.show_calendar, "a year's holidays and make-up workdays"),
    ))
    schedules["load"].add_argument("file", metavar="FILE", help="the schedule as JSON")
    schedules["show"].add_argument("year", metavar="YEAR", type=int)
    return parser


def _group(
    commands: Any, name: str, help: str, actions: Sequence[tuple]
) -> dict[str, argparse.ArgumentParser]:
    group = commands.add_parser(name, help=help, description=help)
    sub = group.add_subparsers(required=True, metavar="ACTION")
    parsers = {}
    for action, run, action_help in actions:
        parsers[action] = sub.add_parser(action, help=action_help, description=action_help)
        parsers[action].set_defaults(command=run)
    return parsers


def _positive(text: str) -> int:
    number = int(text)
    if number < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a positive number")
    return number


@contextmanager
def _opened(settings: Settings) -> Iterator[Services]:
    """The application for one command, closed afterwards."""
    services = build_services(settings)
    try:
        yield services
    finally:
        services.close()


def _read_password(from_stdin: bool) -> str | None:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    second = getpass.getpass("Password again: ")
    return first if first == second else None


def _print_demo(
    settings: Settings, accounts: list[tuple[str, str, str | None]], password: str
) -> None:
    site = settings.public_url
    print(f"\nHuiyin runs in demo mode: open {site}/ (the JSON API's documentation: {site}/docs)")
    print(f"Demo logins (password: {password}, this installation's own, kept in "
          f"{settings.data_dir / DEMO_PASSWORD_FILE})")
    print(f"for {site}/staff/sign-in and POST /api/v1/auth/token:")
    for username, role, department in accounts:
        print(f"  {username:<22} {role}{f' of {department}' if department else ''}")
    print()


def _renew_the_old_demo_passwords(
    services: Services, accounts: list[tuple[str, str, str | None]], password: str
) -> None:
    """Demo accounts made before each installation had its own password took 'demo', which
    anyone can read in older sources: they are given this installation's password."""
    renewed = []
    for username, _role, _department in accounts:
        try:
            services.staff.authenticate(username, LEGACY_DEMO_PASSWORD)
        except DomainError:
            continue
        services.staff.set_password(username, password)
        renewed.append(username)
    if renewed:
        print(f"huiyin: {len(renewed)} demo accounts made before demo passwords were random "
              f"took {LEGACY_DEMO_PASSWORD!r}; they now take the password above",
              file=sys.stderr)


def _describe(where: object) -> str:
    if hasattr(where, "dbname"):
        return f"{where.host}:{where.port}/{where.dbname}"
    return str(where)


def _close(resource: object) -> None:
    close = getattr(resource, "close", None)
    if close is not None:
        close()
