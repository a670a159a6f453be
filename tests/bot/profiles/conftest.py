"""Fixtures for the profile tests: a real SQLite file per test, the project's own catalog."""

import pytest


@pytest.fixture
def shop_db(empty_db, catalog, now):
    """The demo shop's 25 customers and their orders, no behaviour yet."""
    assert empty_db.seed_demo(catalog, now=now)
    return empty_db


@pytest.fixture(scope="session")
def sentiment_model(tmp_path_factory):
    """The shop's sentiment model: the cached one when this machine has trained it
    (``python -m bot.profiles train-sentiment``), else a small one trained here in seconds."""
    from bot.profiles.sentiment import SentimentModel

    config, directory = sentiment_cache(tmp_path_factory)
    return SentimentModel.load_or_train(config=config, directory=directory, progress=False)


_TINY = {}


def sentiment_cache(tmp_path_factory):
    """(training config, cache directory) of the model the tests use."""
    from bot.profiles.sentiment import SentimentModel, TrainingConfig, models_dir

    if (SentimentModel.cache_path() / "classifier.json").is_file():
        return TrainingConfig(), models_dir()
    if "dir" not in _TINY:
        _TINY["dir"] = tmp_path_factory.mktemp("models")
    return TrainingConfig(epochs=2, limit=120, learning_rate=2e-4), _TINY["dir"]


@pytest.fixture(scope="session")
def sentiment_location(tmp_path_factory, sentiment_model):
    return sentiment_cache(tmp_path_factory)


@pytest.fixture
def service(shop_db, catalog, sentiment_model):
    from bot.profiles.service import ProfileService

    return ProfileService(shop_db, catalog, sentiment=lambda: sentiment_model)
