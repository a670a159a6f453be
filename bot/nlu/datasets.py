"""Readers for the labelled data our NLU components and benchmarks use."""

import csv
import hashlib
from pathlib import Path
from typing import List, Text, Tuple

SENTIMENT_LABELS = ("negative", "neutral", "positive")


def read_sentiment_csv(path: Path) -> Tuple[List[Text], List[Text]]:
    """Read a ``text,label`` CSV of customer-service messages.

    Raises ``ValueError`` naming the line of the first bad row, so a broken data
    file fails ``rasa train`` with a message a person can act on.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"Sentiment training data not found at '{path}'. It is a CSV with the "
            f"header 'text,label' and labels {', '.join(SENTIMENT_LABELS)}."
        )
    texts: List[Text] = []
    labels: List[Text] = []
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        if reader.fieldnames is None or not {"text", "label"} <= set(reader.fieldnames):
            raise ValueError(f"{path}: the header must be 'text,label', got {reader.fieldnames}")
        for row in reader:
            text = (row.get("text") or "").strip()
            label = (row.get("label") or "").strip().lower()
            if not text:
                raise ValueError(f"{path}:{reader.line_num}: empty text")
            if label not in SENTIMENT_LABELS:
                raise ValueError(
                    f"{path}:{reader.line_num}: label '{label}' is not one of {SENTIMENT_LABELS}"
                )
            texts.append(text)
            labels.append(label)
    return texts, labels


def read_sentiment_task(path: Path) -> Tuple[List[Text], List[Text], List[Text]]:
    """The sentiment CSV as ``(texts, labels, label set)``, refusing a single label."""
    texts, labels = read_sentiment_csv(path)
    label_set = [label for label in SENTIMENT_LABELS if label in set(labels)]
    if len(label_set) < 2:
        raise ValueError(
            f"{path} must hold examples of at least two sentiment labels, found {label_set}."
        )
    return texts, labels, label_set


def file_fingerprint(path: Path) -> Text:
    """Content hash of a file, or a marker when it does not exist."""
    path = Path(path)
    if not path.is_file():
        return f"missing:{path}"
    return hashlib.sha256(path.read_bytes()).hexdigest()
