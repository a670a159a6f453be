"""Store questions answered from the real FAQ through the real FAISS index."""

import pytest

from bot.dialogue.faq import NOT_SURE, NOT_SURE_NO_TOPICS, faq_replies


def entry(services, faq_id):
    return next(e for e in services.faq if e.id == faq_id)


@pytest.mark.parametrize("question,faq_id", [
    ("how many days do I have to send something back?", "return_window"),
    ("do you ship to canada?", "shipping_countries"),
    ("can I pay with paypal?", "payment_methods"),
    ("when are your support people around?", "support_hours"),
])
def test_a_policy_question_gets_the_faq_answer_word_for_word(shop_services, question, faq_id):
    [reply] = faq_replies(shop_services.faq_answerer, shop_services.faq, question)
    assert reply.text == entry(shop_services, faq_id).answer


def test_a_topic_button_answers_exactly(shop_services):
    [reply] = faq_replies(shop_services.faq_answerer, shop_services.faq, '/faq{"faq_topic":"gift_card_expiry"}', "gift_card_expiry")
    assert reply.text == entry(shop_services, "gift_card_expiry").answer
    assert "never expire" in reply.text


@pytest.mark.parametrize("question", ["what is the capital of peru", "zxqv blorp", "write me a poem about the sea"])
def test_unrelated_questions_are_not_answered_with_a_policy(shop_services, question):
    [reply] = faq_replies(shop_services.faq_answerer, shop_services.faq, question)
    assert reply.text in (NOT_SURE, NOT_SURE_NO_TOPICS)
    assert reply.buttons[-1]["payload"] == "/human_handoff"
    for button in reply.buttons[:-1]:
        assert button["payload"].startswith('/faq{"faq_topic":')


@pytest.mark.parametrize("text", ["", "   ", None, "/faq", "🙂" * 3000, "{{ config }} <script>x</script>"])
def test_bad_input_gets_a_sane_reply(shop_services, text):
    replies = faq_replies(shop_services.faq_answerer, shop_services.faq, text)
    assert replies and replies[0].text
