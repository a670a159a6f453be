"""Campaigns: Thompson sampling against a fixed equal split, with known click rates.

Each scenario has arms with known click-through rates; every impression goes to one arm
and is clicked with that arm's rate. Thompson sampling (``bot.campaigns.bandit``: a
Beta(1, 1) prior per arm, one posterior draw per arm per impression, the largest wins,
then +1 click or +1 miss) is run against the fixed equal split an A/B test uses. Both are
run over many seeds, vectorised across seeds with NumPy; the same seed gives both
policies the same click draws per arm (common random numbers), so their difference is
the policies'. Reported per policy: cumulative (expected) regret after N impressions
(sum over impressions of best rate minus the chosen arm's rate), its mean and 95%
interval over seeds, the clicks lost against always showing the best arm, and the share
of traffic the best arm got (overall and in the last 10%). Pure NumPy: seconds.

    cd /work/main && source scripts/env.sh && .venv/bin/python benchmarks/bandit_sim.py   (matplotlib: the Rasa env)

Writes benchmarks/results/bandit_sim.json, benchmarks/results/bandit_sim.png and prints
a markdown table.
"""

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any, Dict, List

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.campaigns.bandit import ThompsonBandit  # noqa: E402

SCENARIOS = {
    "three variants 4% / 5% / 7%": [0.04, 0.05, 0.07],
    "two variants 4% / 5% (50/50 split)": [0.04, 0.05],
}


def simulate(rates: List[float], impressions: int, seeds: int, seed: int, progress: bool = True) -> Dict[str, Any]:
    """Regret curves of Thompson sampling and the fixed split, every seed at once."""
    p = np.asarray(rates, dtype=float)
    k, best = len(p), int(np.argmax(p))
    rng = np.random.default_rng(seed)
    # common random numbers: the click draw of seed s's t-th impression on arm a
    uniforms = rng.random((impressions, seeds))
    rows = np.arange(seeds)
    successes = np.zeros((seeds, k))
    failures = np.zeros((seeds, k))
    ts_regret = np.zeros((impressions, seeds))
    ts_best = np.zeros(seeds)
    ts_best_late = np.zeros(seeds)
    ts_clicks = np.zeros(seeds)
    late = int(impressions * 0.9)
    steps = range(impressions)
    if progress:
        from tqdm import tqdm

        steps = tqdm(steps, desc=f"thompson {'/'.join(f'{r:.0%}' for r in rates)}", unit="imp", mininterval=0.5)
    for t in steps:
        draws = rng.beta(1.0 + successes, 1.0 + failures)
        arm = draws.argmax(axis=1)
        clicked = uniforms[t] < p[arm]
        successes[rows, arm] += clicked
        failures[rows, arm] += ~clicked
        ts_regret[t] = p[best] - p[arm]
        ts_clicks += clicked
        ts_best += arm == best
        if t >= late:
            ts_best_late += arm == best
    # the fixed split: impression t goes to arm t mod k (an equal split, as hashing gives)
    fixed_arm = np.arange(impressions) % k
    fixed_regret = np.repeat((p[best] - p[fixed_arm])[:, None], seeds, axis=1)
    fixed_clicks = (uniforms < p[fixed_arm][:, None]).sum(axis=0)
    out = {}
    for name, regret, clicks, share, share_late in (
            ("thompson", ts_regret, ts_clicks, ts_best / impressions, ts_best_late / (impressions - late)),
            ("fixed_split", fixed_regret, fixed_clicks, np.full(seeds, float(np.mean(fixed_arm == best))),
             np.full(seeds, float(np.mean(fixed_arm[late:] == best))))):
        total = regret.sum(axis=0)
        curve = regret.cumsum(axis=0)
        points = np.unique(np.linspace(0, impressions - 1, 200).astype(int))
        out[name] = {
            "regret_mean": float(total.mean()),
            "regret_ci95": [float(np.quantile(total, 0.025)), float(np.quantile(total, 0.975))],
            "regret_sem": float(total.std(ddof=1) / np.sqrt(seeds)) if seeds > 1 else 0.0,
            "clicks_mean": float(np.mean(clicks)),
            # realized: what always showing the best arm would expect, minus the clicks this policy got
            "clicks_lost_mean": float(p[best] * impressions - np.mean(clicks)),
            "clicks_lost_ci95": [float(np.quantile(p[best] * impressions - clicks, 0.025)),
                                 float(np.quantile(p[best] * impressions - clicks, 0.975))],
            "ctr_mean": float(np.mean(clicks) / impressions),
            "best_arm_share": float(share.mean()),
            "best_arm_share_last_10pct": float(share_late.mean()),
            "curve": {"impressions": (points + 1).tolist(),
                      "regret_mean": np.round(curve[points].mean(axis=1), 2).tolist(),
                      "regret_p025": np.round(np.quantile(curve[points], 0.025, axis=1), 2).tolist(),
                      "regret_p975": np.round(np.quantile(curve[points], 0.975, axis=1), 2).tolist()},
        }
    out["best_rate"] = float(p[best])
    out["oracle_clicks"] = float(p[best] * impressions)
    out["regret_reduction"] = 1.0 - out["thompson"]["regret_mean"] / out["fixed_split"]["regret_mean"]
    return out


def check_against_the_class(rates: List[float], seed: int = 0, steps: int = 3000) -> float:
    """The class the server uses, run one impression at a time: its best-arm share (a sanity check
    that the vectorised loop makes the same decisions' kind)."""
    rng = np.random.default_rng(seed)
    bandit = ThompsonBandit.of([str(i) for i in range(len(rates))])
    best = str(int(np.argmax(rates)))
    picks = []
    for _ in range(steps):
        arm = bandit.choose(rng)
        bandit.update(arm, rng.random() < rates[int(arm)])
        picks.append(arm == best)
    return float(np.mean(picks))


def chart(results: Dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    figure = Figure(figsize=(10, 3.8), dpi=100)
    axes = figure.subplots(1, len(results))
    for ax, (title, result) in zip(np.atleast_1d(axes), results.items()):
        for name, colour in (("thompson", "#4c72b0"), ("fixed_split", "#dd8452")):
            curve = result[name]["curve"]
            label = "Thompson sampling" if name == "thompson" else "fixed equal split"
            ax.plot(curve["impressions"], curve["regret_mean"], color=colour, label=label)
            ax.fill_between(curve["impressions"], curve["regret_p025"], curve["regret_p975"], color=colour, alpha=0.2)
        ax.set_title(title, fontsize=9)
        ax.set_xlabel("impressions")
        ax.set_ylabel("cumulative regret (clicks lost)")
        ax.legend(fontsize=8)
    figure.suptitle("Bandit vs fixed split: mean and 95% band over seeds", fontsize=10)
    figure.tight_layout()
    figure.savefig(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--impressions", type=int, default=20_000)
    parser.add_argument("--seeds", type=int, default=100)
    parser.add_argument("--seed", type=int, default=20240603)
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "bandit_sim.json"))
    args = parser.parse_args()
    started = time.perf_counter()
    results = {title: simulate(rates, args.impressions, args.seeds, args.seed + i)
               for i, (title, rates) in enumerate(SCENARIOS.items())}
    seconds = time.perf_counter() - started
    class_share = check_against_the_class(SCENARIOS["three variants 4% / 5% / 7%"])
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    summary = {"impressions": args.impressions, "seeds": args.seeds, "seed": args.seed,
               "scenarios": {t: {"rates": SCENARIOS[t], **r} for t, r in results.items()},
               "class_check_best_share_3000": class_share, "seconds": round(seconds, 1),
               "machine": {"python": platform.python_version(), "numpy": np.__version__,
                           "load_average": list(os.getloadavg())}}
    out.write_text(json.dumps(summary))
    chart(results, out.with_suffix(".png"))
    print(f"{args.impressions} impressions x {args.seeds} seeds, {seconds:.1f} s, load {os.getloadavg()[0]:.2f}\n")
    print("| scenario | policy | cumulative regret (clicks), mean [95% of seeds] | clicks lost (realized) | CTR | "
          "best arm's traffic | best arm, last 10% |")
    print("|---|---|---|---|---|---|---|")
    for title, r in results.items():
        for name, label in (("fixed_split", "fixed equal split"), ("thompson", "Thompson sampling")):
            s = r[name]
            print(f"| {title} | {label} | {s['regret_mean']:.1f} [{s['regret_ci95'][0]:.1f}, {s['regret_ci95'][1]:.1f}] "
                  f"| {s['clicks_lost_mean']:.1f} [{s['clicks_lost_ci95'][0]:.0f}, {s['clicks_lost_ci95'][1]:.0f}] "
                  f"| {100 * s['ctr_mean']:.2f}% | {100 * s['best_arm_share']:.1f}% | "
                  f"{100 * s['best_arm_share_last_10pct']:.1f}% |")
        print(f"| {title} | Thompson's regret cut | {100 * r['regret_reduction']:.0f}% | | | | |")
    print(f"\nwrote {out} and {out.with_suffix('.png')}")


if __name__ == "__main__":
    main()
