import numpy as np
import pytest

from bot.models import ModelNotFoundError, resolve_encoder
from bot.nlu.text_classifier import TransformerTextClassifier

from .conftest import BAD_INPUTS, TINY_INTENTS

TEXTS = [t for texts in TINY_INTENTS.values() for t in texts]
LABELS = [i for i, texts in TINY_INTENTS.items() for _ in texts]


@pytest.fixture(scope="module")
def trained():
    clf = TransformerTextClassifier.from_encoder(
        resolve_encoder("all-MiniLM-L6-v2"), sorted(TINY_INTENTS), seed=7
    )
    history = clf.fit(TEXTS, LABELS, epochs=4, batch_size=8, learning_rate=1e-4,
                      seed=7, show_progress=False)
    return clf, history


def test_learns_the_training_data(trained):
    clf, history = trained
    assert history[-1] < history[0]
    probs = clf.predict_proba(TEXTS)
    predicted = [clf.labels[i] for i in probs.argmax(1)]
    assert np.mean([p == l for p, l in zip(predicted, LABELS)]) >= 0.9
    assert np.allclose(probs.sum(1), 1.0, atol=1e-5)


def test_save_and_load_give_the_same_predictions(trained, tmp_path):
    clf, _ = trained
    clf.save(tmp_path)
    assert (tmp_path / "head.safetensors").is_file()
    assert (tmp_path / "encoder" / "model.safetensors").is_file()
    assert not list(tmp_path.rglob("*.bin")) and not list(tmp_path.rglob("*.pkl"))
    loaded = TransformerTextClassifier.load(tmp_path)
    assert loaded.labels == clf.labels
    np.testing.assert_allclose(
        loaded.predict_proba(TEXTS), clf.predict_proba(TEXTS), atol=1e-5
    )


def test_training_is_deterministic():
    def train_once():
        clf = TransformerTextClassifier.from_encoder(
            resolve_encoder("all-MiniLM-L6-v2"), sorted(TINY_INTENTS), seed=3
        )
        clf.fit(TEXTS, LABELS, epochs=1, batch_size=8, seed=3, show_progress=False)
        return clf.predict_proba(["where's my stuff"])

    np.testing.assert_allclose(train_once(), train_once(), atol=1e-6)


def test_batching_does_not_change_predictions(trained):
    clf, _ = trained
    texts = TEXTS + ["a much longer message about returning a pair of running shoes"]
    one_by_one = np.vstack([clf.predict_proba([t]) for t in texts])
    np.testing.assert_allclose(clf.predict_proba(texts, batch_size=5), one_by_one, atol=1e-4)


def test_any_input_gets_probabilities(trained):
    clf, _ = trained
    probs = clf.predict_proba(BAD_INPUTS + [None])
    assert probs.shape == (len(BAD_INPUTS) + 1, len(clf.labels))
    assert np.isfinite(probs).all()
    assert clf.predict_proba([]).shape == (0, len(clf.labels))


def test_unknown_model_names_the_fix():
    with pytest.raises(ModelNotFoundError, match="never downloaded"):
        resolve_encoder("bert-base-uncased-that-is-not-here")


def test_single_label_is_refused():
    with pytest.raises(ValueError, match="at least two labels"):
        TransformerTextClassifier.from_encoder(resolve_encoder("all-MiniLM-L6-v2"), ["greet"])


def test_loading_nothing_is_a_clear_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="No trained classifier"):
        TransformerTextClassifier.load(tmp_path)


def test_multi_task_shares_one_encoder_and_round_trips(tmp_path):
    sentiment = {"negative": ["this is awful", "so angry right now", "worst service ever"],
                 "positive": ["love it, thanks!", "great help, cheers", "amazing, thank you"]}
    s_texts = [t for texts in sentiment.values() for t in texts]
    s_labels = [label for label, texts in sentiment.items() for _ in texts]
    clf = TransformerTextClassifier.from_encoder(
        resolve_encoder("all-MiniLM-L6-v2"), sorted(TINY_INTENTS), seed=5,
        extra_tasks={"sentiment": ["negative", "positive"]},
    )
    clf.fit(TEXTS, LABELS, epochs=4, batch_size=8, learning_rate=1e-4, seed=5,
            show_progress=False, extra_data={"sentiment": (s_texts * 2, s_labels * 2)})
    probs = clf.predict_tasks(["thanks, you were great", "where is my parcel"])
    assert set(probs) == {"main", "sentiment"}
    assert probs["sentiment"].shape == (2, 2) and probs["main"].shape == (2, len(TINY_INTENTS))
    assert clf.tasks["sentiment"][probs["sentiment"][0].argmax()] == "positive"
    assert clf.labels[probs["main"][1].argmax()] == "order_status"
    clf.save(tmp_path)
    loaded = TransformerTextClassifier.load(tmp_path)
    assert loaded.tasks == clf.tasks
    again = loaded.predict_tasks(["thanks, you were great", "where is my parcel"])
    for task in probs:
        np.testing.assert_allclose(again[task], probs[task], atol=1e-5)


def test_unknown_task_is_refused(trained):
    clf, _ = trained
    with pytest.raises(ValueError, match="Unknown task"):
        clf.fit(TEXTS, LABELS, epochs=1, show_progress=False,
                extra_data={"sentiment": (["ok"], ["neutral"])})
