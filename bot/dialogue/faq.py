"""Store-policy answers from the FAQ: answer when retrieval is sure, otherwise say so.

The assistant never words a policy itself: a confident answer is the FAQ entry's own
answer, word for word. Below the retrieval threshold it says it is not sure, offers the
closest topics as buttons (``/faq{"faq_topic": id}``, which answer exactly) and a person.
"""

from typing import Any, List, Optional, Text

from bot.dialogue.replies import HANDOFF_BUTTON, Reply, button

NOT_SURE = "I'm not sure I have the right answer to that. Is it about one of these?"
NOT_SURE_NO_TOPICS = (
    "I'm not sure I have the right answer to that, and I'd rather not guess about our "
    "policies. Would you like to ask a person from our team?"
)
MAX_QUERY_CHARS = 1000


def faq_replies(answerer: Any, faq_entries: List[Any], text: Optional[Text], topic: Optional[Text] = None) -> List[Reply]:
    """Replies for a store question: ``topic`` (from a button) wins over the text."""
    if topic:
        entry = next((e for e in faq_entries if e.id == topic), None)
        if entry is not None:
            return [Reply(text=entry.answer)]
    query = (text or "").strip()[:MAX_QUERY_CHARS]
    if not query or query.startswith("/"):
        return [Reply(text=NOT_SURE_NO_TOPICS, buttons=[HANDOFF_BUTTON])]
    result = answerer.answer(query)
    if result.confident and result.entry is not None:
        return [Reply(text=result.entry.answer)]
    buttons = [button(e.title, "faq", faq_topic=e.id) for e in result.alternatives[:3]]
    if not buttons:
        return [Reply(text=NOT_SURE_NO_TOPICS, buttons=[HANDOFF_BUTTON])]
    return [Reply(text=NOT_SURE, buttons=buttons + [HANDOFF_BUTTON])]
