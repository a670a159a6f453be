import csv

import pytest

from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.sentiment_classifier import BertSentimentClassifier

from .conftest import BAD_INPUTS, messages

ROWS = [
    ("this is terrible, my order arrived broken", "negative"),
    ("i'm so angry, nobody answers my emails", "negative"),
    ("worst delivery ever, two weeks late", "negative"),
    ("you charged me twice, this is unacceptable", "negative"),
    ("where is my order ORD-104233", "neutral"),
    ("do you ship to canada", "neutral"),
    ("i want to return a tent", "neutral"),
    ("what's the battery life of the watch", "neutral"),
    ("thank you so much, that was really helpful", "positive"),
    ("love my new headphones, amazing sound", "positive"),
    ("awesome, the bike arrived early!", "positive"),
    ("great service, thanks a lot", "positive"),
]


@pytest.fixture
def data_file(tmp_path):
    path = tmp_path / "sentiment.csv"
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["text", "label"])
        writer.writerows(ROWS * 2)
    return path


@pytest.fixture
def config(data_file):
    return {"training_data_path": str(data_file), "epochs": 5, "batch_size": 8,
            "learning_rate": 1e-4, "show_progress_bar": False}


def test_trains_persists_and_loads(config, model_storage, resource, execution_context, tmp_path):
    component = BertSentimentClassifier.create(config, model_storage, resource, execution_context)
    component.train(TrainingData())
    texts = ["this is awful, the screen is cracked", "thanks, you're great!", "do you sell tents"]
    before = component.process(messages(*texts))
    labels = [m.get("sentiment")["label"] for m in before]
    assert labels[0] == "negative" and labels[1] == "positive"
    assert "sentiment" in before[0].as_dict(only_output_properties=True)

    loaded = BertSentimentClassifier.load(
        config, LocalModelStorage(tmp_path / "storage"), resource, execution_context
    )
    after = loaded.process(messages(*texts))
    assert [m.get("sentiment") for m in after] == [m.get("sentiment") for m in before]

    for message in loaded.process(messages(*BAD_INPUTS)):
        sentiment = message.get("sentiment")
        assert sentiment["label"] in {"negative", "neutral", "positive"}
        assert 0.0 <= sentiment["score"] <= 1.0


def test_data_file_is_part_of_the_fingerprint(config, data_file):
    before = BertSentimentClassifier.fingerprint_addon(config)
    with data_file.open("a", encoding="utf-8") as f:
        f.write("one more happy customer,positive\n")
    assert BertSentimentClassifier.fingerprint_addon(config) != before


def test_missing_data_is_a_clear_error(model_storage, resource, execution_context, tmp_path):
    component = BertSentimentClassifier.create(
        {"training_data_path": str(tmp_path / "nope.csv")}, model_storage, resource, execution_context
    )
    with pytest.raises(FileNotFoundError, match="text,label"):
        component.train(TrainingData())


def test_bad_label_names_its_line(model_storage, resource, execution_context, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("text,label\nfine,neutral\nhmm,angry\n", encoding="utf-8")
    component = BertSentimentClassifier.create(
        {"training_data_path": str(path)}, model_storage, resource, execution_context
    )
    with pytest.raises(ValueError, match=r"bad.csv:3: label 'angry'"):
        component.train(TrainingData())


def test_untrained_is_neutral_and_safe(model_storage, resource, execution_context):
    loaded = BertSentimentClassifier.load({}, model_storage, resource, execution_context)
    [message] = loaded.process(messages("anything"))
    assert message.get("sentiment") == {"label": "neutral", "score": 0.0}
