"""Answer a shopper's question from the FAQ, or admit we're not sure.

``FaqAnswerer.answer`` retrieves the closest FAQ entries (``KnowledgeIndex.search_faq``)
and is *confident* only when the best entry's cosine similarity reaches the
threshold and leads the runner-up by at least ``margin``. Otherwise it returns the
top three entries as alternatives, for an "I'm not sure — did you mean one of
these?" reply with buttons (and the offer of a person).

The default threshold, 0.48 (``DEFAULT_THRESHOLD``), is calibrated on data, on the
prototype scores of ``KnowledgeIndex.search_faq``: the held-out paraphrases'
``examples`` (in scope, 187) against its ``out_of_scope`` list (30 questions no FAQ
entry answers) in benchmarks/data/faq_heldout.yml. The rule
(``benchmarks/faq_eval.py:pick_threshold``) takes the lowest threshold that rejects
at least 95% of out-of-scope questions, because answering an unrelated question
with a policy is the worse mistake while "did you mean" still reaches the right
entry (its recall@3 is 1.00). At 0.48 out-of-scope rejection is 0.97 (29/30),
7.5% of in-scope questions go to "did you mean" and 3.2% are answered confidently
but wrongly; a 2-fold cross-validation of the rule (threshold picked on one half,
measured on the other) gives 0.97 / 0.11 / 0.03, so the numbers are not just fitted.
Set ``SHOPBOT_FAQ_THRESHOLD`` to trade the two (higher = more cautious).

The margin rule is off by default (``DEFAULT_MARGIN = 0.0``): on the same data a
margin of 0.01-0.05 removes one to three of the six confident wrong answers and
costs two to nineteen right ones (benchmarks/results/faq_eval.json, margin_sweep).
"""

import logging
import os
from dataclasses import dataclass, field
from typing import Any, List, Optional, Text

from bot.retrieval.embedder import clean_text

logger = logging.getLogger(__name__)

DEFAULT_THRESHOLD = 0.48
DEFAULT_MARGIN = 0.0
THRESHOLD_ENV = "SHOPBOT_FAQ_THRESHOLD"
ALTERNATIVES = 3


def default_threshold() -> float:
    """``SHOPBOT_FAQ_THRESHOLD`` when set to a number in [0, 1], else the calibrated value."""
    raw = os.environ.get(THRESHOLD_ENV, "").strip()
    if raw:
        try:
            value = float(raw)
            if 0.0 <= value <= 1.0:
                return value
        except ValueError:
            pass
        logger.warning("Ignoring %s=%r: not a number between 0 and 1", THRESHOLD_ENV, raw)
    return DEFAULT_THRESHOLD


@dataclass(frozen=True)
class FaqAnswer:
    confident: bool
    entry: Optional[Any]  # bot.catalog.FaqEntry when confident, else None
    alternatives: List[Any] = field(default_factory=list)  # best first; empty when confident
    score: float = 0.0  # the best entry's similarity (0.0 when nothing matched)
    best: Optional[Any] = None  # the best entry even when not confident (for logging)


class FaqAnswerer:
    """Thresholded FAQ answering on top of a ``KnowledgeIndex``."""

    def __init__(self, index: Any, threshold: Optional[float] = None,
                 margin: float = DEFAULT_MARGIN, alternatives: int = ALTERNATIVES) -> None:
        self.index = index
        self.threshold = default_threshold() if threshold is None else float(threshold)
        self.margin = float(margin)
        self.alternatives = alternatives

    def answer(self, text: Text) -> FaqAnswer:
        """The FAQ entry that answers ``text``, or alternatives when unsure. Never raises
        on odd input: empty, huge, non-English or hostile text just isn't confident."""
        text = clean_text(text)
        if not text:
            return FaqAnswer(confident=False, entry=None)
        hits = self.index.search_faq(text, k=max(self.alternatives, 2))
        if not hits:
            return FaqAnswer(confident=False, entry=None)
        top = hits[0]
        runner_up = hits[1].score if len(hits) > 1 else -1.0
        if top.score >= self.threshold and top.score - runner_up >= self.margin:
            return FaqAnswer(confident=True, entry=top.entry, score=top.score, best=top.entry)
        return FaqAnswer(confident=False, entry=None,
                         alternatives=[h.entry for h in hits[: self.alternatives]],
                         score=top.score, best=top.entry)
