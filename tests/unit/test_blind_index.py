"""The case index's keyed hashes: one hash for each way a value is written, none without a key."""

import pytest

from complaints.readmodels.case_index.blind_index import (
    CREDIT_CODE,
    EMAIL,
    PHONE,
    BlindIndex,
    normal_phone,
)

SECRET = "test-secret-key-with-enough-characters-0123456789"


@pytest.fixture
def blind():
    return BlindIndex(SECRET)


@pytest.mark.parametrize("written", [
    "+86 456 823 1234", "+86-456-8231234", "0086 456 823 1234", "864568231234",
    "0456 823 1234", "(0456) 823-1234",
])
def test_a_mainland_landline_hashes_alike_however_it_is_written(blind, written):
    assert blind.hash(PHONE, written) == blind.hash(PHONE, "04568231234")


@pytest.mark.parametrize("written", ["+86 138 1234 5678", "8613812345678", "138-1234-5678"])
def test_a_mainland_mobile_hashes_alike_with_or_without_its_country_code(blind, written):
    assert blind.hash(PHONE, written) == blind.hash(PHONE, "13812345678")


def test_another_countrys_number_keeps_its_country_code():
    assert normal_phone("+7 914 123-45-67") == "+79141234567"
    assert normal_phone("007 914 123 45 67") == "+79141234567"
    assert normal_phone("+7 914 123-45-67") != normal_phone("914 123 45 67")


def test_a_credit_code_hashes_alike_in_small_letters_and_with_spaces(blind):
    assert blind.hash(CREDIT_CODE, " 9135 0100 m000 100y43 ") == blind.hash(
        CREDIT_CODE, "91350100M000100Y43")


def test_an_email_hashes_alike_in_any_case_and_trimmed(blind):
    assert blind.hash(EMAIL, " Wang.Li@Example.CN ") == blind.hash(EMAIL, "wang.li@example.cn")


def test_each_kind_and_each_installation_has_its_own_key(blind):
    value = "13812345678"
    hashes = {blind.hash(PHONE, value), blind.hash(CREDIT_CODE, value),
              blind.hash(EMAIL, value), BlindIndex(SECRET + "x").hash(PHONE, value)}

    assert len(hashes) == 4
    assert value not in blind.hash(PHONE, value)
    assert len(blind.hash(PHONE, value)) == 64  # HMAC-SHA-256, hex


@pytest.mark.parametrize("nothing", [None, "", "  ", "--"])
def test_nothing_hashes_as_nothing(blind, nothing):
    assert blind.hash(PHONE, nothing) is None
    assert blind.hash(EMAIL, nothing if nothing != "--" else " ") is None
