"""Gunicorn settings, read from the environment each time gunicorn starts."""

import os
import shutil
import sys
import tempfile
from pathlib import Path

from complaints.settings import Settings
from shared.settings import SettingsError, is_loopback_bind

# A bad value stops the master here with its message, before any worker boots.
try:
    _settings = Settings.from_env()
except SettingsError as error:
    sys.exit(f"huiyin: {error}")

bind = _settings.bind.split(",")
workers = _settings.workers
worker_class = "gthread"
threads = 4
# Each worker builds its own app and event-store connections after the fork.
preload_app = False

# No access log of gunicorn's: the app logs each request as one JSON line with its request id.
accesslog = None
# Let requests in flight finish on SIGTERM before workers are killed.
graceful_timeout = 20
timeout = 30
# Nothing here uses gunicorn's runtime control socket; a shared default path would make
# two servers on one machine (make run beside the tests) trip over each other.
control_socket_disable = True

_METRICS_DIR = "PROMETHEUS_MULTIPROC_DIR"
_made_metrics_dir = []


def on_starting(server):
    """Refuse a demo served beyond this machine; give the workers a metrics directory.

    The bind may also come from gunicorn's own `-b` or GUNICORN_CMD_ARGS, which override this
    file: the addresses gunicorn is about to listen on are checked here, before it does.
    The metrics directory (prometheus multiprocess mode) is set before any worker forks, so
    every worker's prometheus-client sees it when imported.
    """
    if _settings.demo:
        outside = [str(address) for address in server.cfg.bind if not is_loopback_bind(address)]
        if outside:
            sys.exit(
                f"huiyin: HUIYIN_DEMO serves only this machine, not {', '.join(outside)}; bind "
                f"a loopback address such as 127.0.0.1:{_settings.port}, or run without "
                f"HUIYIN_DEMO, with HUIYIN_SECRET_KEY and staff accounts of your own"
            )
    given = os.environ.get(_METRICS_DIR)
    if given:
        Path(given).mkdir(parents=True, exist_ok=True)
        for stale in Path(given).glob("*.db"):
            stale.unlink()
    else:
        made = tempfile.mkdtemp(prefix="huiyin-metrics-")
        _made_metrics_dir.append(made)
        os.environ[_METRICS_DIR] = made


def child_exit(server, worker):
    """A dead worker's live gauges must not be summed any more."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    for made in _made_metrics_dir:
        shutil.rmtree(made, ignore_errors=True)
