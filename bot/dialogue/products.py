"""Product answers from the knowledge graph: details, comparisons and compatibility.

Every number a shopper sees (price, stock, rating, specs) is read from the catalog, never
generated. A mention that could be several products gets a clarifying question with one
button per candidate; a name the catalog doesn't know gets an honest "not found" and the
closest products by meaning.
"""

import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence, Text

from bot.dialogue.attributes import answer, attribute_words, join_words
from bot.dialogue.focus import Focus, rank, ranking_text, resolve
from bot.dialogue.replies import (
    Reply,
    bullet_list,
    button,
    cards_payload,
    one_line,
    product_facts,
)

MAX_CARDS = 4
MAX_COMPARE_ROWS = 8
COMPARE_WORDS = re.compile(r"(?i)\b(?:compare|comparison|vs|versus|against|difference)")
SEARCH_MIN_SCORE = 0.47  # product-search similarity below which a "closest match" is noise (measured on made-up names)


@dataclass
class ProductTurn:
    """What a product action says, and which products the conversation is now about."""

    replies: List[Reply] = field(default_factory=list)
    focus: Optional[List[Text]] = None  # new value for the products_in_focus slot


def is_button_payload(text: Optional[Text]) -> bool:
    return bool(text) and text.lstrip().startswith("/")


@dataclass
class Mentions:
    resolved: List[Text]
    ambiguous: List[Any]
    unknown: List[Text]
    categories: List[Text]
    brands: List[Text]


def read_mentions(services: Any, text: Optional[Text], chosen: Sequence[Text] = ()) -> Mentions:
    """Products, categories, ambiguous and unknown names in a message (+ button choices)."""
    resolved: List[Text] = []
    ambiguous: List[Any] = []
    unknown: List[Text] = []
    categories: List[Text] = []
    brands: List[Text] = []
    catalog = services.catalog
    if text and not is_button_payload(text):
        resolved, ambiguous, unknown = services.linker.products_in(text)
        for mention in services.linker.link(text):
            if mention.kind == "category" and mention.resolved:
                categories.append(mention.resolved.split(":", 1)[-1])
            elif mention.kind == "brand" and mention.resolved:
                brands.append(mention.resolved)
    for pid in chosen:
        if pid and catalog.product(pid) is not None and pid not in resolved:
            resolved.append(pid)
    # A choice made with a button settles the mention it was offered for.
    if chosen:
        ambiguous = [m for m in ambiguous if not any(c in {x.split(":", 1)[-1] for x, _ in m.candidates} for c in chosen)]
    return Mentions(list(dict.fromkeys(resolved)), ambiguous, unknown, list(dict.fromkeys(categories)), brands)


def _product_id(node_or_id: Text) -> Text:
    return node_or_id.split(":", 1)[1] if node_or_id.startswith("product:") else node_or_id


def clarify(services: Any, mention: Any, intent: Text) -> Reply:
    options = services.linker.clarifying_options(mention, limit=5)
    buttons = [button(name, intent, product_id=_product_id(pid)) for pid, name in options]
    return Reply(text=f"Which one do you mean by “{mention.text}”?", buttons=buttons)


def not_found(services: Any, name: Optional[Text], text: Text) -> List[Reply]:
    """An unknown product name: say so, then the closest catalog products by meaning."""
    currency = services.catalog.shop.get("currency", "USD")
    lead = f"I couldn't find “{name}” in our catalog." if name else "Here's what I found in our catalog."
    hits = []
    try:
        hits = [h for h in services.index.search_products(text, k=MAX_CARDS) if h.score >= SEARCH_MIN_SCORE]
    except Exception:  # retrieval unavailable: the honest "not found" still stands
        hits = []
    if not hits:
        return [Reply(text=lead + " Could you check the name, or tell me the brand and the kind of product?")]
    products = [h.product for h in hits]
    closest = " These are the closest things we carry:" if name else ""
    text_out = lead + closest + "\n" + bullet_list([one_line(p, currency) for p in products])
    return [Reply(text=text_out, custom=cards_payload(products, currency))]


def format_value(spec: Any, value: Any) -> Text:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value)
    unit = getattr(spec, "unit", None) if spec is not None else None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return f"{value} {unit}" if unit else str(value)


def details_text(product: Any, catalog: Any, max_specs: int = 6) -> Text:
    currency = catalog.shop.get("currency", "USD")
    lines = [one_line(product, currency)]
    if product.description:
        lines.append(product.description)
    specs = []
    for key, value in list(product.attributes.items())[:max_specs]:
        spec = catalog.attributes.get(key)
        label = spec.label if spec is not None else key.replace("_", " ")
        specs.append(f"{label}: {format_value(spec, value)}")
    if specs:
        lines.append(bullet_list(specs))
    return "\n".join(lines)


def _cards(products: Sequence[Any], catalog: Any) -> Dict[Text, Any]:
    return cards_payload(products, catalog.shop.get("currency", "USD"))


def _about(services: Any, text: Optional[Text], products: List[Any], focus: Focus, intent: Text) -> ProductTurn:
    """Answer a message about ``products`` (named, or resolved from the focus): the
    attribute it asks about, the one a comparative picks, a comparison or the details.
    ``focus`` is the focus to keep when the answer doesn't narrow it."""
    catalog = services.catalog
    words = attribute_words(catalog)
    ids = [p.id for p in products]
    text = None if is_button_payload(text) else text
    ordering = words.ordering(text, products) if len(products) >= 2 else None
    if ordering is not None and ordering.key:
        ranked = rank(products, ordering, catalog)
        questions = words.questions(text, products, skip=set(ordering.used))
        winners = ranked.winners if ordering.direction else []
        kept = focus.pick(winners[0].id) if len(winners) == 1 else focus
        if questions and winners:  # "does the cheaper one come in blue?"
            return ProductTurn([Reply(text=answer(winners, questions, catalog, text), custom=_cards(winners, catalog))],
                               focus=kept.slot())
        order = [p for p, _ in ranked.rows] + ranked.missing
        return ProductTurn([Reply(text=ranking_text(ranked, catalog), custom=_cards(order[:MAX_CARDS], catalog))],
                           focus=kept.slot())
    if ordering is not None:  # "which one is better?": it depends, here is how they differ
        return _comparison(services, ids, "That depends on what matters most to you.", focus)
    if intent == "compare_products" and len(products) >= 2 and text and COMPARE_WORDS.search(text):
        return _comparison(services, ids, None, focus)  # "compare the cameras of …": the whole table
    questions = words.questions(text, products)
    if questions:
        return ProductTurn([Reply(text=answer(products[:MAX_CARDS], questions, catalog, text),
                                  custom=_cards(products[:MAX_CARDS], catalog))], focus=focus.slot())
    if intent == "compare_products" and len(products) >= 2:
        return _comparison(services, ids, None, focus)
    if intent == "compare_products" and len(products) == 1 and text and COMPARE_WORDS.search(text):
        return _compare_with_what(services, products[0], focus)  # "compare the second one"
    currency = catalog.shop.get("currency", "USD")
    if len(products) == 1:
        return ProductTurn([Reply(text=details_text(products[0], catalog), custom=_cards(products, catalog),
                                  facts=product_facts(products, currency, details=True), rephrase=True)],
                           focus=focus.slot())
    shown = products[:MAX_CARDS]
    return ProductTurn([Reply(text="Here they are:\n" + bullet_list([one_line(p, currency) for p in shown]),
                              custom=_cards(shown, catalog), facts=product_facts(shown, currency), rephrase=True)],
                       focus=focus.slot())


def follow_up(services: Any, text: Optional[Text], focus_ids: Sequence[Text], intent: Text,
              mentions: Optional[Mentions] = None) -> Optional[ProductTurn]:
    """A message about the products in focus ("the second", "the cheaper one", "does it
    come in blue?"), answered; None when it isn't about them."""
    catalog = services.catalog
    focus = Focus.from_slot(focus_ids, catalog)
    if not focus.shown or not text or is_button_payload(text):
        return None
    ref = resolve(catalog, text, focus)
    if not ref.how or (mentions is not None and mentions.unknown and not ref.explicit):
        return None
    if ref.missing:
        names = [catalog.product(pid).display_name for pid in focus.shown]
        count = f"{len(names)} product{'s' if len(names) != 1 else ''}"
        return ProductTurn([Reply(
            text=f"I only showed {count} just now: {join_words(['the ' + n for n in names])}. Which one do you mean?",
            buttons=[button(catalog.product(pid).display_name, intent, product_id=pid) for pid in focus.shown],
        )])
    products = [catalog.product(pid) for pid in ref.ids]
    if ref.how in ("position", "other") and len(products) == 1:
        return _about(services, text, products, focus.pick(products[0].id), intent)
    if ref.how == "all":
        return _about(services, text, products, Focus(list(focus.shown)), intent)
    return _about(services, text, products, focus, intent)


def product_info_turn(services: Any, text: Optional[Text], chosen: Sequence[Text] = (), focus: Sequence[Text] = ()) -> ProductTurn:
    """Details of the product(s) a shopper asks about, or a clarifying question."""
    catalog = services.catalog
    mentions = read_mentions(services, text, chosen)
    if mentions.ambiguous and not mentions.resolved:
        return ProductTurn([clarify(services, mentions.ambiguous[0], "product_info")])
    ids = mentions.resolved
    if not ids:
        turn = follow_up(services, text, focus, "product_info", mentions)
        if turn is not None:
            return turn
    if not ids and mentions.unknown:
        return ProductTurn(not_found(services, mentions.unknown[0], text or ""))
    if not ids:
        if text and not is_button_payload(text):
            return ProductTurn(not_found(services, None, text))
        return ProductTurn([Reply(text="Which product would you like to know about?")])
    products = [p for p in (catalog.product(pid) for pid in ids[:MAX_CARDS]) if p is not None]
    before = Focus.from_slot(focus, catalog)
    if len(products) == 1:
        after = before.pick(products[0].id)
    else:
        after = Focus([p.id for p in products])
    return _about(services, text, products, after, "product_info")


def _comparison(services: Any, ids: Sequence[Text], lead: Optional[Text], focus: Focus) -> ProductTurn:
    catalog = services.catalog
    comparison = services.graph.compare(list(ids)[:4])
    products = comparison.products
    header = " vs ".join(p.display_name for p in products)
    rows = [row for row in comparison.rows][:MAX_COMPARE_ROWS]
    lines = [f"{row.label}: " + " | ".join(row.values) for row in rows]
    differing = sum(1 for row in comparison.rows if row.differs)
    summary = f"{header} — {differing} differences, listed first:" if differing else f"{header}:"
    if lead:
        summary = f"{lead} {summary}"
    custom = _cards(products, catalog)
    custom["comparison"] = [
        {"label": row.label, "values": list(row.values), "differs": bool(row.differs)} for row in comparison.rows
    ]
    shown = [p.id for p in products]
    kept = focus if set(focus.shown) == set(shown) else Focus(shown)
    return ProductTurn([Reply(text=summary + "\n" + bullet_list(lines), custom=custom)], focus=kept.slot())


def _compare_with_what(services: Any, product: Any, focus: Focus) -> ProductTurn:
    alternatives = services.graph.related(product.id, "similar_to")[:4]
    buttons = [button(p.display_name, "compare_products", product_id=p.id) for p in alternatives]
    return ProductTurn(
        [Reply(text=f"What would you like to compare the {product.display_name} with?", buttons=buttons)],
        focus=focus.slot(),
    )


def compare_turn(services: Any, text: Optional[Text], chosen: Sequence[Text] = (), focus: Sequence[Text] = ()) -> ProductTurn:
    """A side-by-side comparison, differences first; asks for whatever is missing.
    "which one is lighter?" about products named or in focus names the winner instead."""
    catalog = services.catalog
    current = Focus.from_slot(focus, catalog)
    mentions = read_mentions(services, text, chosen)
    ids = list(mentions.resolved)
    if not ids and not mentions.ambiguous:
        turn = follow_up(services, text, focus, "compare_products", mentions)
        if turn is not None:
            return turn
    if len(ids) == 1 and current.shown and not is_button_payload(text):
        ref = resolve(catalog, text, current)  # "compare the second one with the Pixel 7"
        if ref.how in ("position", "other"):
            ids = list(dict.fromkeys(ref.ids + ids))
    if is_button_payload(text) or (len(ids) == 1 and not mentions.ambiguous and not mentions.unknown):
        ids = list(dict.fromkeys(current.about + ids))  # "compare it with the X" / a button choice
    if mentions.ambiguous:
        return ProductTurn([clarify(services, mentions.ambiguous[0], "compare_products")], focus=ids)
    if mentions.unknown and len(ids) < 2:
        return ProductTurn(not_found(services, mentions.unknown[0], text or ""), focus=ids)
    if len(ids) < 2:
        if ids:
            return _compare_with_what(services, catalog.product(ids[0]), Focus(ids))
        return ProductTurn([Reply(text="Which products would you like me to compare? Name two or more, e.g. “compare the Pixel 8 and the Galaxy S24”.")])
    products = [catalog.product(pid) for pid in ids[:4]]
    return _about(services, text, products, Focus([p.id for p in products]), "compare_products")


def _related_ids(services: Any, pid: Text) -> set:
    return {p.id for p in services.graph.compatible(pid)} | {p.id for p in services.graph.accessories(pid)}


def works_together(services: Any, a: Text, b: Text) -> bool:
    return b in _related_ids(services, a) or a in _related_ids(services, b)


def _fits_list(services: Any, device: Any, fits: List[Any], what: Text, lead: Optional[Text] = None) -> ProductTurn:
    currency = services.catalog.shop.get("currency", "USD")
    fits = fits[:MAX_CARDS]
    text = (lead or f"These {what} work with the {device.display_name}:") + "\n" + bullet_list([one_line(p, currency) for p in fits])
    return ProductTurn([Reply(text=text, custom=cards_payload(fits, currency),
                              facts=product_facts([device] + list(fits), currency), rephrase=True)], focus=[device.id])


def compatibility_turn(
    services: Any,
    text: Optional[Text],
    chosen: Sequence[Text] = (),
    focus: Sequence[Text] = (),
    owned: Sequence[Text] = (),
) -> ProductTurn:
    """Does A work with B; what works with A; what fits the products a customer owns."""
    catalog = services.catalog
    currency = catalog.shop.get("currency", "USD")
    mentions = read_mentions(services, text, chosen)
    ids = list(mentions.resolved)
    current = Focus.from_slot(focus, catalog)
    if is_button_payload(text):
        ids = list(dict.fromkeys(current.about + ids))
    elif current.shown:
        ref = resolve(catalog, text, current)  # "does the second one work with the X?"
        if ref.how in ("position", "other") and not ref.missing:
            ids = list(dict.fromkeys(ref.ids + ids))
    brands = mentions.brands

    # "Galaxy S24 case", "chargers for the Pixel 8": the linker already knows what fits.
    targeted = [m for m in mentions.ambiguous if getattr(m, "target", None) and catalog.product(m.target)]
    if targeted and not ids:
        mention = targeted[0]
        device = catalog.product(mention.target)
        fits = [catalog.product(pid) for pid, _ in mention.candidates if catalog.product(pid) is not None]
        category = catalog.category(getattr(mention, "category", None) or "") or (catalog.category(fits[0].category) if fits else None)
        what = category.name.lower() if category else "products"
        branded = [p for p in fits if p.brand in brands]
        if brands and branded:
            brand = catalog.brand(branded[0].brand)
            lead = f"Yes — these {brand.name if brand else ''} {what} fit the {device.display_name}:".replace("  ", " ")
            return _fits_list(services, device, branded, what, lead)
        if brands:
            brand = catalog.brand(brands[0])
            name = brand.name if brand else brands[0]
            lead = f"I don't have {name} {what} listed for the {device.display_name}, but these fit it:"
            return _fits_list(services, device, fits, what, lead)
        return _fits_list(services, device, fits, what)

    # Other ambiguous names: the candidate that fits a product also named settles it.
    for mention in mentions.ambiguous:
        if mention in targeted:
            continue
        fitting = [pid for pid, _ in mention.candidates if any(works_together(services, pid, other) for other in ids)]
        if fitting:
            ids.insert(0, fitting[0])
        elif not mentions.categories:
            return ProductTurn([clarify(services, mention, "product_compatibility")], focus=ids)
    category = next((c for c in mentions.categories if all(catalog.product(i).category != c for i in ids)), None)

    if len(ids) >= 2:
        first = catalog.product(ids[0])
        others = [catalog.product(pid) for pid in ids[1:]]
        misfits = [p for p in others if not works_together(services, first.id, p.id)]
        if not misfits:
            names = " and the ".join(p.display_name for p in others)
            return ProductTurn([Reply(
                text=f"Yes — the {first.display_name} works with the {names}.",
                custom=cards_payload([first] + others, currency),
            )], focus=[first.id] + [p.id for p in others])
        other = misfits[0]
        # Not compatible: suggest what does fit the device, in the accessory's category.
        device, accessory = (other, first) if services.graph.compatible(other.id, category=first.category) else (first, other)
        fits = services.graph.compatible(device.id, category=accessory.category)[:MAX_CARDS]
        text_out = f"No — our catalog doesn't list the {accessory.display_name} as compatible with the {device.display_name}."
        if fits:
            text_out += " These do fit it:\n" + bullet_list([one_line(p, currency) for p in fits])
            return ProductTurn([Reply(text=text_out, custom=cards_payload(fits, currency))], focus=[first.id, other.id])
        return ProductTurn([Reply(text=text_out)], focus=[first.id, other.id])
    if not ids and mentions.unknown:
        return ProductTurn(not_found(services, mentions.unknown[0], text or ""))
    if not ids and owned:
        items = services.graph.for_owned(list(owned), category=category)[:MAX_CARDS]
        if items:
            return ProductTurn([Reply(
                text="These fit what you bought from us:\n" + bullet_list([one_line(p, currency) for p in items]),
                custom=cards_payload(items, currency), facts=product_facts(items, currency), rephrase=True,
            )])
    if not ids and current.shown:
        ids = current.about[:1]
    if not ids:
        return ProductTurn([Reply(text="Which device should I check? Tell me its name, e.g. “what chargers work with the Pixel 8?”.")])
    device = catalog.product(ids[0])
    fits = services.graph.compatible(device.id, category=category)
    if not fits:
        what = catalog.category(category).name.lower() if category and catalog.category(category) else "accessories"
        return ProductTurn([Reply(text=f"I don't have any {what} listed as compatible with the {device.display_name}.")], focus=[device.id])
    what = catalog.category(category).name.lower() if category and catalog.category(category) else "products"
    return _fits_list(services, device, fits, what)
