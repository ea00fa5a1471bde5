"""The terms complaints are compared by: jieba's words for Chinese, words for the rest."""

from __future__ import annotations

from complaints.intelligence.text import shared_terms, terms


def test_chinese_is_cut_into_words_and_the_words_inside_them():
    found = terms("请税务局查一下营业执照")

    assert {"税务", "税务局", "营业", "执照", "营业执照"} <= set(found)
    assert "请" not in found  # a stop word


def test_other_scripts_are_their_words_case_folded_without_stop_words_or_numbers():
    assert terms("The Credit REPORT shows a debt of 300 USD") == [
        "credit", "report", "shows", "debt", "usd"]
    assert terms("Банк отказал в кредите") == ["банк", "отказал", "кредите"]


def test_full_width_forms_read_as_their_plain_letters():
    assert terms("ＡＢＣ公司") == terms("abc公司")


def test_shared_terms_name_the_longest_first():
    first = terms("小区物业费太高，物业不作为")
    second = terms("物业费涨价，小区业主不满")

    assert shared_terms(first, second) == ["物业费", "小区", "物业"]
