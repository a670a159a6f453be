"""Words the replies that opted in for this shopper, and records how each was served.

A turn function builds its replies from what it looked up and marks which may be
reworded (``Reply.rephrase``, with ``Reply.facts``). Here, just before they are sent,
those replies go through the rephraser (``bot.generation.service.Rephraser``): the
generated wording when it passes the guardrails within the budget, else the template.
Every reply leaves with ``served`` (path, why, violations) for the tracker and the staff
console; replies that did not opt in are never touched.

Personalization follows consent: the profile summary reaches the prompt only for a
signed-in customer whose consent allows it (``ProfileService``); an anonymous shopper, or
one who switched personalization off, gets the same facts with no profile lines, and not
even their name. The shopper's own message goes in as data (the prompt quotes it, the
guardrails check nothing of it leaks as an instruction).

Blocking: the rephraser waits up to its budget for the model. ``word_replies_async`` runs
it (and the profile lookup) in a worker thread, so the action server's event loop keeps
serving other shoppers meanwhile.
"""

import asyncio
import functools
import logging
from dataclasses import replace
from typing import Any, Dict, List, Optional, Sequence, Text

from bot.dialogue.replies import FALLBACK, Reply

logger = logging.getLogger(__name__)

MAX_VIOLATIONS = 5  # recorded per reply: enough to see why, not a log


def served_record(served: Any) -> Dict[Text, Any]:
    """The tracker's record of a ``Served``: path, why, the guardrails' reasons, seconds.

    The reasons quote what the model said; the tracker store keeps this record as it is
    (it is the server's own metadata), so any e-mail, phone or card number in them is
    replaced here (``bot.privacy.redaction``).
    """
    from bot.privacy.redaction import redact_text

    return {
        "path": served.path,
        "reason": served.reason or "",
        "violations": [redact_text(str(v)[:200]) for v in served.violations[:MAX_VIOLATIONS]],
        "seconds": round(float(served.seconds or 0.0), 3),
    }


def profile_lines(profiles: Any, customer_id: Optional[int], conversation_id: Optional[Text]) -> List[Text]:
    """The profile summary a reply may use: a signed-in customer's, with consent; else none.

    The session-only profile of an anonymous shopper is not used either: the same
    question gets the same words for every anonymous shopper.
    """
    if customer_id is None or profiles is None:
        return []
    profile = profiles.get(customer_id=customer_id, conversation_id=conversation_id)
    if not (getattr(profile, "personalized", False) and getattr(profile, "consent", False)):
        return []
    lines = profiles.summary(profile).get("lines") or []
    return [line for line in lines if line and not line.startswith("Personalization is")]


def needs_wording(replies: Sequence[Reply]) -> bool:
    return any(reply.rephrase and reply.text and not reply.response for reply in replies)


def word_replies(replies: Sequence[Reply], rephraser: Any, lines: Sequence[Text] = (),
                 shopper_text: Text = "", shopper_name: Optional[Text] = None) -> List[Reply]:
    """``replies`` with the opted-in ones worded by ``rephraser`` (each with ``served``).

    Never raises: a reply whose rewording fails in any way keeps its template text.
    """
    out: List[Reply] = []
    for reply in replies:
        if not (reply.rephrase and reply.text and not reply.response):
            out.append(reply)
            continue
        facts = reply.facts
        try:
            if shopper_name and facts is not None and getattr(facts, "shopper_name", None) is None:
                facts = replace(facts, shopper_name=shopper_name)
            served = rephraser.reply(reply.text, facts, list(lines), shopper_text or "")
            out.append(replace(reply, text=served.text, served=served_record(served)))
        except Exception as error:  # noqa: BLE001 - the template always goes out
            logger.warning("wording a reply failed (%s); sending the template", type(error).__name__)
            out.append(replace(reply, served={"path": FALLBACK, "reason": "error",
                                              "violations": [type(error).__name__], "seconds": 0.0}))
    return out


def word_for_shopper(replies: Sequence[Reply], rephraser: Any, profiles: Any, customer_id: Optional[int],
                     conversation_id: Optional[Text], shopper_text: Text = "",
                     shopper_name: Optional[Text] = None) -> List[Reply]:
    """The replies worded for this shopper: the profile (with consent) looked up only when
    some reply opted in and generation is on."""
    replies = list(replies)
    if not needs_wording(replies):
        return replies
    lines: List[Text] = []
    name = None
    if getattr(rephraser, "enabled", True):
        try:
            lines = profile_lines(profiles, customer_id, conversation_id)
        except Exception:  # noqa: BLE001 - no profile is still a reply
            logger.exception("the profile could not be read for wording; using none")
            lines = []
        name = shopper_name if lines else None  # the name is personal data too: with consent only
    return word_replies(replies, rephraser, lines, shopper_text, name)


async def word_replies_async(replies: Sequence[Reply], rephraser: Any, profiles: Any,
                             customer_id: Optional[int], conversation_id: Optional[Text],
                             shopper_text: Text = "", shopper_name: Optional[Text] = None) -> List[Reply]:
    """``word_for_shopper`` in a worker thread: the event loop is never blocked by the model."""
    replies = list(replies)
    if not needs_wording(replies):
        return replies
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(None, functools.partial(
        word_for_shopper, replies, rephraser, profiles, customer_id, conversation_id, shopper_text, shopper_name))
