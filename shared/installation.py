"""Secrets a demo installation makes for itself on first run, kept in its data directory.

A value the source code ships is known to everyone who reads it, so demo mode (`make run`)
must not have one: the secret key (tokens, sessions, access codes, webhook signatures) and
the demo accounts' password are drawn from `secrets` the first time any process of the
installation reads its settings, and every later process reads the same file.

Several processes start at once under `make run`; each writes its own candidate to a
private temporary file and hard-links it to the final name. `link` never replaces a file,
so the first link wins and every process reads the winner's value, complete, never half
written. The files are readable by their owner only (mode 0600), like an SSH key.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
import tempfile
from collections.abc import Callable
from pathlib import Path

SECRET_KEY_FILE = "secret-key"
DEMO_PASSWORD_FILE = "demo-password"


class SecretFileError(ValueError):
    """A kept secret's file is unsafe or damaged; the message says what to do."""


def demo_secret_key(data_dir: Path) -> str:
    """The installation's secret key: 64 characters, 384 random bits."""
    return kept_secret(Path(data_dir) / SECRET_KEY_FILE, lambda: secrets.token_urlsafe(48))


def demo_password(data_dir: Path) -> str:
    """The demo accounts' password: 16 characters, 96 random bits."""
    return kept_secret(Path(data_dir) / DEMO_PASSWORD_FILE, lambda: secrets.token_urlsafe(12))


def kept_secret(path: Path, make: Callable[[], str]) -> str:
    """The value in `path`, made by `make` and stored there first if there is none."""
    if not path.exists():
        _create(path, make())
    return read_secret(path)


def _create(path: Path, value: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # mkstemp opens the file 0600 from the start: no moment when others could read it.
    descriptor, candidate = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as file:
            file.write(value + "\n")
            file.flush()
            os.fsync(file.fileno())
        # If another process of this installation was first, its value holds.
        with contextlib.suppress(FileExistsError):
            os.link(candidate, path)
    finally:
        os.unlink(candidate)


def read_secret(path: Path) -> str:
    """A secret kept in a file only its owner may read."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise SecretFileError(
            f"{path} may be read by others (mode {mode:o}); make it the owner's only "
            f"(chmod 600 {path}) or delete it to make a new one"
        )
    value = path.read_text(encoding="utf-8").strip()
    if not value:
        raise SecretFileError(f"{path} is empty; delete it to make a new one")
    return value
