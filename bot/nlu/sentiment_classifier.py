"""Rasa component that labels every message's sentiment with a fine-tuned BERT-family model."""

import logging
from pathlib import Path
from typing import Any, Dict, List, Optional, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.datasets import file_fingerprint, read_sentiment_task
from bot.nlu.fine_tuned_component import SENTIMENT, FineTunedTextComponent, set_sentiment
from bot.nlu.text_classifier import MAIN

logger = logging.getLogger(__name__)

UNTRAINED_SENTIMENT = {"label": "neutral", "score": 0.0}


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True
)
class BertSentimentClassifier(FineTunedTextComponent):
    """Sets ``sentiment`` = ``{"label", "score"}`` on every message.

    Trained on its own labelled set (``training_data_path``, a ``text,label`` CSV),
    not on the NLU examples; the file's content is part of the component's
    fingerprint, so editing it retrains the component on the next ``rasa train``.
    The field is added to the parse output, so it reaches the tracker and actions
    (``tracker.latest_message["sentiment"]``). Registered as a classifier for
    Rasa's graph, but not an ``IntentClassifier``: it never touches ``intent``.

    This is the stand-alone sentiment model. ``BertIntentClassifier`` with a
    ``sentiment_training_data_path`` learns the same task as a second head on its
    own encoder (one forward pass for both); config.yml uses that.
    """

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """The component's default config.

        training_data_path: the labelled sentiment CSV (header ``text,label``,
            labels negative/neutral/positive), relative to where `rasa train` runs.
        model_name_or_path: a packaged model alias (all-MiniLM-L6-v2) or a local
            directory with a Hugging Face encoder; nothing is downloaded.
        epochs: passes over the training data.
        batch_size: examples per optimisation step.
        learning_rate: peak AdamW learning rate (linear warm-up, then linear decay).
        weight_decay: AdamW weight decay (not applied to biases and LayerNorm).
        warmup_ratio: share of the steps spent warming the learning rate up.
        label_smoothing: softens the targets so scores stay meaningful.
        dropout: dropout before the classification head.
        max_length: tokens kept per message; longer messages are truncated.
        batch_size_inference: messages per forward pass when predicting.
        random_seed: makes training reproducible.
        device: "auto" (GPU when present, else CPU), "cpu" or "cuda".
        num_threads: torch CPU threads; 0 means all CPUs this process may use.
        show_progress_bar: a progress bar while fine-tuning.
        """
        return {
            **FineTunedTextComponent.get_default_config(),
            "training_data_path": "nlu_data/sentiment/train.csv",
            "epochs": 6,
        }

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        """Retrain when the sentiment data changes, not only when config.yml does."""
        path = config.get("training_data_path", cls.get_default_config()["training_data_path"])
        return file_fingerprint(Path(path))

    @staticmethod
    def _untrained_behaviour() -> Text:
        return "messages get a neutral sentiment with score 0."

    def train(self, training_data: TrainingData) -> Resource:
        """Fine-tunes the encoder and a sentiment head on the labelled CSV."""
        texts, labels, label_set = read_sentiment_task(Path(self.config["training_data_path"]))
        self._fine_tune(texts, labels, label_set)
        return self._resource

    def process(self, messages: List[Message]) -> List[Message]:
        """Sets ``sentiment`` on every message, in batches."""
        if not messages:
            return messages
        if self.classifier is None:
            for message in messages:
                message.set(SENTIMENT, dict(UNTRAINED_SENTIMENT), add_to_output=True)
            return messages
        labels = self.classifier.labels
        for message, row in zip(messages, self._predict(messages)[MAIN]):
            set_sentiment(message, labels, row)
        return messages
