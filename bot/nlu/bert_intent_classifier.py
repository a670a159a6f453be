"""Rasa intent classifier that fine-tunes a BERT-family encoder inside `rasa train`."""

import logging
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_NAME_KEY, PREDICTED_CONFIDENCE_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.models import DEFAULT_ENCODER, resolve_encoder
from bot.nlu.text_classifier import (
    TransformerTextClassifier,
    configure_torch_threads,
    pick_device,
)

logger = logging.getLogger(__name__)


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True
)
class BertIntentClassifier(IntentClassifier, GraphComponent):
    """Predicts the intent of a message with a fine-tuned BERT-family encoder.

    Needs no featurizer: it tokenizes the raw text itself. Sets ``intent`` and a
    full ``intent_ranking``, so ``FallbackClassifier`` can act on its confidences.
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
        ranking_length: intents kept in intent_ranking; 0 keeps all of them.
        show_progress_bar: a progress bar while fine-tuning.
        """
        return {
            "model_name_or_path": DEFAULT_ENCODER,
            "epochs": 8,
            "batch_size": 16,
            "learning_rate": 6e-5,
            "weight_decay": 0.01,
            "warmup_ratio": 0.1,
            "label_smoothing": 0.1,
            "dropout": 0.1,
            "max_length": 128,
            "batch_size_inference": 32,
            "random_seed": 42,
            "device": "auto",
            "num_threads": 0,
            "ranking_length": 0,
            "show_progress_bar": True,
        }

    def __init__(
        self,
        config: Dict[Text, Any],
        name: Text,
        model_storage: ModelStorage,
        resource: Resource,
        classifier: Optional[TransformerTextClassifier] = None,
    ) -> None:
        self.name = name
        self.config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource
        self.classifier = classifier
        configure_torch_threads(self.config["num_threads"])

    @classmethod
    def create(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> GraphComponent:
        """Creates a new untrained component; fails early if the encoder is missing."""
        merged = {**cls.get_default_config(), **config}
        resolve_encoder(merged["model_name_or_path"])
        return cls(merged, execution_context.node_name, model_storage, resource)

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> GraphComponent:
        """Loads the fine-tuned model from the model archive alone."""
        merged = {**cls.get_default_config(), **config}
        try:
            with model_storage.read_from(resource) as model_dir:
                classifier = TransformerTextClassifier.load(
                    model_dir, device=pick_device(merged["device"])
                )
        except (ValueError, FileNotFoundError):
            logger.warning(
                f"{cls.__name__} was not trained (no intent examples?); "
                f"it will not predict intents."
            )
            classifier = None
        return cls(merged, execution_context.node_name, model_storage, resource, classifier)

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

        cfg = self.config
        self.classifier = TransformerTextClassifier.from_encoder(
            resolve_encoder(cfg["model_name_or_path"]),
            intents,
            max_length=cfg["max_length"],
            dropout=cfg["dropout"],
            device=pick_device(cfg["device"]),
            seed=cfg["random_seed"],
        )
        self.classifier.fit(
            [e.get(TEXT) for e in examples],
            [e.get(INTENT) for e in examples],
            epochs=cfg["epochs"],
            batch_size=cfg["batch_size"],
            learning_rate=cfg["learning_rate"],
            weight_decay=cfg["weight_decay"],
            warmup_ratio=cfg["warmup_ratio"],
            label_smoothing=cfg["label_smoothing"],
            seed=cfg["random_seed"],
            show_progress=cfg["show_progress_bar"],
            description=f"{self.__class__.__name__} ({len(examples)} examples, {len(intents)} intents)",
        )
        self.persist()
        return self._resource

    def process(self, messages: List[Message]) -> List[Message]:
        """Sets ``intent`` and ``intent_ranking`` on every message, in batches."""
        if self.classifier is None or not messages:
            return messages
        texts = [m.get(TEXT) or "" for m in messages]
        probabilities = self.classifier.predict_proba(
            texts, batch_size=self.config["batch_size_inference"]
        )
        labels = self.classifier.labels
        for message, row in zip(messages, probabilities):
            ranking = sorted(
                (
                    {INTENT_NAME_KEY: label, PREDICTED_CONFIDENCE_KEY: float(p)}
                    for label, p in zip(labels, row)
                ),
                key=lambda r: -r[PREDICTED_CONFIDENCE_KEY],
            )
            if self.config["ranking_length"] > 0:
                ranking = ranking[: self.config["ranking_length"]]
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set("intent_ranking", ranking, add_to_output=True)
        return messages

    def persist(self) -> None:
        """Writes weights (safetensors), tokenizer and labels through ModelStorage."""
        if self.classifier is None:
            return
        with self._model_storage.write_to(self._resource) as model_dir:
            self.classifier.save(model_dir)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Nothing to add to the training data: later components don't need our intents."""
        return training_data
