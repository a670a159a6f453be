"""The training data honours the domain contract and keeps its held-out split apart."""

import os
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import yaml

from bot.nlu.datasets import SENTIMENT_LABELS, read_sentiment_csv

ROOT = Path(__file__).resolve().parent.parent
INTENTS = {
    "greet", "goodbye", "affirm", "deny", "thank", "bot_challenge", "out_of_scope", "faq",
    "order_status", "return_request", "complaint", "human_handoff", "product_info",
    "compare_products", "product_compatibility", "recommend", "search_products", "inform_preference",
    "privacy_request", "inform",
}
ENTITIES = {"product", "brand", "category", "order_id", "budget", "email"}


def examples(path):
    """intent -> plain texts (entity markup removed)."""
    out = {}
    for block in yaml.safe_load(Path(path).read_text()).get("nlu") or []:
        if "intent" in block:
            texts = [line[2:].strip() for line in block["examples"].splitlines() if line.startswith("- ")]
            out.setdefault(block["intent"], []).extend(
                re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", t) for t in texts
            )
    return out


def training_examples():
    """intent -> texts over every training file (Rasa reads every file in nlu_data/)."""
    out = {}
    for path in sorted((ROOT / "nlu_data").glob("*.yml")):
        for intent, texts in examples(path).items():
            out.setdefault(intent, []).extend(texts)
    return out


def test_every_intent_has_enough_training_examples():
    train = training_examples()
    assert set(train) == INTENTS
    assert {i: n for i, t in train.items() if (n := len(t)) < 40} == {}


def test_held_out_split_covers_every_intent_and_is_unseen():
    train = {t.lower() for texts in training_examples().values() for t in texts}
    held_out = examples(ROOT / "benchmarks" / "data" / "nlu_heldout.yml")
    assert set(held_out) == INTENTS
    leaked = [t for texts in held_out.values() for t in texts if t.lower() in train]
    assert leaked == []


def test_domain_declares_the_contract():
    domain = yaml.safe_load((ROOT / "domain.yml").read_text())
    assert INTENTS <= set(domain["intents"])
    entities = {e if isinstance(e, str) else next(iter(e)) for e in domain["entities"]}
    assert ENTITIES <= entities


def test_sentiment_sets_are_big_balanced_and_disjoint():
    texts, labels = read_sentiment_csv(ROOT / "nlu_data" / "sentiment" / "train.csv")
    held_texts, held_labels = read_sentiment_csv(ROOT / "benchmarks" / "data" / "sentiment_heldout.csv")
    assert len(texts) >= 300
    counts = Counter(labels)
    assert set(counts) == set(SENTIMENT_LABELS) and min(counts.values()) >= 80
    assert set(Counter(held_labels)) == set(SENTIMENT_LABELS)
    assert not {t.lower() for t in texts} & {t.lower() for t in held_texts}


def test_rasa_data_validate_passes():
    rasa = Path(sys.executable).parent / "rasa"
    proc = subprocess.run(
        [str(rasa), "data", "validate", "--data", "nlu_data", "--domain", "domain.yml",
         "--config", "config.yml", "--fail-on-warnings"],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
