"""The building block of the demo tables: one ``Item`` per product, written by hand.

An item holds only facts (brand, real model name, price, typed attributes, a
hand-written pitch sentence, explicit successor links and what an accessory fits).
Ids, stock, ratings, descriptions and most relations are derived from these facts
by ``bot.catalog.demo_catalog``, so the tables stay readable and the output stays
consistent (a case is accessory_of exactly the phones it lists, and so on).
"""

from dataclasses import dataclass, field
from typing import Any, Dict, Tuple


@dataclass(frozen=True)
class Item:
    key: str                      # internal, stable handle used by relations in the tables
    brand: str                    # brand id
    name: str                     # model name without the brand (unless the brand is part of it)
    price: float
    pitch: str                    # one hand-written sentence: what makes this product itself
    attrs: Dict[str, Any] = field(default_factory=dict)
    aliases: Tuple[str, ...] = ()
    successor_of: Tuple[str, ...] = ()
    fits: Tuple[str, ...] = ()    # keys of the products this accessory is made for
    popularity: float = 1.0       # scales the review count
    stock: Any = None             # None: drawn by the generator; a number: fixed (0 = sold out)


def P(key: str, brand: str, name: str, price: float, pitch: str, aliases=(), succ=(), fits=(),
      pop: float = 1.0, stock=None, **attrs: Any) -> Item:
    """Compact constructor for the tables: attributes as keyword arguments."""
    return Item(key=key, brand=brand, name=name, price=float(price), pitch=pitch, attrs=attrs,
                aliases=tuple(aliases), successor_of=tuple(succ), fits=tuple(fits), popularity=pop,
                stock=stock)
