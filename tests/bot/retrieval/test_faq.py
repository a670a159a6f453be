import pytest

from bot.retrieval.faq import DEFAULT_THRESHOLD, THRESHOLD_ENV, FaqAnswerer, default_threshold
from tests.bot.retrieval.test_index import HOSTILE

# Questions no shop FAQ answers (not the benchmark's out_of_scope list).
OUT_OF_SCOPE = ["who painted the mona lisa", "how do I change a flat tyre on my car", "asdf qwerty zxcv",
                "what's 17 times 23", "recommend me a podcast about history"]


def test_threshold_from_env(monkeypatch):
    monkeypatch.delenv(THRESHOLD_ENV, raising=False)
    assert default_threshold() == DEFAULT_THRESHOLD
    monkeypatch.setenv(THRESHOLD_ENV, "0.7")
    assert default_threshold() == 0.7
    assert FaqAnswerer(index=None).threshold == 0.7
    assert FaqAnswerer(index=None, threshold=0.2).threshold == 0.2
    for bad in ["high", "1.5", "-1"]:
        monkeypatch.setenv(THRESHOLD_ENV, bad)
        assert default_threshold() == DEFAULT_THRESHOLD


def test_confident_answer_for_a_known_question(real_index):
    answer = FaqAnswerer(real_index).answer("how long do I have to return something")
    assert answer.confident and answer.entry.id == "return_window"
    assert answer.score >= DEFAULT_THRESHOLD and answer.alternatives == []


@pytest.mark.parametrize("text", OUT_OF_SCOPE)
def test_out_of_scope_is_not_confident(real_index, text):
    answer = FaqAnswerer(real_index).answer(text)
    assert not answer.confident and answer.entry is None
    assert len(answer.alternatives) == 3 and answer.score < DEFAULT_THRESHOLD


def test_unsure_offers_three_alternatives_best_first(small_index):
    answer = FaqAnswerer(small_index, threshold=0.99).answer("which cards can I use to pay")
    assert not answer.confident and answer.entry is None
    assert [e.id for e in answer.alternatives][:1] == ["payment_methods"] and len(answer.alternatives) == 3
    assert answer.best.id == "payment_methods" and answer.score < 0.99


def test_margin_requires_a_clear_winner(small_index):
    text = "what's your return period?"
    assert FaqAnswerer(small_index, threshold=0.0).answer(text).confident
    assert not FaqAnswerer(small_index, threshold=0.0, margin=1.5).answer(text).confident


@pytest.mark.parametrize("text", HOSTILE)
def test_bad_input_is_never_confident_and_never_raises(real_index, text):
    answer = FaqAnswerer(real_index).answer(text)
    assert not answer.confident
