"""What the assistant says, as plain data: text, buttons and rich content for the widget.

Dialogue logic in ``bot/`` returns ``Reply`` objects and never touches rasa-sdk, so it
is testable without Rasa; an action turns each one into ``dispatcher.utter_message``.
Rich content travels as a custom payload (``{"type": "product_cards", ...}``) that the
web widget renders; every reply also has text, so ``rasa shell`` and the REST channel
still read well.

Generative wording is opt-in per reply, as Rasa Pro's rephraser is per response: a
``Reply`` carries the facts its text was built from (``bot.generation.facts.Facts``) and
``rephrase=True`` where the wording may change (product answers, recommendations, search
results, order status, some FAQ answers). Legal and order-critical texts (the returns
policy, privacy, hand-off, errors, questions with buttons) keep ``rephrase=False`` and are
sent verbatim. ``bot.dialogue.wording`` words the ones that opted in; every text reply then
carries how it was served (``served``: generated, fallback and why, template) into the bot
message's metadata (``{"shopbot": {"reply": ...}}``), where the tracker keeps it for the
staff console; the channels never pass it on to clients.
"""

from dataclasses import dataclass, field
from typing import Any, Dict, Iterable, List, Optional, Sequence, Text

HANDOFF_BUTTON = {"title": "Talk to a person", "payload": "/human_handoff"}

# How a reply was served (``Reply.served["path"]``), as ``bot.generation.service`` names them.
GENERATED = "generated"
FALLBACK = "fallback"
TEMPLATE = "template"
VERBATIM = "verbatim"  # the reason of a template reply that did not opt in to rewording
METADATA_KEY = "shopbot"  # the bot message's metadata key (the channels' server-set key, too)


@dataclass
class Reply:
    text: Text = ""
    buttons: List[Dict[Text, Text]] = field(default_factory=list)
    custom: Optional[Dict[Text, Any]] = None
    response: Optional[Text] = None  # a response from the domain instead of text
    # The facts the text was built from (a ``bot.generation.facts.Facts``; None: nothing
    # looked up): everything a reworded text may state.
    facts: Optional[Any] = None
    rephrase: bool = False  # may the generator word it for the shopper? (opt-in)
    # How it was served, once worded: {"path", "reason", "violations", "seconds"}
    served: Optional[Dict[Text, Any]] = None

    def record(self) -> Dict[Text, Any]:
        """How this reply was served, for the tracker: ``served``, or the template's own."""
        if self.served is not None:
            return dict(self.served)
        # not worded: generation is off (or the reply never went through the wording)
        return {"path": TEMPLATE, "reason": "off" if self.rephrase else VERBATIM, "violations": []}

    def dispatch_kwargs(self, rich: bool = True) -> Dict[Text, Any]:
        """Keyword arguments for ``CollectingDispatcher.utter_message``.

        ``rich=False`` leaves the custom payload out, for channels that would print it
        raw (``rasa shell``); the text already says the same.
        """
        kwargs: Dict[Text, Any] = {}
        if self.response:
            kwargs["response"] = self.response
        if self.text:
            kwargs["text"] = self.text
        if self.buttons:
            kwargs["buttons"] = list(self.buttons)
        if self.custom and (rich or not (self.text or self.response)):
            kwargs["json_message"] = self.custom
        if self.text and not self.response:
            # Rasa keeps unknown keys of a dispatched message as the bot message's metadata
            # (``create_bot_utterance``); the channels shape what clients see without it.
            kwargs[METADATA_KEY] = {"reply": self.record()}
        return kwargs


def product_facts(products: Iterable[Any], currency: Text = "USD",
                  reasons: Optional[Sequence[Optional[Text]]] = None, details: bool = False) -> Any:
    """The ``Facts`` of a reply about ``products``: exact names, prices, stock (and the
    recommender's reasons, and with ``details`` the attributes), as the catalog has them."""
    from bot.generation.facts import Facts, ProductFact

    facts = []
    for i, product in enumerate(products):
        reason = reasons[i] if reasons is not None and i < len(reasons) else None
        specs = []
        if details:
            specs = [(str(k).replace("_", " "), str(v)) for k, v in (getattr(product, "attributes", None) or {}).items()
                     if isinstance(v, (str, int, float)) and not isinstance(v, bool)]
        facts.append(ProductFact.from_product(product, currency=currency, reason=reason, details=specs))
    return Facts(products=tuple(facts), currency=currency)


def order_facts(views: Iterable[Any], today: Any = None) -> Any:
    """The ``Facts`` of a reply about the verified shopper's own orders."""
    from datetime import datetime

    from bot.generation.facts import Facts, OrderFact
    from bot.shop.timeutil import utcnow

    orders = tuple(OrderFact.from_view(view) for view in views)
    currency = orders[0].currency if orders else "USD"
    # the day the status was written for, as ``describe_status`` reads it ("arrives tomorrow")
    day = utcnow(today).date() if today is None or isinstance(today, datetime) else today
    return Facts(orders=orders, currency=currency, today=day)


def button(title: Text, intent: Text, **entities: Any) -> Dict[Text, Text]:
    """A button sending ``/intent{"entity": "value"}``: the choice skips NLU, exactly."""
    import json

    payload = f"/{intent}"
    if entities:
        payload += json.dumps(entities, separators=(",", ":"))
    return {"title": title, "payload": payload}


def money(amount: float, currency: Text = "USD") -> Text:
    symbol = {"USD": "$", "CAD": "CA$", "EUR": "€", "GBP": "£"}.get(currency, "")
    text = f"{amount:,.2f}"
    return f"{symbol}{text}" if symbol else f"{text} {currency}"


def stock_text(stock: int) -> Text:
    if stock <= 0:
        return "out of stock"
    if stock < 5:
        return f"only {stock} left"
    return "in stock"


def product_card(product: Any, currency: Text = "USD") -> Dict[Text, Any]:
    """The widget's product card: everything a shopper needs to decide to click."""
    return {
        "id": product.id,
        "name": product.display_name,
        "brand": getattr(product, "brand_name", product.brand),
        "category": product.category,
        "price": round(float(product.price), 2),
        "currency": currency,
        "price_text": money(product.price, currency),
        "rating": product.rating,
        "reviews": getattr(product, "reviews", None),
        "stock": int(product.stock),
        "stock_text": stock_text(int(product.stock)),
        "url": product.url,
        "image": product.image,
    }


def cards_payload(products: Iterable[Any], currency: Text = "USD") -> Dict[Text, Any]:
    return {"type": "product_cards", "products": [product_card(p, currency) for p in products]}


def one_line(product: Any, currency: Text = "USD") -> Text:
    """``Samsung Galaxy S24 — $799.00, 4.6★, in stock``: for text-only channels."""
    return f"{product.display_name} — {money(product.price, currency)}, {product.rating:.1f}★, {stock_text(int(product.stock))}"


def bullet_list(lines: Sequence[Text]) -> Text:
    return "\n".join(f"• {line}" for line in lines)


SOMETHING_WENT_WRONG = (
    "Sorry, something went wrong on my side while looking that up. Please try again in a "
    "moment, or talk to a person from our team."
)


# Input channels that show text only and print a custom payload as raw JSON.
TEXT_ONLY_CHANNELS = frozenset({"cmdline"})


def rich_channel(input_channel: Optional[Text]) -> bool:
    """Does this channel render custom payloads (product cards)? ``rasa shell`` does not."""
    return input_channel not in TEXT_ONLY_CHANNELS


def send(dispatcher: Any, replies: Iterable[Reply], rich: bool = True) -> None:
    """Utter each reply through a rasa-sdk ``CollectingDispatcher`` (or anything like it)."""
    for reply in replies:
        dispatcher.utter_message(**reply.dispatch_kwargs(rich))


def apology() -> Reply:
    return Reply(text=SOMETHING_WENT_WRONG, buttons=[HANDOFF_BUTTON])
