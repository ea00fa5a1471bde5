"""Similar cases: ranked by TF-IDF cosine, kept fresh as cases are filed and changed, erased
text left out, and only what the reader's reach allows."""

from __future__ import annotations

import threading
import time

import pytest

from complaints.intelligence.similar import Reach, SimilarCases
from tests.fixtures.case_texts import CaseTexts

EVERY_CASE = Reach()


@pytest.fixture
def texts():
    texts = CaseTexts()
    texts.file("HY-2026-000001", "出口退税三个月未到账", "我公司三个月前申报的出口退税至今未到账。")
    texts.file("HY-2026-000002", "营业执照变更办理缓慢", "材料已齐全，窗口仍要求补充材料。",
               department="MARKET")
    texts.file("HY-2026-000003", "小区门口占道经营", "晚上摊位堵路，噪音扰民。",
               department="URBAN", status="closed")
    texts.file("HY-2026-000004", "Credit report shows a debt I never had",
               "The bureau refuses to remove the wrong account from my credit report.",
               department="FINANCE")
    return texts


@pytest.fixture
def similar(texts):
    return SimilarCases(texts)


def references(found):
    return [item.reference for item in found.items]


def test_a_rephrased_complaint_finds_the_earlier_case_first_with_the_words_they_share(similar):
    found = similar.like_text("出口退税一直没有到账，已经三个月了", EVERY_CASE)

    assert found.ready
    assert references(found)[0] == "HY-2026-000001"
    best = found.items[0]
    assert 0 < best.score <= 1
    assert {"出口", "退税"} <= set(best.shared_terms)


def test_english_finds_english_and_unrelated_cases_stay_out(similar):
    found = similar.like_text("my credit report lists a debt that is not mine", EVERY_CASE)

    assert references(found) == ["HY-2026-000004"]
    assert "credit" in found.items[0].shared_terms


def test_cases_filed_one_after_another_with_new_words_are_each_found(similar, texts):
    """Each new case may bring words the model learns, widening the vocabulary: the earlier
    recent cases, made narrower, are still found beside the new one."""
    similar.like_text("出口退税", EVERY_CASE)  # the fit
    texts.file("HY-2026-000005", "超市出售过期牛奶", "食品安全问题。", department="MARKET")
    similar.like_text("过期牛奶", EVERY_CASE)
    texts.file("HY-2026-000006", "超市又卖过期酸奶", "酸奶过期，食品安全。", department="MARKET")

    found = similar.like_text("超市 过期 酸奶 牛奶 食品安全", EVERY_CASE)

    assert set(references(found)) >= {"HY-2026-000005", "HY-2026-000006"}


def test_a_case_is_not_similar_to_itself(similar, texts):
    first = next(iter(texts.rows.values()))

    found = similar.like_case(first["case_id"], first["subject"], first["description"],
                              EVERY_CASE)

    assert "HY-2026-000001" not in references(found)


def test_a_case_filed_after_the_fit_is_found_by_the_next_query(similar, texts):
    assert references(similar.like_text("食品安全 过期牛奶", EVERY_CASE)) == []

    texts.file("HY-2026-000005", "超市出售过期牛奶", "食品安全问题，请市场监管局查处。",
               department="MARKET")
    found = similar.like_text("食品安全 过期牛奶", EVERY_CASE)

    assert references(found) == ["HY-2026-000005"]
    assert similar.stats()["recent"] == 1


def test_a_case_whose_personal_data_was_erased_is_left_out(similar, texts):
    case_id = next(iter(texts.rows))
    assert references(similar.like_text("出口退税未到账", EVERY_CASE)) == ["HY-2026-000001"]

    texts.erase(case_id)

    assert references(similar.like_text("出口退税未到账", EVERY_CASE)) == []
    assert similar.stats()["cases"] == 3


def test_erased_cases_are_not_fitted_at_all(texts):
    texts.erase(next(iter(texts.rows)))

    similar = SimilarCases(texts)
    similar.fit_now()

    assert similar.stats()["cases"] == 3
    assert "退税" not in set(similar._corpus.model.vocabulary)


def test_a_changed_status_is_seen_without_vectorising_again(similar, texts):
    case_id = next(iter(texts.rows))
    similar.like_text("出口退税", EVERY_CASE)

    texts.change(case_id, status="closed")

    assert references(similar.like_text("出口退税", Reach(open_only=True))) == []
    assert references(similar.like_text("出口退税", EVERY_CASE)) == ["HY-2026-000001"]
    assert similar.stats()["recent"] == 0


def test_a_handler_sees_only_cases_their_department_leads_or_co_handles(texts):
    texts.file("HY-2026-000006", "出口退税审核太慢", "退税审核拖延。", department="COMMERCE",
               co=("TAX",))
    texts.file("HY-2026-000007", "出口退税被拒", "退税申请被拒绝，理由不明。",
               department="COMMERCE")
    similar = SimilarCases(texts)

    found = similar.like_text("出口退税", Reach(department="TAX"))

    assert sorted(references(found)) == ["HY-2026-000001", "HY-2026-000006"]


def test_open_only_leaves_closed_cases_out(similar):
    assert references(similar.like_text("占道经营 摊位", EVERY_CASE)) == ["HY-2026-000003"]
    assert references(similar.like_text("占道经营 摊位", Reach(open_only=True))) == []


def test_nothing_is_read_again_while_the_index_has_not_moved(similar, texts):
    similar.like_text("出口退税", EVERY_CASE)
    reads = texts.reads

    similar.like_text("营业执照", EVERY_CASE)

    assert texts.reads == reads


def test_many_new_cases_bring_a_refit_that_learns_their_words(similar, texts):
    similar.like_text("出口退税", EVERY_CASE)
    for number in range(120):
        texts.file(f"HY-2026-{number + 100:06d}", f"共享单车乱停放第{number}处",
                   "人行道被共享单车堵住。", department="URBAN")

    similar.like_text("共享单车", EVERY_CASE)  # taken in, then a refit is due
    similar._fitting.join(timeout=30)

    assert similar.stats()["recent"] == 0
    assert similar.stats()["cases"] == 124
    corpus = similar._corpus
    assert corpus.model.columns["单车"] < corpus.fitted.by_term.shape[0]  # fitted, not learned
    assert len(similar.like_text("共享单车", EVERY_CASE, limit=50).items) == 50


def test_results_are_limited_and_ranked_best_first(texts):
    for number in range(30):
        texts.file(f"HY-2026-{number + 200:06d}", "出口退税未到账" + "催办" * (number % 5),
                   "退税" * (1 + number % 3))
    similar = SimilarCases(texts)

    found = similar.like_text("出口退税未到账", EVERY_CASE, limit=5)

    assert len(found.items) == 5
    scores = [item.score for item in found.items]
    assert scores == sorted(scores, reverse=True)


def test_a_fitted_case_and_its_own_text_typed_again_score_one(similar):
    """The model weighs a typed text as scikit-learn weighed the fitted cases."""
    typed = "出口退税三个月未到账\n我公司三个月前申报的出口退税至今未到账。"

    found = similar.like_text(typed, EVERY_CASE)

    assert found.items[0].score == pytest.approx(1.0, abs=1e-3)


def test_a_case_transferred_to_a_department_is_shown_to_its_handlers_next(similar, texts):
    tax = Reach(department="TAX")
    licence = next(case_id for case_id, row in texts.rows.items()
                   if row["reference"] == "HY-2026-000002")
    assert references(similar.like_text("营业执照变更", tax)) == []

    texts.change(licence, lead_department="SAMR", co_departments=["TAX"])
    assert references(similar.like_text("营业执照变更", tax)) == ["HY-2026-000002"]

    texts.change(licence, co_departments=[])
    assert references(similar.like_text("营业执照变更", tax)) == []


def test_while_the_first_fit_runs_past_its_wait_questions_answer_not_ready_at_once(texts):
    slow = threading.Event()
    read = texts.texts_after

    def held_back(key=None, limit=500):
        slow.wait(10)
        return read(key, limit)

    texts.texts_after = held_back
    similar = SimilarCases(texts, first_wait=0.2)
    waits = []
    wait = similar._fitted.wait
    similar._fitted.wait = lambda seconds: waits.append(seconds) or wait(seconds)

    first = similar.like_text("出口退税", EVERY_CASE)
    time.sleep(0.05)  # past the first wait's end, however long the first took to return
    second = similar.like_text("出口退税", EVERY_CASE)
    slow.set()
    similar._fitting.join(timeout=30)

    assert (first.ready, second.ready) == (False, False)
    assert waits[0] == pytest.approx(0.2, abs=0.05)
    assert waits[1] == 0.0  # not another 0.2 s: the wait ran from the fit's start
    assert references(similar.like_text("出口退税", EVERY_CASE)) == ["HY-2026-000001"]


def test_with_no_words_yet_nothing_is_found_until_a_case_with_words_is_filed():
    texts = CaseTexts()
    texts.file("HY-2026-000001", "123", "456")  # digits alone: no term
    similar = SimilarCases(texts)

    assert similar.like_text("出口退税", EVERY_CASE).items == []

    texts.file("HY-2026-000002", "出口退税未到账", "退税三个月未到账。")
    assert references(similar.like_text("出口退税", EVERY_CASE)) == ["HY-2026-000002"]


def test_an_empty_index_answers_ready_with_nothing():
    found = SimilarCases(CaseTexts()).like_text("出口退税", EVERY_CASE)

    assert (found.ready, found.items, found.cases) == (True, [], 0)
