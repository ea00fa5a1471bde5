"""The `huiyin-notify` command: create notify's store, run the consumer, or drain once."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence

from notify.bootstrap import build_service
from notify.runner import notify_once, run_notify
from notify.settings import NotifySettings
from shared.logging_setup import configure_logging
from shared.settings import SettingsError

UNUSABLE = 2


def main(argv: Sequence[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
    try:
        settings = NotifySettings.from_env()
    except SettingsError as error:
        print(f"huiyin-notify: {error}", file=sys.stderr)
        return UNUSABLE
    configure_logging(settings.shared.log_level, settings.shared.log_format)
    return arguments.command(settings)


def init(settings: NotifySettings) -> int:
    """Create the notify store's tables once, before any worker starts."""
    build_service(settings, create_tables=True).close()
    where = settings.postgres.dbname if settings.postgres else settings.sqlite_path
    print(f"huiyin-notify: the {settings.store_name} store is ready ({where})")
    return 0


def run(settings: NotifySettings) -> int:
    """Until SIGTERM or SIGINT; then it stops between messages, committing what is done."""
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    run_notify(settings, stop=stop)
    return 0


def once(settings: NotifySettings) -> int:
    """Handle what is pending and exit: for scripts and for a look at what is waiting."""
    handled = notify_once(settings)
    print(f"huiyin-notify: {handled} event(s) handled")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="huiyin-notify", description="Tell filers and departments what happened to cases."
    )
    commands = parser.add_subparsers(required=True, metavar="COMMAND")
    for name, command, summary in (
        ("init", init, "create the notify store's tables, once, before any worker starts"),
        ("run", run, "follow the case events until SIGTERM or SIGINT"),
        ("once", once, "handle every pending case event once, then exit"),
    ):
        commands.add_parser(name, help=summary, description=summary).set_defaults(
            command=command
        )
    return parser
