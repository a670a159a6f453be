"""Rasa intent classifier that fine-tunes a BERT-family encoder inside `rasa train`."""

import logging
from pathlib import Path
from typing import Any, Dict, List, Optional, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.datasets import file_fingerprint, read_sentiment_task
from bot.nlu.fine_tuned_component import (
    SENTIMENT,
    FineTunedTextComponent,
    has_content,
    set_sentiment,
)
from bot.nlu.noise import NOISE_LABEL, gibberish
from bot.nlu.text_classifier import MAIN

logger = logging.getLogger(__name__)


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True
)
class BertIntentClassifier(IntentClassifier, FineTunedTextComponent):
    """Predicts the intent of a message with a fine-tuned BERT-family encoder.

    Needs no featurizer: it tokenizes the raw text itself. Sets ``intent`` and a
    full ``intent_ranking``, so ``FallbackClassifier`` can act on its confidences.
    Trained with a background class of synthetic gibberish (see ``bot.nlu.noise``)
    that never appears in the ranking: nonsense gets low confidence for every
    intent instead of a confident guess. An empty message gets the same
    confidence for every intent.

    Multi-task: with ``sentiment_training_data_path`` set, a sentiment head is
    trained on the same encoder and ``sentiment`` = ``{label, score}`` is set from
    the same forward pass as the intent (half the latency of a separate model).
    """

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """The component's default config.

        model_name_or_path: a packaged model alias (all-MiniLM-L6-v2) or a local
            directory with a Hugging Face encoder; nothing is downloaded.
        epochs: passes over the training data.
        batch_size: examples per optimisation step.
        learning_rate: peak AdamW learning rate (linear warm-up, then linear decay).
        weight_decay: AdamW weight decay (not applied to biases and LayerNorm).
        warmup_ratio: share of the steps spent warming the learning rate up.
        label_smoothing: softens the targets so confidences stay meaningful.
        dropout: dropout before the classification head.
        max_length: tokens kept per message; longer messages are truncated.
        batch_size_inference: messages per forward pass when predicting.
        random_seed: makes training reproducible.
        device: "auto" (GPU when present, else CPU), "cpu" or "cuda".
        num_threads: torch CPU threads; 0 means all CPUs this process may use.
        show_progress_bar: a progress bar while fine-tuning.
        ranking_length: intents kept in intent_ranking; 0 keeps all of them.
        noise_examples: synthetic gibberish examples of the background class;
            0 trains without it.
        sentiment_training_data_path: a labelled sentiment CSV (header
            ``text,label``; negative/neutral/positive), relative to where `rasa train`
            runs. When set, a sentiment head shares the encoder and ``sentiment`` is
            set on every message; null trains intents only.
        """
        return {
            **FineTunedTextComponent.get_default_config(),
            "epochs": 8,
            "ranking_length": 0,
            "noise_examples": 120,
            "sentiment_training_data_path": None,
        }

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        """Retrain when the sentiment data changes, not only when config.yml does."""
        path = config.get("sentiment_training_data_path")
        return file_fingerprint(Path(path)) if path else None

    @staticmethod
    def _untrained_behaviour() -> Text:
        return "it will not predict intents (were there examples of two intents?)."

    def train(self, training_data: TrainingData) -> Resource:
        """Fine-tunes the encoder and the intent head on the NLU examples."""
        examples = [
            e for e in training_data.intent_examples if e.get(INTENT) and e.get(TEXT)
        ]
        intents = sorted({e.get(INTENT) for e in examples})
        if len(intents) < 2:
            logger.warning(
                f"{self.__class__.__name__} needs examples of at least two intents to "
                f"train, found {len(intents)}; skipping training. The model will not "
                f"predict intents."
            )
            return self._resource
        texts = [e.get(TEXT) for e in examples]
        labels = [e.get(INTENT) for e in examples]
        label_set = list(intents)
        if self.config["noise_examples"] > 0:
            noise = gibberish(self.config["noise_examples"], seed=self.config["random_seed"])
            texts += noise
            labels += [NOISE_LABEL] * len(noise)
            label_set.append(NOISE_LABEL)
        extra = {}
        sentiment_path = self.config["sentiment_training_data_path"]
        if sentiment_path:
            extra[SENTIMENT] = read_sentiment_task(Path(sentiment_path))
        self._fine_tune(texts, labels, label_set, extra_data=extra)
        return self._resource

    def process(self, messages: List[Message]) -> List[Message]:
        """Sets ``intent``, ``intent_ranking`` (and ``sentiment``) on every message, in batches."""
        if self.classifier is None or not messages:
            return messages
        labels = self.classifier.labels
        intents = [label for label in labels if label != NOISE_LABEL]
        probabilities = self._predict(messages)
        if SENTIMENT in probabilities:
            for message, row in zip(messages, probabilities[SENTIMENT]):
                set_sentiment(message, self.classifier.tasks[SENTIMENT], row)
        for message, row in zip(messages, probabilities[MAIN]):
            if not has_content(message.get(TEXT)):
                row = [1.0 / len(intents)] * len(labels)
            ranking = sorted(
                (
                    {INTENT_NAME_KEY: label, PREDICTED_CONFIDENCE_KEY: float(p)}
                    for label, p in zip(labels, row)
                    if label != NOISE_LABEL
                ),
                key=lambda r: -r[PREDICTED_CONFIDENCE_KEY],
            )
            if self.config["ranking_length"] > 0:
                ranking = ranking[: self.config["ranking_length"]]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set("intent_ranking", ranking, add_to_output=True)
        return messages
