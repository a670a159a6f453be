"""What our fine-tuned Rasa components share: config, create/load, fine-tuning, persist.

``BertIntentClassifier`` and ``BertSentimentClassifier`` differ only in what they
train on and what they set on a message; the life cycle Rasa drives (create, load
from the model archive, fine-tune, persist through ``ModelStorage``) is this one.
"""

import logging
from typing import Any, Dict, List, Optional, Sequence, Text, Tuple

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.models import DEFAULT_ENCODER, resolve_encoder
from bot.nlu.text_classifier import (
    TransformerTextClassifier,
    configure_torch_threads,
    pick_device,
)

logger = logging.getLogger(__name__)

# The fine-tuning options both components take (documented in their get_default_config).
FINE_TUNING_DEFAULTS: Dict[Text, Any] = {
    "model_name_or_path": DEFAULT_ENCODER,
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


SENTIMENT = "sentiment"


def has_content(text: Optional[Text]) -> bool:
    """Whether a message has anything to understand (not empty, not only whitespace)."""
    return bool(text and text.strip())


def set_sentiment(message: Message, labels: Sequence[Text], probabilities: Any) -> None:
    """Sets ``sentiment`` = ``{label, score}`` on a message, in the parse output.

    An empty message is neutral: there is nothing to be upset or happy about.
    """
    if not has_content(message.get(TEXT)):
        value = {"label": "neutral", "score": 1.0}
    else:
        best = int(np.argmax(probabilities))
        value = {"label": labels[best], "score": round(float(probabilities[best]), 4)}
    message.set(SENTIMENT, value, add_to_output=True)


class FineTunedTextComponent(GraphComponent):
    """Base of our components that fine-tune a BERT-family encoder with one head."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """Fine-tuning defaults; subclasses add their own options."""
        return dict(FINE_TUNING_DEFAULTS)

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
            logger.warning(f"{cls.__name__} was not trained; {cls._untrained_behaviour()}")
            classifier = None
        return cls(merged, execution_context.node_name, model_storage, resource, classifier)

    @staticmethod
    def _untrained_behaviour() -> Text:
        return "it will not predict anything."

    def _fine_tune(
        self,
        texts: Sequence[Text],
        labels: Sequence[Text],
        label_set: Sequence[Text],
        extra_data: Optional[Dict[Text, Tuple[List[Text], List[Text], List[Text]]]] = None,
    ) -> None:
        """Builds a classifier on the configured encoder, fine-tunes and persists it.

        ``extra_data`` adds tasks sharing the encoder: name -> (texts, labels, label set).
        """
        extra_data = extra_data or {}
        cfg = self.config
        self.classifier = TransformerTextClassifier.from_encoder(
            resolve_encoder(cfg["model_name_or_path"]),
            label_set,
            max_length=cfg["max_length"],
            dropout=cfg["dropout"],
            device=pick_device(cfg["device"]),
            seed=cfg["random_seed"],
            extra_tasks={task: label_set for task, (_, _, label_set) in extra_data.items()},
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
            description=(
                f"{self.__class__.__name__} ({len(texts)} examples, {len(label_set)} labels"
                + "".join(f"; {task}: {len(t)} examples" for task, (t, _, _) in extra_data.items())
                + ")"
            ),
            extra_data={task: (t, l) for task, (t, l, _) in extra_data.items()},
        )
        self.persist()

    def _predict(self, messages: List[Message]) -> Dict[Text, np.ndarray]:
        """Class probabilities of every task for the messages' texts, batched."""
        return self.classifier.predict_tasks(
            [m.get(TEXT) or "" for m in messages],
            batch_size=self.config["batch_size_inference"],
        )

    def persist(self) -> None:
        """Writes weights (safetensors), tokenizer and labels through ModelStorage."""
        if self.classifier is None:
            return
        with self._model_storage.write_to(self._resource) as model_dir:
            self.classifier.save(model_dir)

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        """Nothing to add to the training data for later components."""
        return training_data
