"""`make run` as a developer runs it: a process that dies is started again, the web goes on."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from pathlib import Path

import pytest
import requests

from tests.fixtures.pipeline import wait_for
from tests.fixtures.processes import ROOT, clean_environment, free_port

START_SECONDS = 180
NOTIFY = b"huiyin-notify\0run\0"


class MakeRun:
    """`make run` in its own session, as in a terminal: Ctrl-C reaches its whole group."""

    def __init__(self, env: dict[str, str], output: Path) -> None:
        self.env = env
        self.output = output
        self.base = f"http://127.0.0.1:{env['PORT']}"
        with output.open("w") as sink:
            self.process = subprocess.Popen(["make", "run"], cwd=ROOT, env=env, stdout=sink,
                                            stderr=subprocess.STDOUT, start_new_session=True)

    def printed(self) -> str:
        return self.output.read_text(errors="replace")

    def tail(self) -> str:
        return self.printed()[-6000:]

    def answers(self, path: str = "/readyz") -> bool:
        try:
            return requests.get(f"{self.base}{path}", timeout=5).status_code == 200
        except requests.RequestException:
            return False

    def ctrl_c(self) -> int:
        os.killpg(self.process.pid, signal.SIGINT)
        return self.process.wait(timeout=120)


class Watcher(threading.Thread):
    """Asks the web whether it is ready, again and again, and keeps every failure."""

    def __init__(self, run: MakeRun) -> None:
        super().__init__(daemon=True)
        self.stack = run
        self.stopped = threading.Event()
        self.asked = 0
        self.failures: list[str] = []

    def run(self) -> None:
        while not self.stopped.is_set():
            try:
                answer = requests.get(f"{self.stack.base}/readyz", timeout=10)
                if answer.status_code != 200:
                    self.failures.append(f"{answer.status_code}: {answer.text[:200]}")
            except requests.RequestException as error:
                self.failures.append(repr(error))
            self.asked += 1
            self.stopped.wait(0.1)


def processes_of(data_dir: Path, command: bytes = b"") -> list[int]:
    """Every live process whose environment names this data dir (what `make run` started),
    and whose command line holds `command`."""
    marker = f"HUIYIN_DATA_DIR={data_dir}\0".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (marker in (entry / "environ").read_bytes()
                    and command in (entry / "cmdline").read_bytes()):
                found.append(int(entry.name))
        except OSError:
            continue  # gone meanwhile, or not ours to read
    return found


def alive(pid: int) -> bool:
    """Running, not a zombie waiting for its parent."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[-1][0] != "Z"
    except OSError:
        return False


def filing(address: str) -> dict:
    return {
        "channel": "web",
        "category": "cross_border_trade",
        "subject": "Customs clearance held up",
        "description": "The consignment has waited at the border crossing for ten days.",
        "filer": {"enterprise_name": "Amur Trade", "contact_person": "Ivan Petrov",
                  "email": address, "language": "en"},
    }


@pytest.fixture
def make_run(tmp_path, smtp_server):
    data_dir = tmp_path / "var"
    env = {
        **clean_environment(),
        "HUIYIN_DATA_DIR": str(data_dir),
        "PORT": str(free_port()),
        "HUIYIN_LOG_FORMAT": "text",
        "HUIYIN_SMTP_HOST": "127.0.0.1",
        "HUIYIN_SMTP_PORT": str(smtp_server.port),
        "HUIYIN_SMTP_FROM": "huiyin@huiyin.example",
    }
    run = MakeRun(env, tmp_path / "make-run.out")
    try:
        yield run, data_dir
    finally:
        if run.process.poll() is None:
            run.ctrl_c()
        for pid in processes_of(data_dir):
            os.kill(pid, signal.SIGKILL)


def test_notify_killed_under_make_run_is_started_again_while_the_web_keeps_serving(
    make_run, smtp_server
):
    run, data_dir = make_run
    wait_for("the web of `make run`", lambda: run.process.poll() is None and run.answers(),
             seconds=START_SECONDS, explain=run.tail)
    assert "Demo logins" in run.printed()
    wait_for("notify to read its group",
             lambda: "now reads group notify" in run.printed(), explain=run.tail)
    [first] = processes_of(data_dir, NOTIFY)

    watcher = Watcher(run)
    watcher.start()
    os.kill(first, signal.SIGKILL)
    filed = requests.post(f"{run.base}/api/v1/cases", json=filing("after-kill@amur.example"),
                          timeout=10)
    assert filed.status_code == 201, filed.text
    wait_for("notify started again",
             lambda: [pid for pid in processes_of(data_dir, NOTIFY) if pid != first],
             explain=run.tail)
    wait_for("the filing made after the kill to be mailed",
             lambda: smtp_server.messages_to("after-kill@amur.example"), explain=run.tail)
    watcher.stopped.set()
    watcher.join()

    assert watcher.asked > 0 and watcher.failures == [], run.tail()
    assert run.process.poll() is None
    assert not alive(first)
    assert len([pid for pid in processes_of(data_dir, NOTIFY) if alive(pid)]) == 1

    # Ctrl-C: every process stops, none is left behind.
    run.ctrl_c()
    assert processes_of(data_dir) == [], run.tail()


def test_make_run_keeps_its_data_where_told_and_links_to_where_it_serves(make_run, smtp_server):
    run, data_dir = make_run
    wait_for("the web of `make run`", lambda: run.process.poll() is None and run.answers(),
             seconds=START_SECONDS, explain=run.tail)
    assert f"open {run.base}/" in run.printed()
    assert f"kept in {data_dir / 'demo-password'}" in run.printed()
    filed = requests.post(f"{run.base}/api/v1/cases", json=filing("links@amur.example"),
                          timeout=10)
    assert filed.status_code == 201, filed.text
    [mail] = wait_for("the filing to be mailed",
                      lambda: smtp_server.messages_to("links@amur.example"), explain=run.tail)
    body = mail.get_body(("plain",)).get_content()
    assert f"{run.base}/track/{filed.json()['reference']}" in body
    assert (data_dir / "complaints.sqlite").exists() and (data_dir / "stream.sqlite").exists()
