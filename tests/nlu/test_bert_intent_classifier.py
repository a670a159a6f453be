import pytest

from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.models import ModelNotFoundError
from bot.nlu.bert_intent_classifier import BertIntentClassifier
from bot.nlu.noise import NOISE_LABEL

from .conftest import BAD_INPUTS, TINY_INTENTS, messages

CONFIG = {"epochs": 4, "batch_size": 8, "learning_rate": 1e-4, "noise_examples": 12,
          "show_progress_bar": False}


@pytest.fixture
def trained(tiny_training_data, model_storage, resource, execution_context):
    component = BertIntentClassifier.create(CONFIG, model_storage, resource, execution_context)
    assert component.train(tiny_training_data) == resource
    return component


def test_is_an_intent_classifier_for_the_fallback():
    assert issubclass(BertIntentClassifier, IntentClassifier)


def test_sets_intent_and_full_ranking(trained):
    [message] = trained.process(messages("where is my parcel"))
    assert message.get("intent")["name"] == "order_status"
    ranking = message.get("intent_ranking")
    assert [r["name"] for r in ranking][0] == "order_status"
    assert {r["name"] for r in ranking} == set(TINY_INTENTS)  # the noise class never shows
    assert 0.0 < sum(r["confidence"] for r in ranking) <= 1.0 + 1e-6
    assert "intent" in message.as_dict(only_output_properties=True)


def test_persist_and_load_from_fresh_storage(
    trained, model_storage, resource, execution_context, tmp_path
):
    texts = ["hello!", "i want a refund for my shoes", "where's my package"]
    before = trained.process(messages(*texts))
    fresh = LocalModelStorage(tmp_path / "storage")
    loaded = BertIntentClassifier.load(CONFIG, fresh, resource, execution_context)
    after = loaded.process(messages(*texts))
    for b, a in zip(before, after):
        assert a.get("intent")["name"] == b.get("intent")["name"]
        assert a.get("intent")["confidence"] == pytest.approx(b.get("intent")["confidence"], abs=1e-5)


def test_empty_message_is_equally_unsure_of_every_intent(trained):
    for message in trained.process(messages("", "   \n")):
        confidences = [r["confidence"] for r in message.get("intent_ranking")]
        assert confidences == [pytest.approx(1 / len(TINY_INTENTS))] * len(TINY_INTENTS)


def test_trained_with_a_background_class_of_gibberish(trained):
    assert NOISE_LABEL in trained.classifier.labels
    [nonsense, clear] = trained.process(messages("xzvc bvbmnnvm qwpf", "where is my parcel"))
    assert nonsense.get("intent")["confidence"] < clear.get("intent")["confidence"]
    assert nonsense.get("intent")["name"] != NOISE_LABEL


def test_bad_input_is_classified_without_errors(trained):
    for message in trained.process(messages(*BAD_INPUTS)):
        assert message.get("intent")["name"] in TINY_INTENTS
        assert 0.0 <= message.get("intent")["confidence"] <= 1.0


def test_no_intents_trains_nothing_and_predicts_nothing(
    model_storage, resource, execution_context
):
    component = BertIntentClassifier.create(CONFIG, model_storage, resource, execution_context)
    component.train(TrainingData(training_examples=[Message(data={"text": "hi", "intent": "greet"})]))
    [message] = component.process(messages("hello"))
    assert message.get("intent") is None
    loaded = BertIntentClassifier.load(CONFIG, model_storage, resource, execution_context)
    assert loaded.process(messages("hello"))[0].get("intent") is None


def test_unknown_model_fails_with_a_clear_error(model_storage, resource, execution_context):
    with pytest.raises(ModelNotFoundError, match="model_name_or_path|packaged"):
        BertIntentClassifier.create(
            {"model_name_or_path": "/nowhere/bert"}, model_storage, resource, execution_context
        )


def test_sentiment_head_sets_sentiment_from_the_same_pass(
    model_storage, resource, execution_context, tiny_training_data, tmp_path
):
    from tests.nlu.test_sentiment_classifier import ROWS

    data = tmp_path / "sentiment.csv"
    data.write_text("text,label\n" + "".join(f'"{t}",{l}\n' for t, l in ROWS * 2))
    config = {**CONFIG, "sentiment_training_data_path": str(data), "epochs": 5}
    component = BertIntentClassifier.create(config, model_storage, resource, execution_context)
    component.train(tiny_training_data)
    loaded = BertIntentClassifier.load(config, model_storage, resource, execution_context)
    angry, happy, empty = loaded.process(
        messages("this is awful, my order is broken", "thank you so much, amazing!", "")
    )
    assert angry.get("sentiment")["label"] == "negative"
    assert happy.get("sentiment")["label"] == "positive"
    assert empty.get("sentiment") == {"label": "neutral", "score": 1.0}
    assert "sentiment" in angry.as_dict(only_output_properties=True)
    assert BertIntentClassifier.fingerprint_addon(config) != BertIntentClassifier.fingerprint_addon(CONFIG)


def test_without_sentiment_data_sets_no_sentiment(trained):
    [message] = trained.process(messages("hello"))
    assert message.get("sentiment") is None
