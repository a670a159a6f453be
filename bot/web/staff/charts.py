"""Analytics charts as PNG, drawn with matplotlib's Agg backend from conversation summaries
(and, for recommendations, their click-through per source: ``bot.web.recommendations``).

Rendering is CPU work, so each chart is cached for a few seconds: a page with eight
charts, reloaded, does not redraw eight figures.
"""

import io
import threading
import time
from collections import Counter, defaultdict
from datetime import date
from typing import Callable, Dict, List, Optional, Tuple

import matplotlib

matplotlib.use("Agg")
from matplotlib.figure import Figure  # noqa: E402  (after choosing the backend)

from bot.web.conversations import Summary  # noqa: E402
from bot.web.recommendations import ClickThrough  # noqa: E402

CACHE_SECONDS = 10.0
CHARTS = {
    "conversations": "Conversations per day",
    "containment": "Containment rate (no handoff)",
    "fallback": "Fallback rate",
    "handoff": "Handoff rate",
    "sentiment": "Share of conversations with negative sentiment",
    "intents": "Top intents",
    "feedback": "Shopper feedback",
    "clicks": "Recommendation click-through by source",
    "wording": "Replies worded by the generator, and fallbacks by reason",
}
# the order and colours of the wording chart's stacks
WORDING_COLOURS = {"generated": "#55a868", "fallback:guardrails": "#c44e52", "fallback:timeout": "#dd8452",
                   "fallback:busy": "#ccb974", "fallback:truncated": "#8172b3", "fallback:error": "#937860"}
_cache: Dict[str, Tuple[float, bytes]] = {}
_lock = threading.Lock()


def _by_day(summaries: List[Summary]) -> Dict[date, List[Summary]]:
    days: Dict[date, List[Summary]] = defaultdict(list)
    for s in summaries:
        days[s.started.date()].append(s)
    return dict(sorted(days.items()))


def metrics(summaries: List[Summary], feedback: Dict[str, Dict[str, int]], clicks: int) -> Dict[str, object]:
    """The numbers behind the charts (also shown as text on the page)."""
    total = len(summaries)
    up = sum(v.get("up", 0) for v in feedback.values())
    down = sum(v.get("down", 0) for v in feedback.values())
    rate = (lambda n: round(n / total, 3)) if total else (lambda n: 0.0)
    return {
        "conversations": total,
        "containment_rate": rate(sum(1 for s in summaries if not s.handoff)),
        "fallback_rate": rate(sum(1 for s in summaries if s.fallback)),
        "handoff_rate": rate(sum(1 for s in summaries if s.handoff)),
        "negative_rate": rate(sum(1 for s in summaries if s.negative)),
        "feedback_up": up,
        "feedback_down": down,
        "feedback_score": round(up / (up + down), 3) if up + down else None,
        "recommendation_clicks": clicks,
        **wording_numbers(summaries),
    }


def wording_numbers(summaries: List[Summary]) -> Dict[str, object]:
    """Of the replies the generator was asked to word: how many it served, and why the
    others fell back to their template (replies sent as written by design are not counted)."""
    counts: Counter = Counter()
    for s in summaries:
        counts.update(s.wording)
    generated = counts.get("generated", 0)
    reasons = {key.split(":", 1)[1]: n for key, n in counts.most_common() if key.startswith("fallback")}
    tried = generated + sum(reasons.values())
    return {"worded_tried": tried, "worded_generated": generated,
            "worded_share": round(generated / tried, 3) if tried else None, "worded_fallbacks": reasons}


def render(name: str, summaries: List[Summary], feedback: Dict[str, Dict[str, int]], clicks: int,
           click_through: Optional[ClickThrough] = None) -> bytes:
    if name not in CHARTS:
        raise KeyError(name)
    with _lock:
        hit = _cache.get(name)
        if hit and time.monotonic() - hit[0] < CACHE_SECONDS:
            return hit[1]
    png = _draw(name, summaries, feedback, clicks, click_through)
    with _lock:
        _cache[name] = (time.monotonic(), png)
    return png


def clear_cache() -> None:
    with _lock:
        _cache.clear()


def _draw(name: str, summaries: List[Summary], feedback: Dict[str, Dict[str, int]], clicks: int,
          click_through: Optional[ClickThrough] = None) -> bytes:
    figure = Figure(figsize=(6, 3), dpi=90)
    axes = figure.add_subplot(1, 1, 1)
    axes.set_title(CHARTS[name], fontsize=10)
    days = _by_day(summaries)
    labels = [d.strftime("%m-%d") for d in days]

    def daily(share: Callable[[Summary], bool]) -> List[float]:
        return [sum(1 for s in group if share(s)) / len(group) for group in days.values()]

    if name == "conversations":
        axes.bar(labels, [len(g) for g in days.values()], color="#4c72b0")
    elif name in ("containment", "fallback", "handoff", "sentiment"):
        test = {"containment": lambda s: not s.handoff, "fallback": lambda s: s.fallback,
                "handoff": lambda s: s.handoff, "sentiment": lambda s: s.negative}[name]
        axes.plot(labels, daily(test), marker="o", color="#dd8452")
        axes.set_ylim(0, 1.05)
    elif name == "intents":
        counts = Counter(i for s in summaries for i in s.intents).most_common(10)
        axes.barh([c[0] for c in counts][::-1], [c[1] for c in counts][::-1], color="#55a868")
    elif name == "feedback":
        up = sum(v.get("up", 0) for v in feedback.values())
        down = sum(v.get("down", 0) for v in feedback.values())
        axes.bar(["up", "down"], [up, down], color=["#55a868", "#c44e52"])
    elif name == "clicks":
        _click_through(axes, click_through)
    elif name == "wording":
        _wording(axes, days, labels)
    if not summaries and name not in ("feedback", "clicks"):
        axes.text(0.5, 0.5, "no conversations yet", ha="center", va="center", transform=axes.transAxes)
    axes.tick_params(labelsize=7)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _wording(axes: object, days: Dict[date, List[Summary]], labels: List[str]) -> None:
    """Per day, stacked: replies generated and replies that fell back, by reason."""
    per_day = [Counter() for _ in days]
    for counter, group in zip(per_day, days.values()):
        for s in group:
            counter.update({k: n for k, n in s.wording.items() if k != "template"})
    keys = [k for k in WORDING_COLOURS if any(c.get(k) for c in per_day)]
    keys += sorted({k for c in per_day for k in c if k not in WORDING_COLOURS})
    if not keys:
        if days:
            axes.text(0.5, 0.5, "no replies worded yet (SHOPBOT_GENERATION)", ha="center", va="center",
                      transform=axes.transAxes)
        return
    bottom = [0] * len(per_day)
    for key in keys:
        heights = [c.get(key, 0) for c in per_day]
        axes.bar(labels, heights, bottom=bottom, color=WORDING_COLOURS.get(key, "#8c8c8c"),
                 label=key.replace("fallback:", "fallback: "))
        bottom = [b + h for b, h in zip(bottom, heights)]
    axes.set_ylabel("replies", fontsize=8)
    axes.set_ylim(0, max(bottom) * 1.3 + 1)  # room for the legend above the bars
    axes.legend(fontsize=7, loc="upper center", ncol=min(3, len(keys)), frameon=False)


def _click_through(axes: object, click_through: Optional[ClickThrough]) -> None:
    """Click-through rate per source, each bar labelled ``clicks / shown``."""
    if click_through is None or not click_through.impressions:
        axes.text(0.5, 0.5, "no recommendations shown yet", ha="center", va="center", transform=axes.transAxes)
        return
    stats = click_through.sources
    rates = [100 * (s.ctr or 0.0) for s in stats]
    bars = axes.bar([s.label for s in stats], rates, color="#8172b3")
    for bar, s in zip(bars, stats):
        axes.annotate(f"{s.clicks} / {s.impressions}", (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                      ha="center", va="bottom", fontsize=7, xytext=(0, 2), textcoords="offset points")
    axes.set_ylabel("click-through (%)", fontsize=8)
    axes.set_ylim(0, max(max(rates) * 1.25, 1.0))
