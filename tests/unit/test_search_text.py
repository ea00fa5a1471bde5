"""Words for the full-text index: Chinese by jieba's words, Russian and English as written."""

import pytest

from complaints.readmodels.case_index.search_text import (
    index_text,
    is_prefix,
    query_terms,
    warm_segmenter,
)


@pytest.fixture(scope="module", autouse=True)
def segmenter():
    warm_segmenter()


def found(query: str, document: str) -> bool:
    """What either store does with the words: every query term is a word of the document,
    or begins one."""
    words = set(index_text(document).split())
    return all(any(word.startswith(term) for word in words) if is_prefix(term)
               else term in words for term in query_terms(query))


def test_a_two_character_word_is_found_inside_a_longer_phrase():
    assert found("退税", "出口退税迟迟未到账")


def test_a_long_word_is_found_however_jieba_cut_the_document():
    assert found("出口退税", "进出口退税办理太慢")


def test_a_long_word_is_found_by_its_parts_where_the_document_splits_it():
    assert found("中华人民共和国海关", "中华人民共和国的海关")


def test_a_chinese_word_that_is_absent_is_not_found():
    assert not found("社保", "出口退税迟迟未到账")


def test_russian_words_are_found_in_any_case():
    document = "ТАМОЖНЯ задерживает груз на границе"

    assert found("таможня", document)
    assert found("Груз границе", document)
    assert not found("налог", document)


def test_english_words_are_found_in_any_order_and_case():
    assert found("clearance customs", "Customs Clearance stalled for two weeks")


def test_full_width_latin_letters_are_the_same_words_as_ascii():
    assert found("VAT", "ＶＡＴ退税")


def test_punctuation_alone_asks_for_nothing():
    assert query_terms("！!?。") == []


def test_query_terms_are_not_repeated():
    assert query_terms("退税 退税 customs Customs") == ["退税", "customs"]


def test_one_character_is_found_inside_any_word():
    assert found("税", "出口退税迟迟未到账")


def test_a_word_the_dictionary_does_not_know_is_found_where_it_is_written():
    assert found("远东贸易", "黑河市远东贸易有限公司")
    assert not found("远东贸易", "远方东部的贸易公司")


def test_chinese_is_indexed_as_pairs_and_the_last_character_of_each_run():
    assert index_text("退税快") == "退税 税快 快"


def test_the_index_holds_only_letters_digits_and_underscores_between_spaces():
    """So the text is a tsvector literal as it is: no quote, backslash or colon in it."""
    words = index_text("it's a \\ back:slash 'quoted' a&b|c!d <-> 税:* x_y").split()

    assert words == ["it", "s", "a", "back", "slash", "quoted", "a", "b", "c", "d", "税",
                     "x_y"]


def test_a_word_too_long_for_an_index_is_left_out():
    assert index_text("short " + "x" * 3000 + " kept") == "short kept"
