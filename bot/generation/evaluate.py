"""Held-out evaluation of a generator: what the shopper would get, and what the model said.

Each held-out pair (``bot.generation.dataset``) is worded through the real ``Rephraser``
(the same prompt, the same guardrails, generation on, a budget generous enough never to
cut a reply), and scored:

- ``fallback_rate``: replies the guardrails (or an error) sent to the template;
  ``guardrail_pass_rate`` is the rest;
- ``hallucination_rate``: replies whose raw generation, BEFORE the guard, states an
  entity the facts do not support (a price, number, date, code, product/brand/place name
  or another customer's data: the ``unsupported_*`` and ``personal_data`` checks);
- ``unsupported_reaching_shopper``: the same check on what was actually sent; the guard
  makes it 0 (reported as a count and a rate, so a regression shows);
- ``fact_coverage``: of the template's key facts (prices, dates, codes, products), the
  share the raw generation restates, averaged over the replies that have any;
- ``mean_chars`` / ``mean_new_tokens``: the raw generation's length;
- ``decode_tok_s`` (median), ``p50_reply_s`` / ``p95_reply_s``;
- ``by_kind`` fallback rates and ``why``: how often each guardrail refused.

``evaluate`` takes any ``Generator``, so the tests score a scripted fake whose answers
are known and the command scores the stock and the fine-tuned model.
"""

import statistics
import sys
from collections import Counter
from typing import Any, Dict, List, Optional, Sequence

from bot.generation.entities import NameIndex, scan
from bot.generation.facts import checkable_entities
from bot.generation.guardrails import PERSONAL_DATA, Guardrails, _key_facts
from bot.generation.prompt import split_list
from bot.generation.runtime import Generator
from bot.generation.service import FALLBACK, GENERATED, Rephraser

HALLUCINATION_KINDS = frozenset({"unsupported_price", "unsupported_number", "unsupported_date", "unsupported_code",
                                 "unsupported_name", PERSONAL_DATA})
GENEROUS_BUDGET_S = 120.0


def _percentile(values: List[float], q: float) -> Optional[float]:
    ordered = sorted(values)
    if not ordered:
        return None
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def hallucinated(guard: Guardrails, text: str, facts: Any, prompt: Any, shopper_text: str) -> List[str]:
    """The unsupported-entity reasons for ``text`` (empty when it states only facts)."""
    if not (text or "").strip():
        return []
    verdict = guard.check(text, facts, shopper_text=shopper_text, prompt_texts=prompt.instructions,
                          markers=prompt.markers, entities=checkable_entities(facts, guard.names),
                          intro=prompt.intro)
    return [str(v) for v in verdict.violations if v.kind in HALLUCINATION_KINDS]


def coverage(text: str, template: str, names: Optional[NameIndex], facts: Any = None) -> Optional[float]:
    """Share of the template's key facts that ``text`` restates (None: it has none); as
    the guardrails count them, products the answer only mentions in passing are not key."""
    keys = _key_facts(scan(template, names))
    subjects = {f"product:{p.product_id}" for p in getattr(facts, "products", ()) if p.product_id}
    if subjects:
        keys = {k: t for k, t in keys.items() if k[0] != "product" or k[1] in subjects}
    if not keys:
        return None
    return len(set(keys) & set(_key_facts(scan(text or "", names)))) / len(keys)


def evaluate(pairs: Sequence[Any], generator: Generator, names: Optional[NameIndex] = None,
             budget_s: float = GENEROUS_BUDGET_S, max_new_tokens: int = 64, progress: bool = False,
             label: str = "evaluating", keep_replies: int = 0) -> Dict[str, Any]:
    """The metrics above for ``generator`` on ``pairs``; ``keep_replies`` samples kept."""
    from tqdm.auto import tqdm

    guard = Guardrails(names)
    results = []
    for pair in tqdm(pairs, desc=label, unit="reply", disable=not progress, file=sys.stderr):
        rephraser = Rephraser(generator, names=names, guardrails=guard, enabled=True, budget_s=budget_s,
                              max_new_tokens=max_new_tokens, shop_name=pair.shop_name)
        served = rephraser.reply(pair.template, pair.facts, pair.profile_lines, pair.shopper_text)
        generation = served.generation
        raw = generation.text if generation is not None else ""
        facts, prompt = pair.prepared_facts(), pair.prompt()
        before = hallucinated(guard, raw, facts, prompt, pair.shopper_text)
        after = hallucinated(guard, raw, facts, prompt, pair.shopper_text) if served.path == GENERATED else []
        listed = split_list(pair.template)
        # what the shopper would read: for a list reply, the worded lead and the list as written
        composed = raw.strip() + "\n" + listed[1] if listed and raw.strip() else raw
        results.append({
            "kind": pair.kind, "path": served.path, "reason": served.reason,
            "why": sorted({v.split(":", 1)[0] for v in served.violations}),
            "hallucinated": bool(before), "hallucinations": before, "reached_shopper": bool(after),
            "coverage": coverage(composed, pair.template, names, pair.facts), "chars": len(raw), "intro": bool(listed),
            "new_tokens": generation.tokens if generation is not None else 0,
            "decode_tok_s": generation.decode_tok_s if generation is not None else None,
            "reply_s": served.seconds, "text": raw, "template": pair.template, "question": pair.shopper_text,
        })
    return summarize(results, keep_replies)


def summarize(results: List[Dict[str, Any]], keep_replies: int = 0) -> Dict[str, Any]:
    n = len(results)
    if not n:
        return {"replies": 0}

    def rate(flag) -> float:
        return round(sum(1 for r in results if flag(r)) / n, 3)

    covered = [r["coverage"] for r in results if r["coverage"] is not None]
    decode = [r["decode_tok_s"] for r in results if r["decode_tok_s"]]
    kinds = sorted({r["kind"] for r in results})
    why = Counter(kind for r in results for kind in r["why"])
    reached = sum(r["reached_shopper"] for r in results)
    return {
        "replies": n,
        "fallback_rate": rate(lambda r: r["path"] == FALLBACK),
        "guardrail_pass_rate": rate(lambda r: r["path"] == GENERATED),
        "hallucination_rate": rate(lambda r: r["hallucinated"]),
        "unsupported_reaching_shopper": reached,
        "unsupported_reaching_shopper_rate": round(reached / n, 3),
        "fact_coverage": round(statistics.mean(covered), 3) if covered else None,
        "mean_chars": round(statistics.mean(r["chars"] for r in results), 1),
        "mean_new_tokens": round(statistics.mean(r["new_tokens"] for r in results), 1),
        "decode_tok_s": round(statistics.median(decode), 2) if decode else None,
        "p50_reply_s": _round(_percentile([r["reply_s"] for r in results], 0.5)),
        "p95_reply_s": _round(_percentile([r["reply_s"] for r in results], 0.95)),
        "by_kind": {kind: {"replies": sum(r["kind"] == kind for r in results),
                           "fallback_rate": round(sum(r["kind"] == kind and r["path"] == FALLBACK for r in results)
                                                  / max(1, sum(r["kind"] == kind for r in results)), 3)}
                    for kind in kinds},
        "why": dict(why.most_common()),
        "samples": [{k: r[k] for k in ("kind", "question", "template", "text", "path", "why")}
                    for r in results[:keep_replies]],
    }


def _round(value: Optional[float]) -> Optional[float]:
    return None if value is None else round(value, 3)


def pick(pairs: Sequence[Any], limit: Optional[int]) -> List[Any]:
    """A deterministic spread of ``limit`` pairs over the whole held-out list (every kind)."""
    pairs = list(pairs)
    if not limit or limit >= len(pairs):
        return pairs
    step = len(pairs) / limit
    return [pairs[int(i * step)] for i in range(limit)]
