"""The review sentiment model: the shop's own classifier, trained once per data and settings, then loaded."""

from dataclasses import replace

import pytest

from bot.profiles.sentiment import DEFAULT_DATA, SentimentModel, TrainingConfig


def test_scores_are_signed_and_follow_the_wording(sentiment_model):
    good, bad = sentiment_model.scores(["I love it, works great, really happy with it",
                                        "It broke after a day, I am really angry and want my money back"])
    assert -1 <= bad < good <= 1
    assert sentiment_model.scores([]) == []


def test_the_cache_key_follows_the_data_and_the_settings(tmp_path):
    data = tmp_path / "train.csv"
    data.write_bytes(DEFAULT_DATA.read_bytes())
    base = SentimentModel.cache_path(data, TrainingConfig(), tmp_path)
    assert base.parent == tmp_path and base.name.startswith("sentiment-")
    assert SentimentModel.cache_path(data, TrainingConfig(), tmp_path) == base
    assert SentimentModel.cache_path(data, replace(TrainingConfig(), epochs=3), tmp_path) != base
    data.write_text(data.read_text(encoding="utf-8") + "a new example,positive\n", encoding="utf-8")
    assert SentimentModel.cache_path(data, TrainingConfig(), tmp_path) != base


def test_a_cached_model_is_loaded_not_trained_again(sentiment_location, sentiment_model, monkeypatch):
    config, directory = sentiment_location

    def no_training(*args, **kwargs):
        pytest.fail("the cached model should have been loaded")

    monkeypatch.setattr(SentimentModel, "_train", staticmethod(no_training))
    again = SentimentModel.load_or_train(config=config, directory=directory, progress=False)
    text = "The battery life is excellent"
    assert again.score(text) == sentiment_model.score(text)
