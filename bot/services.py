"""The action server's shared knowledge services, built once per process on first use.

The catalog, its knowledge graph and mention linker, the retrieval index and the shop
database are expensive to build (the index loads a transformer), so the action server
keeps one of each. Nothing heavy happens at import time: the action server must start
even if a model is missing, and answer honestly when a service cannot be built.
"""

import threading
from typing import Any, Callable, Dict, Optional

from bot import settings


class ShopServices:
    """Lazily built, process-wide catalog, graph, linker, retrieval index and database.

    Every attribute is built on first access and cached. Tests build their own
    ``ShopServices`` pointed at temporary files instead of the process-wide one.
    """

    def __init__(
        self,
        catalog_path: Optional[str] = None,
        faq_path: Optional[str] = None,
        database_url: Optional[str] = None,
        index_dir: Optional[str] = None,
    ) -> None:
        self.catalog_path = catalog_path
        self.faq_path = faq_path
        self.database_url = database_url
        self.index_dir = index_dir
        self._built: Dict[str, Any] = {}
        self._lock = threading.RLock()

    def _get(self, name: str, build: Callable[[], Any]) -> Any:
        with self._lock:
            if name not in self._built:
                self._built[name] = build()
            return self._built[name]

    @property
    def catalog(self):
        from bot.catalog import load_catalog

        return self._get("catalog", lambda: load_catalog(self.catalog_path or settings.catalog_path()))

    @property
    def faq(self):
        from bot.catalog import load_faq

        return self._get("faq", lambda: load_faq(self.faq_path or settings.faq_path()))

    @property
    def graph(self):
        from bot.graph.knowledge_graph import KnowledgeGraph

        return self._get("graph", lambda: KnowledgeGraph.from_catalog(self.catalog))

    @property
    def linker(self):
        from bot.graph.linking import MentionLinker

        return self._get("linker", lambda: MentionLinker(self.graph))

    @property
    def index(self):
        from bot.retrieval.index import KnowledgeIndex

        return self._get(
            "index",
            lambda: KnowledgeIndex.load_or_build(
                self.catalog, self.faq, cache_dir=self.index_dir, progress=False
            ),
        )

    @property
    def faq_answerer(self):
        from bot.retrieval.faq import FaqAnswerer

        return self._get("faq_answerer", lambda: FaqAnswerer(self.index))

    @property
    def db(self):
        from bot.shop.db import ShopDatabase

        return self._get("db", lambda: ShopDatabase(self.database_url))


    @property
    def search(self):
        """Product search over the catalog and graph (constraints, ranges, superlatives)."""
        from bot.recs.search import ProductSearch

        return self._get("search", lambda: ProductSearch(self.graph, linker=self.linker))

    @property
    def profiles(self):
        """Shopper profiles (consent-aware) on this shop's database and catalog."""
        from bot.profiles.service import ProfileService

        return self._get("profiles", lambda: ProfileService(self.db, self.catalog))

    @property
    def recommender(self):
        """The hybrid recommender, built from the shop's behaviour log at first use.

        ``SHOPBOT_RECS_LEARNED``: ``auto`` (default) trains the learned sequence model on the
        log once and caches it (``var/recs``), ``off`` leaves it out of the ranking.
        """
        import os

        from bot.profiles.events import load_events
        from bot.recs.recommender import Recommender

        def build():
            events = load_events(self.db)
            learned = "auto" if os.environ.get("SHOPBOT_RECS_LEARNED", "auto") != "off" else None
            return Recommender.build(self.graph, events, index=self.index, learned=learned,
                                     linker=self.linker, progress=False)

        return self._get("recommender", build)

    @property
    def rephraser(self):
        """The one rephraser of the process (``bot.generation.service.Rephraser``), built on
        first use; its model loads on the first reply that opts in (or at warm-up).

        Its guardrails know every product and brand of the catalog and every customer's
        name, so a reply naming anything else (another customer above all) falls back.
        ``SHOPBOT_GENERATION`` (default on) and ``SHOPBOT_GENERATION_BUDGET_S`` apply.
        """
        def build():
            from bot.generation.entities import NameIndex
            from bot.generation.service import Rephraser

            catalog = self.catalog
            names = NameIndex.from_catalog(catalog, people=self.customer_names())
            return Rephraser(names=names, shop_name=(catalog.shop or {}).get("name") or "our shop")

        return self._get("rephraser", build)

    def customer_names(self):
        """Every customer's full name (for the guardrails: a reply names nobody else)."""
        from sqlalchemy import select

        from bot.shop.schema import Customer

        with self.db.session() as session:
            return [name for (name,) in session.execute(select(Customer.name)).all() if name]

    def customer_name(self, customer_id):
        """A signed-in customer's own name (None when unknown)."""
        from bot.shop.schema import Customer

        if customer_id is None:
            return None
        with self.db.session() as session:
            customer = session.get(Customer, customer_id)
            return customer.name if customer is not None else None


_shared: Optional[ShopServices] = None
_shared_lock = threading.Lock()


def shared_services() -> ShopServices:
    """The action server's services, configured from ``bot.settings``."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = ShopServices()
        return _shared
