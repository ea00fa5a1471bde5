"""Templates render in zh, en and ru, with what the filer must be told, and secrets redacted."""

from __future__ import annotations

import pytest

from notify.application.directory import Directory
from notify.application.messages import REDACTED, MessageRenderer, RenderingError
from notify.domain.policy import POLICY, Channel, Notice, plan_notices
from tests.unit.test_notify_envelopes import ACCESS_CODE, case_event

RENDERER = MessageRenderer(Directory.load(), "https://huiyin.example")
FILER_TEMPLATES = sorted({
    rule.template for rules in POLICY.values() for rule in rules if rule.audience == "filer"
})
EVENT_OF = {rule.template: event_type
            for event_type, rules in POLICY.items() for rule in rules}


def render(event_type: str, language: str = "ru", *, channel=Channel.EMAIL, redact=False,
           **data):
    envelope = case_event(event_type, language=language, **data)
    template = next(rule.template for rule in POLICY[event_type] if rule.audience == "filer")
    notice = Notice("filer", channel, "anna@example.ru", template, language)
    return RENDERER.render(notice, envelope.data, redact_secrets=redact)


@pytest.mark.parametrize("language", ["zh", "en", "ru"])
@pytest.mark.parametrize("template", FILER_TEMPLATES)
def test_every_filer_template_renders_a_subject_body_and_sms_in_each_language(template, language):
    message = render(EVENT_OF[template], language)

    for text in (message.subject, message.body, message.sms):
        assert "HY-2026-000042" in text
    assert "\n" not in message.subject
    assert "https://huiyin.example/track/HY-2026-000042" in message.body


@pytest.mark.parametrize(
    ("language", "words", "reply_by"),
    [
        ("ru", "Ваше обращение зарегистрировано", "24 марта 2026 г."),
        ("zh", "您的投诉已收到", "2026年3月24日"),
        ("en", "We have received your complaint", "24 March 2026"),
    ],
)
def test_the_filing_message_gives_reference_access_code_and_reply_date(language, words, reply_by):
    message = render("case.filed", language)

    assert words in message.subject
    assert ACCESS_CODE in message.body and ACCESS_CODE in message.sms
    assert reply_by in message.body


def test_a_russian_message_greets_the_contact_person_by_name():
    assert render("case.filed", "ru").body.startswith("Здравствуйте, Анна Петрова!")


def test_a_person_who_filed_for_themselves_is_greeted_by_their_own_name():
    envelope = case_event("case.filed", language="ru", filer_details={
        "person_name": "Ирина Смирнова", "email": "irina@example.ru", "notify_by": ["email"]})
    template = next(rule.template for rule in POLICY["case.filed"] if rule.audience == "filer")
    notice = Notice("filer", Channel.EMAIL, "irina@example.ru", template, "ru")

    message = RENDERER.render(notice, envelope.data, redact_secrets=False)

    assert message.body.startswith("Здравствуйте, Ирина Смирнова!")


@pytest.mark.parametrize("language", ["zh", "en", "ru"])
def test_an_information_request_lists_every_item_at_once(language):
    message = render("case.information_requested", language,
                     items=["Копия контракта", "Таможенная декларация", "Выписка из банка"])

    assert "1. Копия контракта\n2. Таможенная декларация\n3. Выписка из банка" in message.body
    assert all(item in message.sms for item in ("Копия контракта", "Выписка из банка"))


@pytest.mark.parametrize("language", ["zh", "en", "ru"])
def test_a_reply_gives_its_text_and_how_to_rate(language):
    message = render("case.responded", language, outcome="partly_resolved")

    assert "Возврат НДС произведён 10 марта." in message.body
    assert {"zh": "部分解决", "en": "partly resolved", "ru": "вопрос решён частично"}[
        language] in message.body
    assert {"zh": "评价", "en": "rate", "ru": "оцените"}[language] in message.sms


@pytest.mark.parametrize("language", ["zh", "en", "ru"])
def test_the_redacted_text_hides_the_access_code_everywhere(language):
    message = render("case.filed", language, redact=True)

    for channel in Channel:
        text = message.text_for(channel)
        assert ACCESS_CODE not in text
        assert REDACTED in text


def test_department_messages_are_in_chinese_and_name_the_departments():
    envelope = case_event("case.assigned", lead="TAX", co=["CUSTOMS"])
    notices = plan_notices("case.assigned", str(envelope.case_id), envelope.data,
                           RENDERER.directory)
    lead, co = (RENDERER.render(n, envelope.data) for n in notices
                if n.recipient.startswith("department:"))

    assert lead.subject == "【交办】投诉 HY-2026-000042 请牵头办理"
    assert lead.body.startswith("税务局：") and "海关协同办理" in lead.body
    assert co.body.startswith("海关：") and "由税务局牵头办理" in co.body


def test_a_bad_review_message_gives_the_score_and_the_comment():
    envelope = case_event("case.rated", score=1, comment="Ответ формальный")
    notice = plan_notices("case.rated", str(envelope.case_id), envelope.data,
                          RENDERER.directory)[0]
    message = RENDERER.render(notice, envelope.data)

    assert notice.recipient == "supervisor"
    assert "1分（非常不满意）" in message.body and "Ответ формальный" in message.body


def test_text_is_not_html_escaped():
    message = render("case.public_update", "en", text='Fees <b>cut</b> by 50% & "waived"')

    assert 'Fees <b>cut</b> by 50% & "waived"' in message.body


def test_data_missing_a_field_is_a_rendering_error_not_a_half_message():
    envelope = case_event("case.referred")
    data = {key: value for key, value in envelope.data.items() if key != "where_to"}

    with pytest.raises(RenderingError, match="where_to"):
        RENDERER.render(Notice("filer", Channel.EMAIL, "a@b.example", "referred", "ru"), data)
