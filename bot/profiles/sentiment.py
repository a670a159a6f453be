"""Review and conversation sentiment from the shop's own sentiment model, trained once and cached.

The assistant's sentiment model (``bot.nlu``: a MiniLM encoder fine-tuned on
``nlu_data/sentiment/train.csv``) lives inside the Rasa model archive, which the action
server cannot open. So the profile code fine-tunes the same ``TransformerTextClassifier``
on the same labelled file, once, into a git-ignored cache:

    var/models/sentiment-<hash of the data file and the training settings>/

and loads it from there afterwards (``SHOPBOT_MODELS_DIR`` moves the cache). Editing the
training data changes the hash, so a fresh model is trained; a progress bar shows the
fine-tuning (several minutes on two busy CPU cores, seconds on a GPU).
``python -m bot.profiles train-sentiment`` trains it; the action server only loads it
(``cached_sentiment``) and never trains inside a request: until the model exists, reviews
add no aspects, and once it does, stored profiles are rebuilt with it.

A text's score is ``P(positive) - P(negative)``, from -1 (angry) to +1 (delighted).
"""

import hashlib
import json
import logging
import os
import shutil
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import List, Optional, Sequence

from bot import settings

logger = logging.getLogger(__name__)

DEFAULT_DATA = settings.PROJECT_ROOT / "nlu_data" / "sentiment" / "train.csv"


def models_dir() -> Path:
    return Path(os.environ.get("SHOPBOT_MODELS_DIR") or settings.var_dir() / "models")


@dataclass(frozen=True)
class TrainingConfig:
    """How the cached model is fine-tuned (part of the cache key)."""

    encoder: str = "all-MiniLM-L6-v2"
    epochs: int = 6
    batch_size: int = 16
    learning_rate: float = 6e-5
    max_length: int = 64
    seed: int = 42
    limit: Optional[int] = None  # first N examples only (tests); None: all


class SentimentModel:
    """Scores texts from -1 (negative) to +1 (positive)."""

    def __init__(self, classifier, name: str = "sentiment") -> None:
        self.classifier = classifier
        self.name = name  # the cache directory's name: identifies data and settings
        labels = list(classifier.labels)
        self._positive = labels.index("positive") if "positive" in labels else None
        self._negative = labels.index("negative") if "negative" in labels else None
        self._lock = threading.Lock()  # torch modules are not safe to share across threads mid-call

    def scores(self, texts: Sequence[str]) -> List[float]:
        if not texts:
            return []
        with self._lock:
            probabilities = self.classifier.predict_proba(list(texts))
        out = []
        for row in probabilities:
            positive = float(row[self._positive]) if self._positive is not None else 0.0
            negative = float(row[self._negative]) if self._negative is not None else 0.0
            out.append(round(positive - negative, 4))
        return out

    def score(self, text: str) -> float:
        return self.scores([text])[0]

    # ---------------------------------------------------------------- cache
    @staticmethod
    def cache_path(data: Path = DEFAULT_DATA, config: TrainingConfig = TrainingConfig(),
                   directory: Optional[Path] = None) -> Path:
        digest = hashlib.sha256(Path(data).read_bytes())
        digest.update(json.dumps(asdict(config), sort_keys=True).encode("utf-8"))
        return Path(directory or models_dir()) / f"sentiment-{digest.hexdigest()[:12]}"

    @classmethod
    def load_or_train(cls, data: Path = DEFAULT_DATA, config: TrainingConfig = TrainingConfig(),
                      directory: Optional[Path] = None, progress: bool = True) -> "SentimentModel":
        """The cached model for this data and config; fine-tunes and caches it when missing."""
        from bot.nlu.text_classifier import TransformerTextClassifier, configure_torch_threads

        configure_torch_threads(None)
        path = cls.cache_path(data, config, directory)
        if not (path / "classifier.json").is_file():
            cls._train(data, config, path, progress)
        return cls(TransformerTextClassifier.load(path), name=path.name)

    @staticmethod
    def _train(data: Path, config: TrainingConfig, path: Path, progress: bool) -> None:
        from bot.models import resolve_encoder
        from bot.nlu.datasets import read_sentiment_task
        from bot.nlu.text_classifier import TransformerTextClassifier

        texts, labels, label_set = read_sentiment_task(Path(data))
        if config.limit:
            texts, labels = texts[:config.limit], labels[:config.limit]
        classifier = TransformerTextClassifier.from_encoder(
            resolve_encoder(config.encoder), label_set, max_length=config.max_length, seed=config.seed)
        classifier.fit(texts, labels, epochs=config.epochs, batch_size=config.batch_size,
                       learning_rate=config.learning_rate, seed=config.seed, show_progress=progress,
                       description=f"sentiment model for profiles ({len(texts)} examples)")
        path.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=path.name + ".", dir=path.parent))
        try:
            classifier.save(staging)
            try:
                os.replace(staging, path)  # atomic: a concurrent reader sees all or nothing
            except OSError:
                if not (path / "classifier.json").is_file():  # another process won the race
                    raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)


_shared: Optional[SentimentModel] = None
_shared_lock = threading.Lock()
_last_look = 0.0
RECHECK_SECONDS = 60.0


def shared_sentiment() -> SentimentModel:
    """The process-wide model (loaded, or trained once, on first use: for scripts)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = SentimentModel.load_or_train()
        return _shared


def cached_sentiment() -> Optional[SentimentModel]:
    """The process-wide model if it has been trained, else None; never trains (for servers:
    a request must not wait minutes). Looks for a newly trained one at most once a minute."""
    global _shared, _last_look
    with _shared_lock:
        if _shared is not None:
            return _shared
        if time.monotonic() - _last_look < RECHECK_SECONDS and _last_look:
            return None
        _last_look = time.monotonic()
        try:
            path = SentimentModel.cache_path()
        except OSError:  # the training data is missing: no model can exist
            return None
        if not (path / "classifier.json").is_file():
            logger.warning("No review sentiment model in %s yet; reviews add no aspects until "
                           "`python -m bot.profiles train-sentiment` has run.", path.parent)
            return None
        _shared = SentimentModel.load_or_train(progress=False)
        return _shared
