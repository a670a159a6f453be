"""Held-out evaluation of our NLU against Rasa's stock DIET pipeline, side by side.

Trains both NLU pipelines on exactly nlu_data/ (the training split), parses the
held-out split (benchmarks/data/nlu_heldout.yml) through Rasa's Agent, and reports
intent accuracy, macro-F1, per-intent F1, confusion matrices (PNG) and per-message
parse latency (p50/p95). Sentiment on benchmarks/data/sentiment_heldout.csv is
compared with the VADER lexicon baseline.

    bash scripts/bench.sh            # or: .venv/bin/python benchmarks/nlu_eval.py

Results go to benchmarks/results/ (JSON + PNG); BENCHMARKS.md quotes them.
"""

import argparse
import asyncio
import json
import logging
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

import yaml  # noqa: E402

DIET_CONFIG = {
    "recipe": "default.v1",
    "language": "en",
    "pipeline": [
        {"name": "WhitespaceTokenizer"},
        {"name": "CountVectorsFeaturizer"},
        {"name": "CountVectorsFeaturizer", "analyzer": "char_wb", "min_ngram": 1, "max_ngram": 4},
        {"name": "DIETClassifier", "epochs": 100, "random_seed": 42},
    ],
}


def held_out_intents(path: Path):
    pairs = []
    for block in yaml.safe_load(path.read_text())["nlu"]:
        if "intent" not in block:
            continue
        for line in block["examples"].splitlines():
            if line.startswith("- "):
                text = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", line[2:].strip())
                pairs.append((text, block["intent"]))
    return pairs


def train_nlu(config_path: Path, out: Path, name: str) -> str:
    from rasa.model_training import train_nlu as rasa_train_nlu

    model = rasa_train_nlu(
        config=str(config_path), nlu_data=str(ROOT / "nlu_data"), output=str(out),
        fixed_model_name=name, domain=str(ROOT / "domain.yml"),
    )
    if not model:
        raise SystemExit(f"training {name} failed")
    return model


def classifier_intent(result):
    """The classifier's own top intent (FallbackClassifier's nlu_fallback set aside)."""
    for entry in result.get("intent_ranking") or []:
        if entry["name"] != "nlu_fallback":
            return entry["name"]
    return (result.get("intent") or {}).get("name")


def evaluate(agent, texts, repeats: int = 1):
    loop = asyncio.new_event_loop()
    results, latencies = [], []
    for t in texts[:20]:  # warm-up
        loop.run_until_complete(agent.parse_message(t))
    for _ in range(repeats):
        for t in texts:
            start = time.perf_counter()
            result = loop.run_until_complete(agent.parse_message(t))
            latencies.append((time.perf_counter() - start) * 1000)
            results.append(result)
    loop.close()
    return results[: len(texts)], latencies


FALLBACK_THRESHOLD = 0.5
AMBIGUITY_THRESHOLD = 0.05


def would_fall_back(result) -> bool:
    """config.yml's FallbackClassifier rule, applied to the classifier's own ranking."""
    ranking = [r for r in result.get("intent_ranking") or [] if r["name"] != "nlu_fallback"]
    if not ranking:
        return True
    top = ranking[0]["confidence"]
    second = ranking[1]["confidence"] if len(ranking) > 1 else 0.0
    return top < FALLBACK_THRESHOLD or top - second < AMBIGUITY_THRESHOLD


def percentile(values, q):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q / 100 * (len(values) - 1))))]


def intent_report(y_true, y_pred, labels):
    from sklearn.metrics import accuracy_score, f1_score

    per = f1_score(y_true, y_pred, labels=labels, average=None, zero_division=0)
    return {
        "accuracy": round(accuracy_score(y_true, y_pred), 4),
        "macro_f1": round(f1_score(y_true, y_pred, labels=labels, average="macro", zero_division=0), 4),
        "per_label_f1": {label: round(float(f), 4) for label, f in zip(labels, per)},
    }


def confusion_png(y_true, y_pred, labels, title, path: Path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from sklearn.metrics import ConfusionMatrixDisplay

    size = max(5, 0.55 * len(labels) + 2)
    fig, ax = plt.subplots(figsize=(size, size))
    ConfusionMatrixDisplay.from_predictions(
        y_true, y_pred, labels=labels, ax=ax, xticks_rotation=70, colorbar=False, cmap="Blues"
    )
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def vader_label(analyzer, text):
    score = analyzer.polarity_scores(text)["compound"]
    return "positive" if score >= 0.05 else "negative" if score <= -0.05 else "neutral"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results"))
    parser.add_argument("--repeats", type=int, default=3, help="latency passes over the held-out set")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    from bot.nlu.datasets import SENTIMENT_LABELS, read_sentiment_csv
    from rasa.core.agent import Agent
    from rasa.utils.common import configure_logging_and_warnings
    from rasa.utils.log_utils import configure_structlog

    # As a server runs by default: no per-message debug logging inside the timings.
    configure_logging_and_warnings(logging.WARNING)
    configure_structlog(logging.WARNING)

    os.chdir(ROOT)  # the sentiment component's data path is relative to the project
    pairs = held_out_intents(ROOT / "benchmarks" / "data" / "nlu_heldout.yml")
    texts = [t for t, _ in pairs]
    y_true = [i for _, i in pairs]
    labels = sorted(set(y_true))
    gibberish_texts = [
        line.strip()
        for line in (ROOT / "benchmarks" / "data" / "gibberish_heldout.txt").read_text().splitlines()
        if line.strip()
    ]

    work = Path(tempfile.mkdtemp(prefix="nlu-bench-"))
    # A cache of its own, so both pipelines really train and their times compare.
    os.environ["RASA_CACHE_DIRECTORY"] = str(work / "cache")
    diet_config = work / "diet.yml"
    diet_config.write_text(yaml.safe_dump(DIET_CONFIG, sort_keys=False))

    report = {"held_out_messages": len(texts), "intents": len(labels)}
    timings = {}
    for name, config in (("ours", ROOT / "config.yml"), ("diet", diet_config)):
        start = time.perf_counter()
        model = train_nlu(config, work, name)
        timings[name] = round(time.perf_counter() - start, 1)
        agent = Agent.load(model)
        results, latencies = evaluate(agent, texts, repeats=args.repeats)
        y_pred = [classifier_intent(r) for r in results]
        entry = intent_report(y_true, y_pred, labels)
        entry["train_seconds"] = timings[name]
        entry["parse_ms_p50"] = round(percentile(latencies, 50), 2)
        entry["parse_ms_p95"] = round(percentile(latencies, 95), 2)
        entry["parse_ms_mean"] = round(statistics.mean(latencies), 2)
        entry["fallback_rate_held_out"] = round(sum(map(would_fall_back, results)) / len(results), 4)
        nonsense, _ = evaluate(agent, gibberish_texts)
        entry["fallback_rate_gibberish"] = round(sum(map(would_fall_back, nonsense)) / len(nonsense), 4)
        confusion_png(y_true, y_pred, labels, f"Intents, held-out ({name})", out / f"intent_confusion_{name}.png")
        report[name] = entry
        if name == "ours":
            s_texts, s_true = read_sentiment_csv(ROOT / "benchmarks" / "data" / "sentiment_heldout.csv")
            loop = asyncio.new_event_loop()
            s_pred = [loop.run_until_complete(agent.parse_message(t))["sentiment"]["label"] for t in s_texts]
            loop.close()
            report["sentiment_ours"] = intent_report(s_true, s_pred, list(SENTIMENT_LABELS))
            confusion_png(s_true, s_pred, list(SENTIMENT_LABELS), "Sentiment, held-out (ours)",
                          out / "sentiment_confusion_ours.png")
        del agent

    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyzer = SentimentIntensityAnalyzer()
    s_texts, s_true = read_sentiment_csv(ROOT / "benchmarks" / "data" / "sentiment_heldout.csv")
    v_pred = [vader_label(analyzer, t) for t in s_texts]
    report["sentiment_vader"] = intent_report(s_true, v_pred, list(SENTIMENT_LABELS))
    confusion_png(s_true, v_pred, list(SENTIMENT_LABELS), "Sentiment, held-out (VADER)",
                  out / "sentiment_confusion_vader.png")

    ours, diet = report["ours"], report["diet"]
    report["ratios"] = {
        "intent_accuracy_ours_over_diet": round(ours["accuracy"] / max(diet["accuracy"], 1e-9), 3),
        "intent_macro_f1_ours_over_diet": round(ours["macro_f1"] / max(diet["macro_f1"], 1e-9), 3),
        "parse_p95_ours_over_diet": round(ours["parse_ms_p95"] / max(diet["parse_ms_p95"], 1e-9), 3),
        "sentiment_accuracy_ours_over_vader": round(
            report["sentiment_ours"]["accuracy"] / max(report["sentiment_vader"]["accuracy"], 1e-9), 3
        ),
    }
    (out / "nlu_eval.json").write_text(json.dumps(report, indent=2))
    print(json.dumps({k: v for k, v in report.items() if k not in ("ours", "diet")}, indent=2))
    for name in ("ours", "diet"):
        e = report[name]
        print(f"{name:5s} intent acc {e['accuracy']:.3f}  macro-F1 {e['macro_f1']:.3f}  "
              f"parse p50 {e['parse_ms_p50']:.1f} ms  p95 {e['parse_ms_p95']:.1f} ms  "
              f"train {e['train_seconds']:.0f} s  fallback held-out {e['fallback_rate_held_out']:.3f}"
              f"  fallback gibberish {e['fallback_rate_gibberish']:.3f}")
    print(f"results in {out}")


if __name__ == "__main__":
    main()
