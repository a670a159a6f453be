""""I like Brooks, under $150": what a shopper states about their taste, remembered at once.

The NLU finds the brands, categories and budgets (entities, or the text itself through
the catalog's own names); this module decides for each whether it is liked or disliked
("not a fan of Fitbit", "no Lenovo please", "anything but Apple"), hands each statement to
the profile service (kept across sessions for a signed-in customer who allows
personalization, for the conversation otherwise) and confirms back in one sentence what
was understood, so a misunderstanding is visible at once.
"""

import re
from dataclasses import dataclass
from typing import Any, List, Mapping, Optional, Sequence, Text, Tuple

from bot.budget import parse_budgets
from bot.dialogue.replies import Reply

# A negative cue before a mention, in the same clause, makes it a dislike.
_NEGATIVE = re.compile(
    r"\b(?:don'?t|do not|doesn'?t|never|not|no|hate|hates|dislike|dislikes|avoid|without|anything but|except|"
    r"can'?t stand|sick of|tired of|stay away from|nothing from|none of)\b", re.IGNORECASE)
_CLAUSE_BREAK = re.compile(r"[,.;!?]|\b(?:but|though|however|while|whereas)\b|\band (?=i\b|i'm\b|i'd\b)", re.IGNORECASE)
# "Hoka over Brooks": the second is only less preferred, neither liked nor disliked
_LESSER = re.compile(r"\b(?:over|rather than|instead of|more than)\s+(?:the\s+)?$", re.IGNORECASE)
# "no Lenovo please", "Apple? no thanks": a negative cue right after the mention
_NEGATIVE_AFTER = re.compile(r"^\s*(?:\w+\s+)?(?:no thanks|please no|is a no|not for me|isn'?t for me)\b", re.IGNORECASE)


@dataclass
class Statement:
    """One preference as the profile service takes it."""

    kind: Text  # brand | category | budget
    value: Text = ""
    polarity: Text = "like"
    category: Optional[Text] = None
    amount_min: Optional[float] = None
    amount_max: Optional[float] = None


def _polarity(text: Text, start: int, end: int) -> Text:
    before = text[:start]
    if _LESSER.search(before):
        return "neutral"
    breaks = list(_CLAUSE_BREAK.finditer(before))
    clause = before[breaks[-1].end():] if breaks else before
    if _NEGATIVE.search(clause) or _NEGATIVE_AFTER.match(text[end:]):
        return "dislike"
    return "like"


def _mentions(text: Text, entities: Sequence[Mapping[Text, Any]], kind: Text, graph: Any) -> List[Tuple[Text, int, int]]:
    """(catalog id, start, end) of each brand or category named, from entities or the text."""
    found: List[Tuple[Text, int, int]] = []
    lookup = graph.brand_id if kind == "brand" else graph.category_id
    for entity in entities or ():
        if entity.get("entity") != kind or not isinstance(entity.get("value"), str):
            continue
        ident = lookup(entity["value"])
        if ident and ident not in {f[0] for f in found}:
            start = entity.get("start")
            end = entity.get("end")
            if not isinstance(start, int) or not isinstance(end, int):
                match = re.search(re.escape(entity["value"]), text, re.IGNORECASE)
                start, end = (match.start(), match.end()) if match else (len(text), len(text))
            found.append((ident, start, end))
    if found:
        return found
    # no entity (a payload, or NLU missed it): the catalog's own names in the text
    catalog = graph.catalog
    items = catalog.brands if kind == "brand" else catalog.categories
    for item in items:
        names = [item.name] + list(getattr(item, "aliases", []) or getattr(item, "synonyms", []) or [])
        if kind == "category":
            names.append(getattr(item, "singular", ""))
        for name in sorted({n for n in names if n and len(n) > 2}, key=len, reverse=True):
            match = re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text, re.IGNORECASE)
            if match:
                found.append((item.id, match.start(), match.end()))
                break
    return found


def read_statements(text: Optional[Text], entities: Sequence[Mapping[Text, Any]], graph: Any) -> List[Statement]:
    """Every brand, category and budget the message states, each liked or disliked."""
    text = text or ""
    statements: List[Statement] = []
    categories = _mentions(text, entities, "category", graph)
    for ident, start, end in _mentions(text, entities, "brand", graph):
        polarity = _polarity(text, start, end)
        if polarity != "neutral":
            statements.append(Statement("brand", ident, polarity))
    budgets = parse_budgets(text)
    budget_category = categories[0][0] if len(categories) == 1 else None
    for ident, start, end in categories:
        polarity = _polarity(text, start, end)
        if polarity == "dislike" or (polarity == "like" and not budgets):
            statements.append(Statement("category", ident, polarity))
    for budget in budgets[:1]:
        if budget.minimum is None and budget.maximum is None:
            continue
        statements.append(Statement("budget", "", "like", budget_category, budget.minimum, budget.maximum))
    return statements


def state_preferences(profiles: Any, graph: Any, text: Optional[Text], entities: Sequence[Mapping[Text, Any]],
                      customer_id: Optional[int], conversation_id: Text, remembered: bool) -> Reply:
    """Remember every statement in the message and say what was understood."""
    from bot.profiles.service import PreferenceError

    said: List[Text] = []
    problems: List[Text] = []
    for statement in read_statements(text, entities, graph):
        try:
            preference = profiles.state_preference(
                statement.kind, statement.value, statement.polarity, customer_id=customer_id,
                conversation_id=conversation_id, category=statement.category,
                amount_min=statement.amount_min, amount_max=statement.amount_max)
        except PreferenceError as error:
            problems.append(str(error))
            continue
        said.append(profiles.describe_preference(preference))
    if not said:
        return Reply(text=(
            "Thanks for telling me! I didn't catch a brand, a kind of product or a budget in that, "
            "which is what I can remember. You could say, for example, “I like Brooks”, "
            "“no Lenovo please” or “my budget is under $150 for running shoes”."))
    where = ("I'll remember that next time too." if remembered
             else "I'll keep that in mind for this conversation.")
    return Reply(text=f"Got it: {'; '.join(said)}. {where} Ask me for recommendations any time.")
