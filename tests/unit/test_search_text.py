"""Words for the full-text index, and the terms a query asks for: Chinese as it is written,
Russian and English by their words."""

from complaints.readmodels.case_index.search_text import Term, index_words, query_terms


def found(query: str, document: str) -> bool:
    """What either store does with the words: every term of the query is in the document,
    its words in a row, or (a prefix term) as the beginning of an indexed word."""
    words = index_words(document)
    return all(_holds(words, term) for term in query_terms(query))


def _holds(words: list[str], term: Term) -> bool:
    if term.prefix:
        return any(word.startswith(term.words[0]) for word in words)
    size = len(term.words)
    return any(tuple(words[start : start + size]) == term.words
               for start in range(len(words) - size + 1))


def test_a_two_character_word_is_found_inside_a_longer_phrase():
    assert found("退税", "出口退税迟迟未到账")


def test_a_word_is_found_wherever_it_is_written_whatever_a_dictionary_would_cut():
    assert found("出口退税", "进出口退税办理太慢")
    assert found("星沙", "长沙县星沙金科小区物业")


def test_the_characters_of_a_word_scattered_apart_do_not_find_it():
    assert not found("星沙站", "星沙的公交站")
    assert not found("中华人民共和国海关", "中华人民共和国的海关")


def test_words_apart_in_the_query_may_stand_apart_in_the_document():
    assert found("中华人民共和国 海关", "中华人民共和国的海关")
    assert found("物业 小区", "小区的物业不管事")


def test_a_chinese_word_that_is_absent_is_not_found():
    assert not found("社保", "出口退税迟迟未到账")


def test_one_character_is_found_wherever_it_stands():
    assert found("税", "出口退税迟迟未到账")  # in the middle of a run
    assert found("账", "出口退税迟迟未到账")  # a run's last character
    assert not found("鱼", "出口退税迟迟未到账")


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
    assert query_terms("退税 退税 customs Customs 税") == [
        Term(("退税",)), Term(("customs",)), Term(("税",), prefix=True)]


def test_chinese_is_indexed_as_pairs_and_the_last_character_of_each_run():
    assert index_words("退税快，好") == ["退税", "税快", "快", "好"]


def test_the_index_holds_only_letters_digits_and_underscores():
    """So the words need no quoting in a tsvector or an FTS5 query: no quote, backslash,
    colon or operator in them."""
    words = index_words("it's a \\ back:slash 'quoted' a&b|c!d <-> 税:* x_y \"q\"")

    assert words == ["it", "s", "a", "back", "slash", "quoted", "a", "b", "c", "d", "税",
                     "x_y", "q"]


def test_a_word_too_long_for_an_index_is_left_out():
    assert index_words("short " + "x" * 3000 + " kept") == ["short", "kept"]
