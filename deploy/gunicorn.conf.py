"""Gunicorn settings, read from the environment each time gunicorn starts."""

import os

bind = os.environ.get("HUIYIN_BIND") or f"127.0.0.1:{os.environ.get('PORT') or 8000}"
workers = int(os.environ.get("HUIYIN_WORKERS") or 2)
worker_class = "gthread"
threads = 4
# Each worker builds its own app and event-store connections after the fork.
preload_app = False

accesslog = "-"
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms'
# Let requests in flight finish on SIGTERM before workers are killed.
graceful_timeout = 20
timeout = 30
