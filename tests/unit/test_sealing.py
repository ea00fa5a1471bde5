"""Sealing personal values per case, and the keys that wrap the case keys."""

from __future__ import annotations

import base64
import copy
import pickle
import stat
from uuid import uuid4

import pytest

from complaints.domain.chain import canonical, event_hash
from complaints.domain.personal import ErasedText, SealedText, seal_fields
from shared.sealing import (
    KEK_FILE,
    DataKey,
    KeyEncryptionKey,
    KeyRing,
    SealingError,
    WrappedKey,
    is_token,
    read_key_ring,
)

KEK_TEXT = base64.b64encode(bytes(range(32))).decode()


def ring() -> KeyRing:
    return KeyRing(KeyEncryptionKey.parse(KEK_TEXT))


def test_a_value_sealed_for_a_case_opens_with_its_key_only():
    first, second = uuid4(), uuid4()
    key, _ = ring().new_key(first)
    token = key.seal("企业名称 Марка")

    assert is_token(token) and "企业" not in token
    assert key.open(token) == "企业名称 Марка"
    other, _ = ring().new_key(second)
    with pytest.raises(SealingError):
        other.open(token)


def test_the_same_value_seals_differently_each_time():
    key, _ = ring().new_key(uuid4())
    assert key.seal("same") != key.seal("same")


def test_a_token_copied_into_another_case_does_not_open_even_with_the_same_key_bytes():
    raw = bytes(32)
    token = DataKey(uuid4(), raw).seal("moved")
    with pytest.raises(SealingError):
        DataKey(uuid4(), raw).open(token)


@pytest.mark.parametrize("damage", [lambda t: t[:-2] + "AA", lambda t: t + "x", lambda t: "x" + t])
def test_a_damaged_token_is_refused(damage):
    key, _ = ring().new_key(uuid4())
    with pytest.raises(SealingError):
        key.open(damage(key.seal("text")))


def test_a_wrapped_key_unwraps_with_its_kek_and_names_it():
    case_id = uuid4()
    keys = ring()
    key, wrapped = keys.new_key(case_id)

    assert wrapped.kek_id == keys.current.id and len(wrapped.wrapped) == 40
    assert keys.unwrap(wrapped).open(key.seal("x")) == "x"


def test_a_key_wrapped_by_a_kek_the_ring_does_not_hold_is_refused_by_name():
    stranger = KeyRing(KeyEncryptionKey(bytes(32)))
    _, wrapped = stranger.new_key(uuid4())
    with pytest.raises(SealingError, match=stranger.current.id):
        ring().unwrap(wrapped)


def test_rewrapping_moves_a_key_to_the_current_kek_and_keeps_it():
    old = KeyEncryptionKey(bytes(32))
    case_id = uuid4()
    key, wrapped = KeyRing(old).new_key(case_id)
    rotated = KeyRing(KeyEncryptionKey.parse(KEK_TEXT), retired=[old])

    moved = rotated.rewrap(wrapped)

    assert moved.kek_id == rotated.current.id != wrapped.kek_id
    token = key.seal("kept")
    assert KeyRing(KeyEncryptionKey.parse(KEK_TEXT)).unwrap(moved).open(token) == "kept"


def test_a_wrapped_key_altered_does_not_unwrap():
    _, wrapped = ring().new_key(uuid4())
    altered = WrappedKey(wrapped.case_id, wrapped.kek_id, bytes(40))
    with pytest.raises(SealingError):
        ring().unwrap(altered)


def test_a_demo_installation_makes_its_kek_once_readable_by_its_owner_only(tmp_path):
    first = read_key_ring({}, tmp_path, demo=True)
    again = read_key_ring({}, tmp_path, demo=True)

    assert first.current.id == again.current.id
    assert stat.S_IMODE((tmp_path / KEK_FILE).stat().st_mode) == 0o600


def test_outside_demo_mode_the_kek_is_required(tmp_path):
    with pytest.raises(SealingError, match="HUIYIN_KEK_FILE"):
        read_key_ring({}, tmp_path, demo=False)


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"HUIYIN_KEK": "not base64!"}, "base64"),
        ({"HUIYIN_KEK": base64.b64encode(bytes(16)).decode()}, "32 bytes"),
        ({"HUIYIN_KEK": KEK_TEXT, "HUIYIN_KEK_FILE": "/x"}, "not both"),
        ({"HUIYIN_KEK_FILE": "/nonexistent/kek"}, "HUIYIN_KEK_FILE"),
    ],
)
def test_a_bad_kek_setting_is_refused_with_a_message(tmp_path, env, named):
    with pytest.raises(SealingError, match=named):
        read_key_ring(env, tmp_path, demo=False)


def test_a_kek_file_others_may_read_is_refused(tmp_path):
    path = tmp_path / "kek"
    path.write_text(KEK_TEXT)
    path.chmod(0o644)
    with pytest.raises(SealingError, match="chmod 600"):
        read_key_ring({"HUIYIN_KEK_FILE": str(path)}, tmp_path, demo=False)
    path.chmod(0o600)
    assert read_key_ring({"HUIYIN_KEK_FILE": str(path)}, tmp_path, demo=False).current.id


def test_retired_keks_are_held_beside_the_current_one(tmp_path):
    old = tmp_path / "old"
    old.write_text(base64.b64encode(bytes(32)).decode())
    old.chmod(0o600)
    keys = read_key_ring(
        {"HUIYIN_KEK": KEK_TEXT, "HUIYIN_KEK_RETIRED_FILES": f" {old} ,"}, tmp_path, demo=False
    )
    assert keys.ids == (KeyEncryptionKey(bytes(32)).id, keys.current.id)


class _Sealer:
    def seal(self, text: str) -> str:
        return f"sealed:1:<{text}>"


def test_only_the_personal_fields_of_an_event_are_sealed():
    fields = {
        "filer": {"language": "en", "email": "a@b.c", "notify_by": ["email"], "phone": ""},
        "subject": "s", "category": "tax", "attachments": ["a.pdf"], "confidential": False,
    }
    sealed = seal_fields(_Sealer(), "Filed", fields)

    assert sealed["filer"]["email"].token == "sealed:1:<a@b.c>"
    assert sealed["filer"]["language"] == "en" and not isinstance(sealed["filer"]["language"],
                                                                  SealedText)
    assert sealed["filer"]["phone"] == ""  # nothing given, nothing to seal
    assert sealed["subject"].token == "sealed:1:<s>"
    assert [item.token for item in sealed["attachments"]] == ["sealed:1:<a.pdf>"]
    assert sealed["category"] == "tax" and fields["subject"] == "s"  # the input is untouched
    assert seal_fields(_Sealer(), "Accepted", {"proposed_lead": "TAX"}) == {
        "proposed_lead": "TAX"
    }


def test_a_sealed_value_reads_as_text_and_hashes_as_its_token():
    value = SealedText("李四", "sealed:1:abc")

    assert value == "李四" and f"{value}" == "李四"
    assert canonical({"name": value}) == {"name": "李四"}
    assert canonical({"name": value}, stored=True) == {"name": "sealed:1:abc"}
    erased = ErasedText("sealed:1:abc")
    assert erased == "" and erased.erased
    assert canonical({"name": erased}) == {"name": None}
    # With its key or without: the same hash.
    assert event_hash("Case.Filed", {"name": value}) == event_hash("Case.Filed", {"name": erased})
    assert event_hash("Case.Filed", {"name": value}) != event_hash("Case.Filed", {"name": "李四"})


@pytest.mark.parametrize("value", [SealedText("x", "sealed:1:t"), ErasedText("sealed:1:t")])
def test_copies_of_a_sealed_value_keep_its_token(value):
    for copied in (copy.copy(value), copy.deepcopy(value), pickle.loads(pickle.dumps(value))):
        assert type(copied) is type(value)
        assert (str(copied), copied.token) == (str(value), value.token)
