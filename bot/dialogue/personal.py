"""Recommendations and product search as the shopper reads them.

The facts come from ``bot.recs`` (which products, why, exact prices and stock from the
catalog) and the shopper from ``bot.profiles`` (through one consent-aware service). This
module only turns them into replies: a short lead, one line per product with its reason,
and product cards that carry the reason and the source, so the widget can show why and
the staff console can count clicks per source.

Without consent, or for an anonymous shopper, the profile is the session's own (what
was said in this conversation), so the same request gives the same recommendations as
for anyone else.
"""

from typing import Any, Dict, List, Mapping, Optional, Sequence, Text

from bot.dialogue.products import ProductTurn
from bot.dialogue.replies import Reply, bullet_list, money, one_line, product_card, product_facts

MAX_RECOMMENDATIONS = 4
MAX_SEARCH_RESULTS = 5


def profile_view(profile: Any, category: Optional[Text] = None) -> Any:
    """The recommender's view of a ``bot.profiles`` profile (None: an anonymous shopper)."""
    from bot.recs.profile import Interaction, ProfileView

    if profile is None:
        return ProfileView()
    band = getattr(profile, "price_band", None)
    recent = [Interaction(pid, None, "view") for pid in getattr(profile, "recent_views", ())]
    recent += [Interaction(pid, None, "favourite") for pid in getattr(profile, "favourites", ())]
    return ProfileView(
        customer_id=profile.customer_id,
        owned=[Interaction(o.product_id, o.since, "purchase") for o in profile.owned],
        recent=recent,
        category_affinity={k: v for k, v in profile.category_affinity.items() if v > 0},
        brand_affinity={k: v for k, v in profile.brand_affinity.items() if v > 0},
        price_band=(band.low, band.high) if band else None,
        liked_brands=profile.liked("brand"),
        disliked_brands=profile.disliked("brand"),
        disliked_categories=profile.disliked("category"),
        budget=profile.budget(category),
    )


def profile_used(profile: Any, catalog: Any, signed_in: bool) -> Dict[Text, Any]:
    """What the staff console shows of the profile a turn used (names only, no personal data)."""
    if profile is None:
        return {"personalized": False, "consent": False, "signed_in": signed_in, "top_categories": [],
                "top_brands": [], "price_band": None, "owned": 0, "preferences": [], "source": "none"}

    def top(table: Mapping[Text, float], lookup: Any) -> List[Text]:
        ranked = sorted(((v, k) for k, v in table.items() if v > 0), reverse=True)[:3]
        names = []
        for _, key in ranked:
            item = lookup(key)
            names.append(item.name if item is not None else key)
        return names

    currency = (getattr(catalog, "shop", None) or {}).get("currency", "USD")
    band = profile.price_band
    return {
        "personalized": bool(profile.personalized),
        "consent": bool(profile.consent),
        "signed_in": signed_in,
        "top_categories": top(profile.category_affinity, catalog.category),
        "top_brands": top(profile.brand_affinity, catalog.brand),
        "price_band": f"{money(band.low, currency)}–{money(band.high, currency)}" if band else None,
        "owned": len(profile.owned),
        "preferences": [_preference_text(p, catalog, currency) for p in profile.preferences],
        "source": "profile" if profile.personalized else "session",
    }


def _preference_text(preference: Any, catalog: Any, currency: Text) -> Text:
    what = preference.value
    if preference.kind == "brand":
        brand = catalog.brand(what)
        what = brand.name if brand else what
    elif preference.kind == "category":
        category = catalog.category(what)
        what = category.name.lower() if category else what
    elif preference.kind == "budget":
        low, high = preference.amount_min, preference.amount_max
        what = ("budget " + (f"{money(low, currency)}–{money(high, currency)}" if low is not None and high is not None
                             else f"under {money(high, currency)}" if high is not None
                             else f"over {money(low, currency)}" if low is not None else "any"))
        return what
    verb = "likes" if preference.polarity == "like" else "dislikes"
    return f"{verb} {what}"


def _card(product: Any, currency: Text, source: Optional[Text] = None, reason: Optional[Text] = None) -> Dict[Text, Any]:
    card = product_card(product, currency)
    if source:
        card["source"] = source
    if reason:
        card["reason"] = reason
    return card


def recommend_turn(services: Any, profile: Any, text: Optional[Text],
                   entities: Sequence[Mapping[Text, Any]] = (), k: int = MAX_RECOMMENDATIONS) -> ProductTurn:
    """Products for this shopper and this request, each with a one-line reason."""
    catalog = services.catalog
    currency = catalog.shop.get("currency", "USD")
    request_category = next((e.get("value") for e in entities or () if e.get("entity") == "category"), None)
    view = profile_view(profile, services.graph.category_id(request_category) if request_category else None)
    out = services.recommender.recommend(view, text=text, entities=list(entities or ()), k=k)
    if not out.items:
        return ProductTurn([Reply(text=(
            "I couldn't find anything in stock that fits all of that. Could you loosen one thing, "
            "for example the budget or the brand?"))])
    request = out.request
    if request is not None and request.gift and request.recipient:
        lead = f"Some ideas for your {request.recipient}:"
    elif out.cold:
        lead = "Here are popular picks:" if not view.budget else "Here are popular picks within your budget:"
    else:
        lead = "Picked for you:"
    lines = [f"{one_line(item.product, currency)} — {item.reason}" for item in out.items]
    custom = {
        "type": "product_cards",
        "products": [_card(item.product, currency, item.source, item.reason) for item in out.items],
        "recommendations": [{"product_id": item.product.id, "source": item.source, "reason": item.reason}
                            for item in out.items],
    }
    facts = product_facts([item.product for item in out.items], currency, [item.reason for item in out.items])
    return ProductTurn([Reply(text=lead + "\n" + bullet_list(lines), custom=custom, facts=facts, rephrase=True)],
                       focus=[item.product.id for item in out.items])


def search_turn(services: Any, text: Optional[Text], entities: Sequence[Mapping[Text, Any]] = (),
                limit: int = MAX_SEARCH_RESULTS) -> Optional[ProductTurn]:
    """Products matching the message's constraints, with exact prices and stock.

    None when the message states no constraint at all (no category, brand, price,
    attribute or superlative): the caller recommends instead.
    """
    result = services.search.search(text=text, entities=list(entities or ()), limit=limit)
    query = result.query
    if not query.has_constraints:
        return None
    currency = result.currency
    described = result.describe()
    if not result.found:
        reply = f"I found nothing matching: {described[:1].lower() + described[1:]}."
        if query.ignored:
            reply += " (No product here has " + ", ".join(query.ignored) + ".)"
        return ProductTurn([Reply(text=reply + " Would you like me to widen the search?")])
    products = result.products
    lines = [one_line(p, currency) for p in products]
    if query.superlative is not None:
        best = products[0]
        value = _superlative_value(best, query.superlative, services.catalog, currency)
        lead = f"The {query.superlative.word} {_noun(result, services.catalog)} is the {best.display_name}{value}: " \
               f"{money(best.price, currency)}, {_stock(best)}."
        if len(products) > 1:
            lead += "\nNext:\n" + bullet_list(lines[1:])
        text_out = lead
    else:
        more = f" (showing {len(products)} of {result.total})" if result.total > len(products) else ""
        text_out = f"{described}{more}:\n" + bullet_list(lines)
    if query.ignored:
        text_out += "\n(No product here has " + ", ".join(query.ignored) + ", so I left that out.)"
    custom = {"type": "product_cards", "products": [_card(p, currency) for p in products]}
    reply = Reply(text=text_out, custom=custom, facts=product_facts(products, currency), rephrase=True)
    return ProductTurn([reply], focus=[p.id for p in products])


def _noun(result: Any, catalog: Any) -> Text:
    """"laptop" in "the cheapest laptop is ..." (the category's singular when there is one)."""
    category = catalog.category(result.query.category) if result.query.category else None
    name = (getattr(category, "singular", "") or category.name) if category is not None else "product"
    return name[:1].lower() + name[1:]


def _stock(product: Any) -> Text:
    from bot.dialogue.replies import stock_text

    return stock_text(int(product.stock))


def _superlative_value(product: Any, superlative: Any, catalog: Any, currency: Text) -> Text:
    """" (1.2 kg)" for an attribute superlative; nothing for price (said anyway)."""
    if superlative.is_field:
        if superlative.key == "rating":
            return f" ({product.rating:.1f}★)"
        return ""
    value = (getattr(product, "attributes", None) or {}).get(superlative.key)
    if value is None:
        return ""
    spec = (getattr(catalog, "attributes", None) or {}).get(superlative.key)
    unit = f" {spec.unit}" if spec is not None and getattr(spec, "unit", None) else ""
    return f" ({value:g}{unit})" if isinstance(value, (int, float)) and not isinstance(value, bool) else f" ({value})"
