from bot.dialogue.rephrase import INTENT_TITLES, rephrase_buttons


def test_likeliest_intents_become_buttons_with_a_person_last():
    ranking = [
        {"name": "order_status", "confidence": 0.41},
        {"name": "greet", "confidence": 0.30},  # not something to offer
        {"name": "return_request", "confidence": 0.2},
        {"name": "faq", "confidence": 0.05},  # too unlikely
    ]
    buttons = rephrase_buttons(ranking)
    assert [b["payload"] for b in buttons] == ["/order_status", "/return_request", "/human_handoff"]
    assert buttons[0]["title"] == INTENT_TITLES["order_status"]


def test_at_most_max_options_plus_a_person():
    ranking = [{"name": n, "confidence": 0.2} for n in ["faq", "recommend", "complaint", "product_info"]]
    assert len(rephrase_buttons(ranking, max_options=2)) == 3


def test_nothing_likely_gives_no_buttons():
    assert rephrase_buttons([{"name": "greet", "confidence": 0.9}]) == []
    assert rephrase_buttons(None) == []
    assert rephrase_buttons([]) == []
