"""Key rotation on both stores: every case key re-wrapped under a new KEK while cases are filed,
read and erased, resumably; afterwards the new KEK alone opens every case that was not erased.

Bounded by counts: so many cases, so many threads, batches of a known size; threads meet at
events, never at a time.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from uuid import UUID, uuid4

import pytest
from eventsourcing.persistence import StoredEvent

from complaints import cli
from complaints.application import key_rotation
from complaints.application.principals import Principal
from complaints.bootstrap import Services, build_services
from complaints.domain.personal import ErasedText
from complaints.domain.values import Role
from shared.contract.case_keys import decode_case_key
from shared.contract.topics import CASE_KEYS
from shared.sealing import KeyEncryptionKey, KeyRing
from shared.stream.embedded import EmbeddedLog
from tests.fixtures.filing import filing_command
from tests.fixtures.stores import settings_for
from tests.integration.conftest import CREDIT_CODE

FILER = Principal("public", Role.FILER)
SUPERVISOR = Principal("supervisor-1", Role.SUPERVISOR)
OLD_CASES = 40
BATCH = 8
FILERS = 2
FILED_PER_FILER = 15
# Cases each filer files before rotation may go past its first batch.
FILED_DURING_ROTATION = 4
READ_ROUNDS = 3


class Installation:
    """The same store seen through different KEK settings, as an operator changes them."""

    def __init__(self, store: str, data_dir: Path, database_url: str) -> None:
        self.store = store
        self.data_dir = data_dir
        self.database_url = database_url
        self.old = self._kek_file("old.kek")
        self.new = self._kek_file("new.kek")

    def _kek_file(self, name: str) -> Path:
        path = self.data_dir / name
        path.write_text(KeyEncryptionKey.generate_text() + "\n")
        path.chmod(0o600)
        return path

    def env(self, current: Path, retired: Path | None = None) -> dict[str, str]:
        return {"HUIYIN_KEK": "", "HUIYIN_KEK_FILE": str(current),
                "HUIYIN_KEK_RETIRED_FILES": str(retired or ""), "HUIYIN_LOG_LEVEL": "WARNING"}

    @contextmanager
    def services(self, current: Path, retired: Path | None = None) -> Iterator[Services]:
        settings = settings_for(self.store, str(self.data_dir), self.database_url,
                                **self.env(current, retired))
        services = build_services(settings, create_tables=True)
        try:
            yield services
        finally:
            services.close()

    def kek_id(self, path: Path) -> str:
        return KeyEncryptionKey.parse(path.read_text()).id


@pytest.fixture
def installation(store: str, request: pytest.FixtureRequest, tmp_path: Path) -> Installation:
    url = request.getfixturevalue("postgres_url") if store == "postgresql" else ""
    return Installation(store, tmp_path, url)


@pytest.fixture
def operator(installation: Installation, monkeypatch, capsys) -> Callable[..., tuple[int, str]]:
    """Run `huiyin ARGS…` in this process with the given KEK settings: (status, output)."""

    def run(*argv: str, current: Path, retired: Path | None = None) -> tuple[int, str]:
        settings = settings_for(installation.store, str(installation.data_dir),
                                installation.database_url)
        env = {"HUIYIN_SECRET_KEY": settings.secret_key,
               "HUIYIN_DATA_DIR": str(installation.data_dir),
               "HUIYIN_DATABASE_URL": installation.database_url,
               **installation.env(current, retired)}
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        capsys.readouterr()
        status = cli.main(list(argv))
        out = capsys.readouterr()
        return status, out.out + out.err

    return run


def marked(label: str) -> dict:
    """A submission whose every personal value carries `label`."""
    return {
        "channel": "web", "category": "tax",
        "subject": f"subject {label}", "description": f"description {label}",
        "happened_at_place": f"place {label}",
        "filer": {"enterprise_name": f"enterprise {label}", "contact_person": f"person {label}",
                  "email": f"{label}@example.com", "phone": f"+86 {label}",
                  "credit_code": CREDIT_CODE, "language": "zh"},
    }


def file_marked(services: Services, label: str) -> UUID:
    return services.complaints.file_case(FILER, filing_command(marked(label))).case_id


def personal_values(services: Services, case_id: UUID) -> list[str]:
    case = services.complaints.load_case(case_id)
    filer = case.filer
    return [case.subject, case.description, case.happened_at_place, filer.enterprise_name,
            filer.contact_person, filer.email, filer.phone]


def expected_values(label: str) -> list[str]:
    return [f"subject {label}", f"description {label}", f"place {label}",
            f"enterprise {label}", f"person {label}", f"{label}@example.com", f"+86 {label}"]


def file_old_cases(installation: Installation, count: int) -> dict[UUID, str]:
    with installation.services(installation.old) as services:
        return {file_marked(services, f"old{n:03d}"): f"old{n:03d}" for n in range(count)}


def assert_readable(services: Services, cases: dict[UUID, str]) -> None:
    for case_id, label in cases.items():
        values = personal_values(services, case_id)
        assert values == expected_values(label)
        assert not any(isinstance(value, ErasedText) for value in values)


def assert_erased(services: Services, case_ids: set[UUID]) -> None:
    assert services.complaints.recorder.select_case_keys(list(case_ids)) == {}
    for case_id in case_ids:
        values = personal_values(services, case_id)
        assert all(isinstance(value, ErasedText) and value == "" for value in values)


def test_rotation_under_load_leaves_every_case_opened_by_the_new_kek_alone(
    installation: Installation, operator
):
    old_cases = file_old_cases(installation, OLD_CASES)
    new_cases: dict[UUID, str] = {}
    erased: set[UUID] = set()
    by_case_id = sorted(old_cases)
    filed = threading.Semaphore(0)
    read_failures: list[BaseException] = []

    with installation.services(installation.new, installation.old) as services:
        def keep_filing(filer: int) -> None:
            for n in range(FILED_PER_FILER):
                label = f"new{filer}x{n:03d}"
                new_cases[file_marked(services, label)] = label
                filed.release()

        def keep_reading() -> None:
            # Erased cases read as erased; every other old case reads whole, under either KEK.
            try:
                for _ in range(READ_ROUNDS):
                    assert_readable(services, {
                        case_id: label for case_id, label in old_cases.items()
                        if case_id not in erased and case_id not in erasing
                    })
            except BaseException as error:  # reported by the test, after the threads end
                read_failures.append(error)

        # One case from the first batch (already re-wrapped when it is erased), one from the
        # last (erased before rotation reaches it).
        erasing = {by_case_id[0], by_case_id[-1]}

        def after_batch(done: key_rotation.RotationProgress) -> None:
            if done.batches == 1:
                for _ in range(FILERS * FILED_DURING_ROTATION):
                    # The filers file between this batch and the next (the timeout only
                    # keeps a broken filer from hanging the test).
                    assert filed.acquire(timeout=120)
                for case_id in sorted(erasing):
                    services.complaints.erase_personal_data(SUPERVISOR, case_id, "filer_request")
                    erased.add(case_id)

        workers = [threading.Thread(target=keep_filing, args=(n,)) for n in range(FILERS)]
        workers.append(threading.Thread(target=keep_reading))
        for worker in workers:
            worker.start()
        try:
            result = key_rotation.rotate_keys(
                services.complaints.recorder, services.settings.key_ring,
                batch_size=BATCH, progress=after_batch,
            )
        finally:
            for worker in workers:
                worker.join()

    assert read_failures == []
    assert result.finished
    # The first batch's erased case was re-wrapped before; the last one's never was.
    assert (result.progress.rewrapped, result.progress.gone) == (OLD_CASES - 1, 0)
    assert len(new_cases) == FILERS * FILED_PER_FILER
    status, output = operator("keys", "status", current=installation.new,
                              retired=installation.old)
    assert status == 0
    assert f"{installation.kek_id(installation.old)}  retired  wraps 0 case key(s)" in output
    kept = OLD_CASES - len(erased) + len(new_cases)
    assert f"{installation.kek_id(installation.new)}  current  wraps {kept} case key(s)" in output

    with installation.services(installation.new) as alone:
        assert_readable(alone, {**new_cases, **{
            case_id: label for case_id, label in old_cases.items() if case_id not in erased
        }})
        assert_erased(alone, erased)
    assert operator("keys", "status", current=installation.new)[0] == 0


def test_a_rotation_killed_after_one_batch_finishes_when_run_again(
    installation: Installation, operator
):
    old_cases = file_old_cases(installation, 12)

    class Killed(Exception):
        pass

    def die(done: key_rotation.RotationProgress) -> None:
        raise Killed

    with installation.services(installation.new, installation.old) as services:
        with pytest.raises(Killed):
            key_rotation.rotate_keys(services.complaints.recorder, services.settings.key_ring,
                                     batch_size=5, progress=die)
        status = key_rotation.key_status(services.complaints.recorder, services.settings.key_ring)
    assert status.keys_by_kek == {installation.kek_id(installation.new): 5,
                                  installation.kek_id(installation.old): 7}

    code, output = operator("keys", "rotate", "--batch-size", "5",
                            current=installation.new, retired=installation.old)

    assert code == 0, output
    assert "batch 2: 7 of 7 re-wrapped" in output
    assert "may be discarded" in output
    with installation.services(installation.new) as alone:
        assert_readable(alone, old_cases)


def test_a_rotation_stopped_between_batches_says_how_many_keys_are_left(
    installation: Installation,
):
    file_old_cases(installation, 6)
    stop = threading.Event()

    with installation.services(installation.new, installation.old) as services:
        result = key_rotation.rotate_keys(
            services.complaints.recorder, services.settings.key_ring,
            batch_size=4, stop=stop, progress=lambda done: stop.set(),
        )

    assert (result.finished, result.left, result.progress.rewrapped) == (False, 2, 4)


def test_a_key_made_under_the_old_kek_behind_the_rotation_is_rewrapped_too(
    installation: Installation,
):
    """A process not yet restarted with the new KEK still wraps under the old one; a case it
    files before the page rotation has reached is found on the pass from the first case."""
    old_cases = file_old_cases(installation, 12)
    behind: dict[UUID, str] = {}

    with (
        installation.services(installation.old) as not_restarted,
        installation.services(installation.new, installation.old) as services,
    ):
        def file_behind(done: key_rotation.RotationProgress) -> None:
            if done.batches != 1:
                return
            cursor = sorted(old_cases)[4]  # the last case of the first batch
            for n in range(50):  # case ids are hashes: about one in three lands behind
                label = f"late{n:02d}"
                case_id = file_marked(not_restarted, label)
                if case_id < cursor:
                    behind[case_id] = label
                    return

        result = key_rotation.rotate_keys(
            services.complaints.recorder, services.settings.key_ring,
            batch_size=5, progress=file_behind,
        )

    assert behind
    assert result.finished
    with installation.services(installation.new) as alone:
        assert_readable(alone, {**old_cases, **behind})


def test_a_key_erased_while_its_batch_is_rewrapped_is_not_brought_back(
    installation: Installation,
):
    old_cases = file_old_cases(installation, 3)
    erased = sorted(old_cases)[1]

    with installation.services(installation.new, installation.old) as services:
        records, ring = services.complaints.recorder, services.settings.key_ring
        batch = records.select_keys_not_under(ring.current.id, 10)
        pairs = [(old, ring.rewrap(old)) for old in batch]
        services.complaints.erase_personal_data(SUPERVISOR, erased, "filer_request")
        replaced = records.replace_wrapped_keys(pairs)

    assert (len(batch), replaced) == (3, 2)
    with installation.services(installation.new) as alone:
        assert_erased(alone, {erased})
        assert_readable(alone, {case_id: label for case_id, label in old_cases.items()
                                if case_id != erased})


def test_rotated_keys_are_handed_to_republish_and_an_erased_one_is_not(
    installation: Installation,
):
    old_cases = file_old_cases(installation, 5)
    published: list = []
    erased = sorted(old_cases)[-1]

    with installation.services(installation.new, installation.old) as services:
        def erase_once(done: key_rotation.RotationProgress) -> None:
            if done.batches == 1:
                services.complaints.erase_personal_data(SUPERVISOR, erased, "filer_request")

        key_rotation.rotate_keys(services.complaints.recorder, services.settings.key_ring,
                                 batch_size=3, progress=erase_once, republish=published.extend)
        stored = services.complaints.recorder.select_case_keys(list(old_cases))

    assert sorted(key.case_id for key in published) == sorted(set(old_cases) - {erased})
    assert all(stored[key.case_id] == key for key in published)
    assert {key.kek_id for key in published} == {installation.kek_id(installation.new)}


def test_rotation_refuses_keys_under_a_kek_the_installation_does_not_hold(
    installation: Installation, operator
):
    file_old_cases(installation, 3)
    old_id = installation.kek_id(installation.old)

    code, output = operator("keys", "rotate", current=installation.new)

    assert code == cli.UNUSABLE
    assert old_id in output and "HUIYIN_KEK_RETIRED_FILES" in output
    code, output = operator("keys", "status", current=installation.new)
    assert code == cli.BROKEN
    assert f"{old_id}  NOT HELD wraps 3 case key(s)" in output
    assert "HUIYIN_KEK_RETIRED_FILES" in output


def test_the_keys_of_several_cases_saved_at_once_are_each_stored(installation: Installation):
    """One transaction may bring the first events of many cases (an import batch): each
    case's key is stored with them, on both stores."""
    events = [StoredEvent(uuid4(), 1, "tests:Recorded", b"{}") for _ in range(3)]
    with installation.services(installation.new) as services:
        ring, records = services.settings.key_ring, services.complaints.recorder
        keys = [ring.new_key(event.originator_id)[1] for event in events]
        records.insert_events(events[:1], data_keys=keys[:1])
        records.insert_events(events[1:], data_keys=keys[1:])

        stored = records.select_case_keys([event.originator_id for event in events])

    assert stored == {key.case_id: key for key in keys}


def test_the_rotate_command_puts_each_rewrapped_key_on_the_keys_channel(
    installation: Installation, operator
):
    """Notify unwraps the keys the channel carries: once the old KEK is discarded, only what
    was republished under the new one opens its cases' values there."""
    old_cases = file_old_cases(installation, 3)

    code, output = operator("keys", "rotate", current=installation.new, retired=installation.old)

    assert code == 0, output
    log = EmbeddedLog(installation.data_dir / "stream.sqlite")
    try:
        carried = [decode_case_key(case_id, log.keyed(CASE_KEYS, str(case_id)))
                   for case_id in old_cases]
    finally:
        log.close()
    assert {key.kek_id for key in carried} == {installation.kek_id(installation.new)}
    new_alone = KeyRing(KeyEncryptionKey.parse(installation.new.read_text()))
    assert all(new_alone.unwrap(key).case_id == key.case_id for key in carried)
