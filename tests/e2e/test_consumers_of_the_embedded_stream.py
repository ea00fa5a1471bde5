"""Two notify processes on the embedded stream: one sends, the other stands by and takes over."""

from __future__ import annotations

import subprocess
from collections import Counter

from complaints.application.principals import Principal
from complaints.bootstrap import build_services
from complaints.domain.values import Role
from complaints.settings import Settings
from shared.contract.topics import CASE_EVENTS, NOTIFY_GROUP
from shared.stream.embedded import EmbeddedLog
from tests.fixtures.filing import filing_command
from tests.fixtures.pipeline import pipeline_environment, wait_for
from tests.fixtures.processes import BIN, ServiceProcess

FIRST_ROUND = 100
SECOND_ROUND = 100
# The processes take time to deliver several hundred emails on a busy two-core machine.
DELIVERY_SECONDS = 240
TAKING_OVER = "now reads group notify"


def address(n: int) -> str:
    return f"filer{n}@amur-trade.example"


def submission(n: int) -> dict:
    return {
        "channel": "web",
        "category": "cross_border_trade",
        "subject": f"Customs clearance held up #{n}",
        "description": "The consignment has waited at the border crossing for ten days.",
        "filer": {"enterprise_name": f"Amur Trade {n}", "contact_person": "Ivan Petrov",
                  "email": address(n), "language": "en"},
    }


def file_cases(env: dict[str, str], numbers: range) -> None:
    services = build_services(Settings.from_env(env))
    public = Principal("public", Role.FILER)
    try:
        for n in numbers:
            services.complaints.file_case(public, filing_command(submission(n)))
    finally:
        services.close()


def test_two_notify_processes_on_the_embedded_stream_send_each_email_once_and_take_over(
    tmp_path, smtp_server
):
    env = pipeline_environment(tmp_path / "var", smtp_server.port)
    for init in (["huiyin", "init"], ["huiyin-notify", "init"], ["huiyin", "stream", "prepare"]):
        subprocess.run([str(BIN / init[0]), *init[1:]], env=env, check=True,
                       capture_output=True, timeout=120)
    stream = EmbeddedLog(tmp_path / "var" / "stream.sqlite")
    relay = ServiceProcess("relay", [str(BIN / "huiyin"), "relay", "run"], env, tmp_path)
    notifiers = [ServiceProcess(f"notify-{n}", [str(BIN / "huiyin-notify"), "run"], env, tmp_path)
                 for n in (1, 2)]
    everyone = [relay, *notifiers]

    def logs() -> str:
        return "\n".join(f"--- {p.name} ---\n{p.log_tail()}" for p in everyone)

    def all_mailed_and_committed(count: int) -> bool:
        mailed = {message["To"] for message in smtp_server.messages}
        published = len(stream.read(CASE_EVENTS, 0, 100_000))
        return (mailed >= {address(n) for n in range(count)}
                and stream.committed(NOTIFY_GROUP, CASE_EVENTS) >= published >= count)

    try:
        # A backlog, then both notify processes at once: they race for the same messages.
        file_cases(env, range(FIRST_ROUND))
        for process in everyone:
            process.start()
        wait_for(f"the first {FIRST_ROUND} filing emails", lambda: all_mailed_and_committed(
            FIRST_ROUND), seconds=DELIVERY_SECONDS, explain=logs)
        sent = Counter(message["To"] for message in smtp_server.messages)
        assert sent == Counter({address(n): 1 for n in range(FIRST_ROUND)})

        # The one sending dies mid-send (held by the server, killed with -9); the other goes on.
        smtp_server.hold_after(FIRST_ROUND + 20)
        file_cases(env, range(FIRST_ROUND, FIRST_ROUND + SECOND_ROUND))
        wait_for("the active notify to hang mid-send", smtp_server.held.is_set, explain=logs)
        active = [p for p in notifiers if TAKING_OVER in p.log_tail(100_000)]
        assert len(active) == 1, logs()
        active[0].kill()
        smtp_server.release()
        standby = next(p for p in notifiers if p is not active[0])
        total = FIRST_ROUND + SECOND_ROUND
        wait_for(f"all {total} filing emails", lambda: all_mailed_and_committed(total),
                 seconds=DELIVERY_SECONDS, explain=logs)
        assert TAKING_OVER in standby.log_tail(100_000)
        sent = Counter(message["To"] for message in smtp_server.messages)
        assert sent == Counter({address(n): 1 for n in range(total)})
    finally:
        for process in everyone:
            process.stop()
        stream.close()
