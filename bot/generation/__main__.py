"""The generator's command line (action-server environment).

``python -m bot.generation convert``: prepare the model the configured runtime serves (every
conversion the first load would do, into the cache), with progress.

``python -m bot.generation try "TEMPLATE" [--question TEXT]``: word one reply through the
rephraser with generation on, and print the path, the reasons and the timings.

``python -m bot.generation dataset [--out DIR]``: build the fine-tuning pairs
(``bot.generation.dataset``) and write ``train.jsonl`` / ``held_out.jsonl``.

``python -m bot.generation finetune``: build the pairs, score the stock model on the
held-out pairs, fine-tune a LoRA adapter (``bot.generation.finetune``; written to
``bot/generation/adapters/shop-lora/``, or ``SHOPBOT_GENERATOR_ADAPTER``), score the
fine-tuned model, and write both to ``benchmarks/results/generation_eval.json`` under
``finetune`` (other keys kept). Run it with ``SHOPBOT_TORCH_THREADS=1`` on a shared
two-core machine.

``python -m bot.generation evaluate``: score the stock and the fine-tuned model on the
held-out pairs again (same output), without training.
"""

import argparse
import json
import os
import platform
import sys
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Dict, List, Optional

RESULTS = Path(__file__).resolve().parents[2] / "benchmarks" / "results" / "generation_eval.json"


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.generation", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("convert", help="convert the configured model into the cache (once)")
    trial = commands.add_parser("try", help="word one reply and show how it was served")
    trial.add_argument("template", help="the template reply, e.g. 'Samsung Galaxy S24 — $799.00, in stock'")
    trial.add_argument("--question", default="", help="what the shopper wrote")
    trial.add_argument("--profile", action="append", default=[], help="a profile summary line (repeatable)")
    trial.add_argument("--budget", type=float, default=None, help="seconds (default SHOPBOT_GENERATION_BUDGET_S)")
    data = commands.add_parser("dataset", help="build the fine-tuning pairs and write them as JSON lines")
    data.add_argument("--out", type=Path, default=None, help="directory (default var/finetune)")
    tune = commands.add_parser("finetune", help="build the pairs, fine-tune LoRA, score before and after")
    tune.add_argument("--epochs", type=float, default=1.0)
    tune.add_argument("--rank", type=int, default=6)
    tune.add_argument("--lr", type=float, default=1e-3)
    tune.add_argument("--batch-size", type=int, default=4)
    tune.add_argument("--max-steps", type=int, default=None)
    tune.add_argument("--out", type=Path, default=None, help="adapter directory (default the committed one)")
    tune.add_argument("--no-eval", action="store_true", help="train only")
    for command in (tune, commands.add_parser("evaluate", help="score the stock and the fine-tuned model")):
        command.add_argument("--limit", type=int, default=60, help="held-out pairs to score (0: all)")
        command.add_argument("--max-new-tokens", type=int, default=None,
                             help="default: as served (SHOPBOT_GENERATION_MAX_TOKENS, 64); a reply cut off there falls back")
        command.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    args.argv = list(argv if argv is not None else sys.argv[1:])
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    if args.command == "convert":
        return _convert()
    if args.command == "try":
        return _try(args)
    if args.command == "dataset":
        return _dataset(args)
    return _finetune(args)


def _convert() -> int:
    """Prepare what the configured runtime serves (the GGUF converted for transformers, the
    fine-tuned merge converted for llama.cpp), by loading it once with progress; quick when
    the caches hold it. ``run.sh`` calls it before the servers start, so the action server's
    warm-up is not where a first conversion happens unseen."""
    from bot.generation.runtime import load_generator

    started = time.perf_counter()
    generator = load_generator(progress=True)
    source = getattr(generator, "source", None) or getattr(generator, "model_path", None) or ""
    print(f"generator ready: {type(generator).__name__} {source} ({time.perf_counter() - started:.1f} s)")
    close = getattr(generator, "close", None)
    if callable(close):
        close()
    return 0


def _try(args) -> int:
    from bot.catalog import load_catalog
    from bot.generation.entities import NameIndex
    from bot.generation.runtime import load_generator
    from bot.generation.service import Rephraser

    catalog = load_catalog()
    rephraser = Rephraser(load_generator(progress=True), names=NameIndex.from_catalog(catalog), enabled=True,
                          budget_s=args.budget, shop_name=catalog.shop.get("name", "our shop"))
    served = rephraser.reply(args.template, profile_summary=args.profile, shopper_text=args.question)
    print(served.text)
    print(f"-- {served.detail} in {served.seconds:.2f} s", file=sys.stderr)
    if served.generation is not None:
        g = served.generation
        print(f"-- model said {g.text!r}: {g.prompt_tokens} prompt tokens, {g.tokens} new, "
              f"first token {g.first_token_s or 0:.2f} s, {g.finish_reason}", file=sys.stderr)
    return 0


def _dataset(args) -> int:
    from bot import settings
    from bot.generation.dataset import build_dataset

    data = build_dataset(progress=True)
    out = args.out or settings.var_dir() / "finetune"
    for path in data.write(out):
        print(path)
    print(json.dumps({**data.sizes(), "fingerprint": data.fingerprint()}, indent=2))
    return 0


def _names():
    from bot.catalog import load_catalog
    from bot.generation.entities import NameIndex
    from bot.shop.seed import DEMO_CUSTOMERS

    return NameIndex.from_catalog(load_catalog(), people=[name for name, _ in DEMO_CUSTOMERS])


def _score(held_out, finetuned: bool, args, names) -> Dict[str, Any]:
    """Load the stock (or fine-tuned) generator and evaluate it on ``held_out``."""
    from bot.generation.evaluate import evaluate
    from bot.generation.runtime import GenerationSettings, load_generator

    previous = os.environ.get("SHOPBOT_GENERATOR_FINETUNED")
    os.environ["SHOPBOT_GENERATOR_FINETUNED"] = "on" if finetuned else "off"
    try:
        started = time.perf_counter()
        generator = load_generator(GenerationSettings.from_env(), progress=True)
        load_s = time.perf_counter() - started
    finally:
        if previous is None:
            os.environ.pop("SHOPBOT_GENERATOR_FINETUNED", None)
        else:
            os.environ["SHOPBOT_GENERATOR_FINETUNED"] = previous
    label = "fine-tuned model" if finetuned else "stock model"
    result = evaluate(held_out, generator, names=names, max_new_tokens=args.max_new_tokens, progress=True,
                      label=f"scoring the {label}", keep_replies=12)
    result["model_directory"] = Path(getattr(generator, "source", "") or "").name
    result["load_s"] = round(load_s, 2)
    result["load_average_1m"] = round(os.getloadavg()[0], 2)
    return result


def _finetune(args) -> int:
    import torch

    from bot.generation.dataset import build_dataset
    from bot.generation.evaluate import pick
    from bot.generation.finetune import TrainConfig, adapter_dir, train
    from bot.generation.runtime import GenerationSettings
    from bot.generation.transformers_runtime import convert_gguf

    started = time.perf_counter()
    if args.max_new_tokens is None:
        from bot.generation.runtime import GenerationSettings as _Settings

        args.max_new_tokens = _Settings.from_env().max_new_tokens
    data = build_dataset(progress=True)
    sizes = {**data.sizes(), "fingerprint": data.fingerprint()}
    print(json.dumps(sizes), file=sys.stderr)
    held_out = pick(data.held_out, args.limit or None)
    names = _names()
    evaluating = args.command == "evaluate" or not args.no_eval
    report: Dict[str, Any] = {}
    if evaluating:
        report["before"] = _score(held_out, False, args, names)
        _print_row("before (stock)", report["before"])
    if args.command == "finetune":
        source = GenerationSettings.from_env().model_path()
        base = source if source.is_dir() else convert_gguf(source, progress=True)
        config = TrainConfig(rank=args.rank, alpha=2.0 * args.rank, epochs=args.epochs, lr=args.lr,
                             batch_size=args.batch_size, max_steps=args.max_steps)
        load_before = [round(x, 2) for x in os.getloadavg()]
        result = train(data.train, base, args.out or adapter_dir(), config, progress=True, dataset_info=sizes)
        report["train"] = {"seconds": round(result.seconds, 1), "steps": result.steps, "examples": result.examples,
                           "tokens": result.tokens, "loss_first": result.loss_first, "loss_last": result.loss_last,
                           "load_average_before": load_before, "load_average_after": [round(x, 2) for x in os.getloadavg()],
                           "torch_threads": torch.get_num_threads(), "config": result.meta["training"]}
        report["adapter"] = {"path": _relative(result.adapter_dir), "bytes": result.bytes, "rank": args.rank,
                             "targets": result.meta["targets"]}
    if evaluating:
        report["after"] = _score(held_out, True, args, names)
        _print_row("after (fine-tuned)", report["after"])
    report.update({
        "command": "python -m bot.generation " + " ".join(args.argv),
        "sizes": sizes, "evaluated_pairs": len(held_out), "max_new_tokens": args.max_new_tokens,
        "machine": {"cpus": os.cpu_count(), "torch_threads": torch.get_num_threads(),
                    "load_average": [round(x, 2) for x in os.getloadavg()], "python": platform.python_version(),
                    "torch": torch.__version__},
        "seconds": round(time.perf_counter() - started, 1),
        "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    })
    if evaluating:
        write_results(args.results, report)
        print(f"wrote {args.results} (finetune)", file=sys.stderr)
    return 0


def write_results(path: Path, report: Dict[str, Any]) -> None:
    """Read-modify-write: only the ``finetune`` key is ours; an evaluate-only run keeps the
    training figures of the last fine-tuning."""
    existing = json.loads(path.read_text()) if path.is_file() else {}
    previous = existing.get("finetune") or {}
    for key in ("train", "adapter"):
        if key not in report and key in previous:
            report[key] = previous[key]
    existing["finetune"] = report
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(existing, indent=2, ensure_ascii=False) + "\n")


def _relative(path: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(Path(__file__).resolve().parents[2]))
    except ValueError:
        return str(path)


def _print_row(label: str, r: Dict[str, Any]) -> None:
    print(f"| {label} | {r['fallback_rate']:.0%} | {r['hallucination_rate']:.0%} | "
          f"{r['unsupported_reaching_shopper']} | {r['fact_coverage']} | {r['mean_chars']} | "
          f"{r['decode_tok_s']} | {r['p95_reply_s']} s |", flush=True)


if __name__ == "__main__":
    sys.exit(main())
