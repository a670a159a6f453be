"""What to say when the assistant did not understand: the likeliest intents as buttons."""

from typing import Any, Dict, List, Optional, Sequence, Text

# Button titles a shopper understands, per intent. An intent missing here is never
# offered (greet, affirm and friends make no sense as a "did you mean").
INTENT_TITLES: Dict[Text, Text] = {
    "faq": "A question about shipping, returns or payment",
    "order_status": "Where is my order?",
    "return_request": "Return an item",
    "complaint": "Something went wrong",
    "human_handoff": "Talk to a person",
    "product_info": "A question about a product",
    "compare_products": "Compare products",
    "product_compatibility": "Does it work with my device?",
    "recommend": "Recommend me something",
    "inform_preference": "Tell you what I like",
    "privacy_request": "My personal data",
    "bot_challenge": "Am I talking to a bot?",
}

DID_YOU_MEAN = "Sorry, I didn't quite get that. Did you mean one of these?"


def rephrase_buttons(
    intent_ranking: Optional[Sequence[Dict[Text, Any]]],
    max_options: int = 3,
    min_confidence: float = 0.1,
) -> List[Dict[Text, Text]]:
    """Buttons for the likeliest understandable intents, best first.

    Intents below ``min_confidence`` are left out: a list of guesses the model
    itself doesn't believe helps nobody. A "Talk to a person" button is always
    last, so a shopper who is stuck is never stuck for long.
    """
    buttons: List[Dict[Text, Text]] = []
    for entry in intent_ranking or []:
        name = entry.get("name")
        if name not in INTENT_TITLES or name == "human_handoff":
            continue
        if float(entry.get("confidence") or 0.0) < min_confidence:
            continue
        buttons.append({"title": INTENT_TITLES[name], "payload": f"/{name}"})
        if len(buttons) == max_options:
            break
    if buttons:
        buttons.append({"title": INTENT_TITLES["human_handoff"], "payload": "/human_handoff"})
    return buttons
