"""Rasa component that labels every message's sentiment with a fine-tuned BERT-family model."""

import logging
from pathlib import Path
from typing import Any, Dict, List, Optional, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.models import DEFAULT_ENCODER, resolve_encoder
from bot.nlu.datasets import SENTIMENT_LABELS, file_fingerprint, read_sentiment_csv
from bot.nlu.text_classifier import (
    TransformerTextClassifier,
    configure_torch_threads,
    pick_device,
)

logger = logging.getLogger(__name__)

SENTIMENT = "sentiment"


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True
)
class BertSentimentClassifier(GraphComponent):
    """Sets ``sentiment`` = ``{"label", "score"}`` on every message.

    Trained on its own labelled set (``training_data_path``, a ``text,label`` CSV),
    not on the NLU examples; the file's content is part of the component's
    fingerprint, so editing it retrains the component on the next ``rasa train``.
    The field is added to the parse output, so it reaches the tracker and actions
    (``tracker.latest_message["sentiment"]``).
    """

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """The component's default config.

        training_data_path: the labelled sentiment CSV, relative to the directory
            `rasa train` runs in.
        model_name_or_path: a packaged model alias (all-MiniLM-L6-v2) or a local
            directory with a Hugging Face encoder; nothing is downloaded.
        epochs, batch_size, learning_rate, weight_decay, warmup_ratio,
        label_smoothing, dropout, max_length, random_seed: fine-tuning settings,
            as for BertIntentClassifier.
        batch_size_inference: messages per forward pass when predicting.
        device: "auto" (GPU when present, else CPU), "cpu" or "cuda".
        num_threads: torch CPU threads; 0 means all CPUs this process may use.
        show_progress_bar: a progress bar while fine-tuning.
        """
        return {
            "training_data_path": "nlu_data/sentiment/train.csv",
            "model_name_or_path": DEFAULT_ENCODER,
            "epochs": 6,
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
            "show_progress_bar": True,
        }

    @classmethod
    def fingerprint_addon(cls, config: Dict[str, Any]) -> Optional[str]:
        """Retrain when the sentiment data changes, not only when config.yml does."""
        path = config.get("training_data_path", cls.get_default_config()["training_data_path"])
        return file_fingerprint(Path(path))

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
            logger.warning(f"{cls.__name__} was not trained; messages get neutral sentiment.")
            classifier = None
        return cls(merged, execution_context.node_name, model_storage, resource, classifier)

    def train(self, training_data: TrainingData) -> Resource:
        """Fine-tunes the encoder and a sentiment head on the labelled CSV."""
        cfg = self.config
        texts, labels = read_sentiment_csv(Path(cfg["training_data_path"]))
        present = sorted(set(labels))
        if len(present) < 2:
            raise ValueError(
                f"{cfg['training_data_path']} must hold examples of at least two "
                f"sentiment labels, found {present}."
            )
        self.classifier = TransformerTextClassifier.from_encoder(
            resolve_encoder(cfg["model_name_or_path"]),
            [label for label in SENTIMENT_LABELS if label in present],
            max_length=cfg["max_length"],
            dropout=cfg["dropout"],
            device=pick_device(cfg["device"]),
            seed=cfg["random_seed"],
        )
        self.classifier.fit(
            texts,
            labels,
            epochs=cfg["epochs"],
            batch_size=cfg["batch_size"],
            learning_rate=cfg["learning_rate"],
            weight_decay=cfg["weight_decay"],
            warmup_ratio=cfg["warmup_ratio"],
            label_smoothing=cfg["label_smoothing"],
            seed=cfg["random_seed"],
            show_progress=cfg["show_progress_bar"],
            description=f"{self.__class__.__name__} ({len(texts)} examples)",
        )
        self.persist()
        return self._resource

    def process(self, messages: List[Message]) -> List[Message]:
        """Sets ``sentiment`` on every message, in batches."""
        if not messages:
            return messages
        if self.classifier is None:
            for message in messages:
                message.set(SENTIMENT, {"label": "neutral", "score": 0.0}, add_to_output=True)
            return messages
        probabilities = self.classifier.predict_proba(
            [m.get(TEXT) or "" for m in messages],
            batch_size=self.config["batch_size_inference"],
        )
        labels = self.classifier.labels
        for message, row in zip(messages, probabilities):
            best = int(row.argmax())
            message.set(
                SENTIMENT,
                {"label": labels[best], "score": round(float(row[best]), 4)},
                add_to_output=True,
            )
        return messages

    def persist(self) -> None:
        """Writes weights (safetensors), tokenizer and labels through ModelStorage."""
        if self.classifier is None:
            return
        with self._model_storage.write_to(self._resource) as model_dir:
            self.classifier.save(model_dir)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Nothing to add to the training data."""
        return training_data
