"""Filing under concurrent load, on each real store, with and without group commit: one case per
Idempotency-Key, unique references, every case's chain intact, and a bad filing in a shared
transaction failing alone."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from complaints.application.audit import all_case_ids, verify_case
from complaints.application.filing import Filing, IdempotencyKeyReusedError
from complaints.application.principals import Principal
from complaints.bootstrap import build_services
from complaints.domain.values import Role
from complaints.settings import Settings
from tests.fixtures.filing import filing_command
from tests.fixtures.stores import settings_for

PUBLIC = Principal("public", Role.FILER)
INTAKE = Principal("intake", Role.INTAKE)
CLIENTS = 16
KEYS = 24
RETRIES_PER_KEY = 3
WITHOUT_KEY = 24


def submission(number: int) -> dict:
    return {
        "channel": "web",
        "category": "tax",
        "subject": f"出口退税迟迟不到账 #{number}",
        "description": "三个月前申报的出口退税至今未到账。",
        "filer": {"enterprise_name": f"黑河边贸有限公司{number}",
                  "credit_code": "91110000802100433B"},
    }


def services_for(settings: Settings, group_commit: bool):
    chosen = settings_for(settings.store_name, str(settings.data_dir), settings.database_url,
                          HUIYIN_LOG_LEVEL="WARNING",
                          HUIYIN_GROUP_COMMIT="1" if group_commit else "0")
    assert chosen.group_commit is group_commit
    return build_services(chosen, create_tables=True)


@pytest.mark.parametrize("group_commit", [True, False], ids=["group-commit", "alone"])
def test_concurrent_filings_keep_keys_references_and_chains(settings, group_commit):
    services = services_for(settings, group_commit)
    app = services.complaints
    # Every key is sent by three callers at once, interleaved with filings without a key.
    calls = [(f"key-{n % KEYS}", n % KEYS) for n in range(KEYS * RETRIES_PER_KEY)]
    calls += [(None, KEYS + n) for n in range(WITHOUT_KEY)]
    calls.sort(key=lambda call: hash((call[1], call[0])))

    def file(call: tuple[str | None, int]) -> tuple[str | None, Filing]:
        key, number = call
        return key, app.file_case(PUBLIC, filing_command(submission(number)),
                                  idempotency_key=key)

    try:
        with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
            filings = list(pool.map(file, calls))
        by_key: dict[str, set[tuple]] = {}
        for key, filing in filings:
            if key is not None:
                by_key.setdefault(key, set()).add(
                    (filing.case_id, filing.reference, filing.access_code))
        assert len(by_key) == KEYS
        assert all(len(answers) == 1 for answers in by_key.values())
        assert sum(not filing.replayed for _, filing in filings) == KEYS + WITHOUT_KEY
        stored = list(all_case_ids(app))
        assert len(stored) == len(set(stored)) == KEYS + WITHOUT_KEY
        assert {filing.case_id for _, filing in filings} == set(stored)
        references = {filing.reference for _, filing in filings}
        assert len(references) == KEYS + WITHOUT_KEY
        assert all(verify_case(app, case_id).intact for case_id in stored)
        # Each case reads back as filed, its reference and its own submission.
        for key, filing in filings:
            case = app.load_case(filing.case_id)
            assert case.reference == filing.reference
            if key is not None:
                assert case.subject == f"出口退税迟迟不到账 #{int(key.split('-')[1])}"
    finally:
        services.close()


def test_a_bad_filing_in_a_shared_transaction_fails_alone(settings):
    services = services_for(settings, group_commit=True)
    app = services.complaints
    try:
        commands = [filing_command(submission(n)) for n in range(5)]
        pending = [app._checked(PUBLIC, command, f"batch-{n}")
                   for n, command in enumerate(commands)]
        # Meanwhile another process files with two of the batch's keys: one the same
        # submission (a retry), one a different submission (a key reused).
        earlier = app.file_case(PUBLIC, commands[1], idempotency_key="batch-1")
        app.file_case(PUBLIC, filing_command(submission(99)), idempotency_key="batch-3")

        outcomes = app._file_together(pending)

        assert isinstance(outcomes[3], IdempotencyKeyReusedError)
        replay = outcomes[1]
        assert isinstance(replay, Filing) and replay.replayed
        assert (replay.case_id, replay.reference) == (earlier.case_id, earlier.reference)
        saved = [outcomes[n] for n in (0, 2, 4)]
        assert all(isinstance(filing, Filing) and not filing.replayed for filing in saved)
        for filing in saved:
            assert app.load_case(filing.case_id).reference == filing.reference
            assert verify_case(app, filing.case_id).intact
        assert len(list(all_case_ids(app))) == 5  # three of the batch, two filed before
    finally:
        services.close()
