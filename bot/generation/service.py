"""The rephraser: a generated reply when it is safe and in time, else the template.

``Rephraser.reply(template_text, facts, profile_summary, shopper_text)`` returns a
``Served``: the text to send and the path that produced it, for the tracker and the
staff console:

- ``generated``: the model's wording passed every guardrail within the budget;
- ``fallback``: it was tried and the template was sent instead, with why: the guardrail
  violations, ``timeout`` (past the budget, or the model still loading), ``truncated``
  (cut off at the token limit, mid-sentence), ``busy`` (every generation slot taken: on a
  small machine under load the template goes out at once rather than after a wait) or
  ``error``;
- ``template``: generation was not tried (switched off, or nothing to reword).

It never raises: any exception is a fallback to the template. It never waits past the
budget either: the generation runs in a worker thread with a deadline, and a call that
is still running when the budget is spent is left to stop at its deadline while the
template is sent.

Settings:

| variable | default | what |
| --- | --- | --- |
| ``SHOPBOT_GENERATION`` | ``on`` | words opted-in replies with the generator (the fine-tuned model, when its adapter is present); ``off`` sends every template as written |
| ``SHOPBOT_GENERATION_CONCURRENCY`` | 1 | generations at once; one more reply finds the template at once (``busy``), so generating never takes more than this many cores from serving |
| ``SHOPBOT_GENERATION_BUDGET_S`` | 2.0 | seconds a reply may take (generation and checks) before the template is sent |
| ``SHOPBOT_GENERATION_RATE`` | 0.2 | replies worded per second at most, on average (a token bucket holding ``SHOPBOT_GENERATION_BURST``, default 3): past it a reply gets its template at once (``busy``), so under heavy traffic generating takes a bounded share of the CPU and serving keeps its latency; ``0``: no limit |

and the runtime's (``bot.generation.runtime``).
"""

import logging
import os
import threading
import time
from dataclasses import dataclass, field, replace
from typing import Callable, Optional, Sequence, Tuple

from bot.generation.entities import NameIndex
from bot.generation.facts import Facts, checkable_entities
from bot.generation.guardrails import Guardrails, Verdict
from bot.generation.prompt import build_prompt, split_list
from bot.generation.runtime import DEADLINE, LENGTH, Generation, GenerationSettings, Generator, load_generator

logger = logging.getLogger(__name__)

GENERATED = "generated"
FALLBACK = "fallback"
TEMPLATE = "template"

TIMEOUT = "timeout"
ERROR = "error"
GUARDRAILS = "guardrails"
TRUNCATED = "truncated"
BUSY = "busy"

DEFAULT_BUDGET_S = 2.0
DEFAULT_CONCURRENCY = 1
INTRO_MAX_TOKENS = 40  # a list's lead is one short sentence
DEFAULT_RATE = 0.2  # worded replies per second (BENCHMARKS.md, "Load": serving cost with generation on)
DEFAULT_BURST = 3.0
CHECK_RESERVE_S = 0.05  # of the budget, kept for the guardrail check after generating


def generation_enabled() -> bool:
    """``SHOPBOT_GENERATION``: on unless ``off``/``0``/``false``/``no``."""
    return (os.environ.get("SHOPBOT_GENERATION") or "on").strip().lower() not in ("off", "0", "false", "no")


def generation_concurrency() -> int:
    """``SHOPBOT_GENERATION_CONCURRENCY``: generations at once (default 1)."""
    try:
        return max(1, int(os.environ.get("SHOPBOT_GENERATION_CONCURRENCY") or DEFAULT_CONCURRENCY))
    except ValueError:
        return DEFAULT_CONCURRENCY


def _env_float(name: str, default: float) -> float:
    try:
        return max(0.0, float(os.environ.get(name) or default))
    except ValueError:
        return default


class RateLimit:
    """A token bucket: ``rate`` takes per second on average, ``burst`` at once (rate 0: no
    limit). Why: each generation costs about a core-second on a small machine, so the
    generator's share of the CPU must be bounded by traffic, not only by the slots."""

    def __init__(self, rate: float, burst: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.burst, self._clock = rate, max(1.0, burst), clock
        self._tokens, self._at = self.burst, clock()
        self._lock = threading.Lock()

    def take(self) -> bool:
        if self.rate <= 0:
            return True
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
            self._at = now
            if self._tokens < 1.0:
                return False
            self._tokens -= 1.0
            return True


def generation_rate() -> RateLimit:
    """``SHOPBOT_GENERATION_RATE`` (default 0.2/s) and ``SHOPBOT_GENERATION_BURST`` (3)."""
    return RateLimit(_env_float("SHOPBOT_GENERATION_RATE", DEFAULT_RATE), _env_float("SHOPBOT_GENERATION_BURST", DEFAULT_BURST))


def generation_budget() -> float:
    try:
        return max(0.0, float(os.environ.get("SHOPBOT_GENERATION_BUDGET_S") or DEFAULT_BUDGET_S))
    except ValueError:
        return DEFAULT_BUDGET_S


@dataclass(frozen=True)
class Served:
    text: str
    path: str                      # GENERATED, FALLBACK or TEMPLATE
    reason: str = ""               # why not generated: "guardrails", "timeout", "error", "off", ...
    violations: Tuple[str, ...] = ()  # the guardrails' reasons, for the console
    seconds: float = 0.0
    generation: Optional[Generation] = None

    @property
    def detail(self) -> str:
        """One line for logs and the console: the path, why, and the violations."""
        text = self.path + (f" ({self.reason})" if self.reason else "")
        return text + ("; " + "; ".join(self.violations) if self.violations else "")


@dataclass
class _Call:
    done: threading.Event = field(default_factory=threading.Event)
    generation: Optional[Generation] = None
    error: Optional[BaseException] = None


class Rephraser:
    """Words replies for a shopper with a generator, behind the guardrails.

    ``generator`` may be given (tests, benchmarks) or is loaded on first use from the
    settings (``loader``); ``names`` lets the guardrails recognise the shop's product,
    brand and customer names (``NameIndex.from_catalog(catalog, people=...)``).
    """

    def __init__(self, generator: Optional[Generator] = None, names: Optional[NameIndex] = None,
                 guardrails: Optional[Guardrails] = None, enabled: Optional[bool] = None,
                 budget_s: Optional[float] = None, max_new_tokens: Optional[int] = None,
                 shop_name: str = "our shop",
                 loader: Optional[Callable[[], Generator]] = None, rate: Optional[RateLimit] = None) -> None:
        self._generator = generator
        self._loader = loader or (lambda: load_generator(progress=False))
        self._load_lock = threading.Lock()
        # generations running at once, the stopped-late ones included: a reply that finds
        # them all taken goes out as its template at once instead of queueing behind them
        self._slots = threading.BoundedSemaphore(generation_concurrency())
        # and at most so many per second on average: past it, the template at once
        self._rate = rate if rate is not None else (generation_rate() if generator is None else RateLimit(0, 1))
        self._load_error: Optional[BaseException] = None
        self.guardrails = guardrails or Guardrails(names)
        self.enabled = generation_enabled() if enabled is None else enabled
        self.budget_s = generation_budget() if budget_s is None else budget_s
        self.max_new_tokens = max_new_tokens or GenerationSettings.from_env().max_new_tokens
        self.shop_name = shop_name

    # ------------------------------------------------------------------ the model
    def generator(self) -> Generator:
        """The generator, loaded once (raises what loading raised, every time after)."""
        if self._generator is not None:
            return self._generator
        with self._load_lock:
            if self._generator is None:
                if self._load_error is not None:
                    raise self._load_error
                try:
                    self._generator = self._loader()
                except BaseException as error:  # noqa: BLE001 - remembered, reported as fallback
                    self._load_error = error
                    raise
        return self._generator

    def warm(self) -> bool:
        """Load the model now (a server's warm-up); False when it cannot be loaded."""
        try:
            self.generator()
        except Exception:  # noqa: BLE001
            logger.exception("the generator could not be loaded; replies use their templates")
            return False
        return True

    # ------------------------------------------------------------------ replies
    def reply(self, template_text: str, facts: Optional[Facts] = None, profile_summary: Sequence[str] = (),
              shopper_text: str = "") -> Served:
        """The reply to send for ``template_text``: generated if safe and in time, else the
        template. Never raises."""
        started = time.perf_counter()
        try:
            return self._reply(template_text, facts, profile_summary, shopper_text, started)
        except Exception as error:  # noqa: BLE001 - a reply must always go out
            logger.warning("rephrasing failed (%s); sending the template", type(error).__name__)
            return Served(template_text, FALLBACK, ERROR, (f"{type(error).__name__}: {error}",),
                          time.perf_counter() - started)

    def _reply(self, template_text: str, facts: Optional[Facts], profile_summary: Sequence[str],
               shopper_text: str, started: float) -> Served:
        if not self.enabled:
            return Served(template_text, TEMPLATE, "off")
        if not (template_text or "").strip():
            return Served(template_text, TEMPLATE, "nothing to reword")
        facts = (facts or Facts()).with_answer(template_text)
        if facts.shop_name is None and self.shop_name:
            facts = replace(facts, shop_name=self.shop_name)
        if profile_summary:
            facts = facts.with_profile(profile_summary)
        prompt = build_prompt(template_text, facts, facts.profile_lines, shopper_text or "", self.shop_name)

        if not self._rate.take():
            return Served(template_text, FALLBACK, BUSY, ("over the generation rate (SHOPBOT_GENERATION_RATE)",),
                          time.perf_counter() - started)
        if not self._slots.acquire(blocking=False):
            return Served(template_text, FALLBACK, BUSY, ("the generator is wording another reply",),
                          time.perf_counter() - started)
        call = _Call()
        budget = self.budget_s
        listed = split_list(template_text) if prompt.intro else None
        max_new_tokens = min(self.max_new_tokens, INTRO_MAX_TOKENS) if listed else self.max_new_tokens
        worker = threading.Thread(target=self._run, args=(call, prompt, budget - CHECK_RESERVE_S, max_new_tokens),
                                  name="rephraser", daemon=True)
        worker.start()
        finished = call.done.wait(timeout=max(0.0, budget - (time.perf_counter() - started)))
        elapsed = time.perf_counter() - started
        if not finished:
            still_loading = self._generator is None
            why = "the model is still loading" if still_loading else f"no reply within {budget:.1f} s"
            return Served(template_text, FALLBACK, TIMEOUT, (why,), elapsed)
        if call.error is not None:
            error = call.error
            return Served(template_text, FALLBACK, ERROR, (f"{type(error).__name__}: {error}",), elapsed)
        generation = call.generation
        if generation is None or generation.finish_reason == DEADLINE:
            return Served(template_text, FALLBACK, TIMEOUT, (f"generation stopped at the {budget:.1f} s budget",),
                          elapsed, generation)
        if generation.finish_reason == LENGTH:
            # cut off at the token limit: half a sentence ("It comes with weight 700 g and")
            # reads as broken even when every fact in it is right
            return Served(template_text, FALLBACK, TRUNCATED,
                          (f"cut off at the {max_new_tokens}-token limit",), elapsed, generation)
        verdict: Verdict = self.guardrails.check(
            generation.text, facts, shopper_text=shopper_text or "", prompt_texts=prompt.instructions,
            markers=prompt.markers, entities=checkable_entities(facts, self.guardrails.names),
            intro=listed is not None)
        elapsed = time.perf_counter() - started
        if not verdict.ok:
            return Served(template_text, FALLBACK, GUARDRAILS, tuple(verdict.reasons), elapsed, generation)
        if elapsed > budget:
            return Served(template_text, FALLBACK, TIMEOUT, (f"{elapsed:.2f} s, over the {budget:.1f} s budget",),
                          elapsed, generation)
        # a list reply: the worded lead, then the list exactly as the template has it
        text = generation.text.strip() + "\n" + listed[1] if listed else generation.text
        return Served(text, GENERATED, "", (), elapsed, generation)

    def _run(self, call: _Call, prompt, deadline_s: float, max_new_tokens: int) -> None:
        try:
            started = time.perf_counter()
            generator = self.generator()
            left = deadline_s - (time.perf_counter() - started)
            call.generation = generator.generate(prompt, max_new_tokens, deadline_s=max(0.0, left))
        except BaseException as error:  # noqa: BLE001 - handed to the caller as a fallback
            call.error = error
        finally:
            self._slots.release()
            call.done.set()
