"""Store-policy answers from the FAQ: answer when retrieval is sure, otherwise say so.

The assistant never words a policy itself: a confident answer is the FAQ entry's own
answer, word for word. Only the entries in ``REPHRASABLE`` (practical information:
shipping times, tracking, support hours, sizing) may be worded for the shopper by the
generator (``Reply.rephrase``); returns, refunds, warranty, payment terms, prices and
privacy stay verbatim. Below the retrieval threshold it says it is not sure, offers the
closest topics as buttons (``/faq{"faq_topic": id}``, which answer exactly) and a person.
"""

from typing import Any, List, Optional, Text

from bot.dialogue.replies import HANDOFF_BUTTON, Reply, button

# FAQ entries whose answer the generator may word (their facts: the answer itself).
REPHRASABLE = frozenset({
    "shipping_time", "express_shipping", "shipping_countries", "international_shipping", "order_tracking",
    "order_number", "order_confirmation_email", "receipt_invoice", "support_hours", "contact_support",
    "store_pickup", "running_shoe_sizing", "product_availability", "assistant_capabilities",
})

NOT_SURE = "I'm not sure I have the right answer to that. Is it about one of these?"
NOT_SURE_NO_TOPICS = (
    "I'm not sure I have the right answer to that, and I'd rather not guess about our "
    "policies. Would you like to ask a person from our team?"
)
MAX_QUERY_CHARS = 1000


def answer_reply(entry: Any) -> Reply:
    """An FAQ entry's answer; worded for the shopper only when the entry is ``REPHRASABLE``."""
    from bot.generation.facts import Facts

    return Reply(text=entry.answer, facts=Facts(), rephrase=entry.id in REPHRASABLE)


def faq_replies(answerer: Any, faq_entries: List[Any], text: Optional[Text], topic: Optional[Text] = None) -> List[Reply]:
    """Replies for a store question: ``topic`` (from a button) wins over the text."""
    if topic:
        entry = next((e for e in faq_entries if e.id == topic), None)
        if entry is not None:
            return [answer_reply(entry)]
    query = (text or "").strip()[:MAX_QUERY_CHARS]
    if not query or query.startswith("/"):
        return [Reply(text=NOT_SURE_NO_TOPICS, buttons=[HANDOFF_BUTTON])]
    result = answerer.answer(query)
    if result.confident and result.entry is not None:
        return [answer_reply(result.entry)]
    buttons = [button(e.title, "faq", faq_topic=e.id) for e in result.alternatives[:3]]
    if not buttons:
        return [Reply(text=NOT_SURE_NO_TOPICS, buttons=[HANDOFF_BUTTON])]
    return [Reply(text=NOT_SURE, buttons=buttons + [HANDOFF_BUTTON])]
