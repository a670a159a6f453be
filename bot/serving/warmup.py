"""Warm the action server's services before it says it is ready.

Without this, the first store question after a start paid for loading the encoder,
the FAISS index and the knowledge graph (about 16 s), and the first order question
for the database connection and the ORM's first queries (1.5 s), while run.sh had
already said the assistant was up. ``Warmup.run`` does all of that once, at start,
so the first shopper is answered as fast as the hundredth.

The knowledge parts (catalog, FAQ, graph, linker, index, encoder) are required: if
one fails, the server is not ready and ``/ready`` says which and why. The database is
warmed too, but it is a live dependency that can come and go (the actions apologize
while it is away), so a database that is down at start is reported, not fatal.
"""

import logging
import threading
import time
from typing import Any, Callable, Dict, List, Optional, Tuple

logger = logging.getLogger(__name__)

WARMING = "warming"
READY = "ready"
FAILED = "failed"


def _warm_encoder(services: Any) -> None:
    # The first query loads the transformer and runs its first forward pass.
    services.faq_answerer.answer("do you ship to canada?")
    services.index.search_products("wireless headphones")


def _warm_database(services: Any) -> None:
    """Connect, and run the order lookup's queries once (one real, read-only lookup)."""
    from sqlalchemy import select

    from bot.shop.orders import find_order_for_customer
    from bot.shop.schema import Customer, Order

    db = services.db
    with db.session() as session:
        row = session.execute(
            select(Order.id, Customer.email).join(Customer, Order.customer_id == Customer.id).limit(1)
        ).first()
    if row is not None:
        find_order_for_customer(db, row.id, row.email)


def freeze_warm_objects() -> None:
    """Keep the warm models out of the garbage collector's full collections (``gc.freeze``):
    their millions of long-lived objects otherwise make each one pause the server's loop
    (``SHOPBOT_GC_FREEZE=0``: Python's default)."""
    import gc
    import os

    if os.environ.get("SHOPBOT_GC_FREEZE", "1") != "0":
        gc.collect()
        gc.freeze()


def default_steps() -> List[Tuple[str, bool, Callable[[Any], Any]]]:
    """(name, required, step) in order; each step builds or touches one service."""
    return [
        ("catalog", True, lambda s: s.catalog),
        ("faq", True, lambda s: s.faq),
        ("graph", True, lambda s: s.graph),
        ("linker", True, lambda s: s.linker),
        ("index", True, lambda s: s.index),
        ("encoder", True, _warm_encoder),
        ("database", False, _warm_database),
        # product search and the recommender (its sources read the behaviour log, and the
        # learned model is trained once per log and cached): not required, the database
        # may come later; the actions apologize until then
        ("search", True, lambda s: s.search),
        ("recommender", False, lambda s: s.recommender),
    ]


class Warmup:
    """Runs the warm-up steps once and remembers what happened, for ``/ready``."""

    def __init__(self, services_factory: Optional[Callable[[], Any]] = None,
                 steps: Optional[List[Tuple[str, bool, Callable[[Any], Any]]]] = None) -> None:
        self._services_factory = services_factory
        self.steps = steps if steps is not None else default_steps()
        self.state = WARMING
        self.seconds: Dict[str, float] = {}
        self.problems: Dict[str, str] = {}  # step -> short reason (no secrets, no traces)
        self._started = False
        self._lock = threading.Lock()

    def services(self) -> Any:
        if self._services_factory is not None:
            return self._services_factory()
        from bot.services import shared_services

        return shared_services()

    def run(self) -> None:
        """All steps, in order; never raises (the reasons go to the log and ``problems``)."""
        started = time.perf_counter()
        required_failed = False
        try:
            services = self.services()
        except Exception as error:  # noqa: BLE001 - reported by /ready
            logger.exception("the action server's services could not be created")
            self.problems["services"] = f"{type(error).__name__}"
            self.state = FAILED
            return
        for name, required, step in self.steps:
            if required_failed and required:
                continue
            t0 = time.perf_counter()
            try:
                step(services)
            except Exception as error:  # noqa: BLE001 - reported by /ready
                logger.exception("warm-up step %r failed", name)
                self.problems[name] = f"{type(error).__name__}: {str(error)[:200]}" if required \
                    else f"unavailable ({type(error).__name__})"
                required_failed = required_failed or required
                continue
            self.seconds[name] = round(time.perf_counter() - t0, 3)
        freeze_warm_objects()
        self.state = FAILED if required_failed else READY
        logger.info("action server warm-up %s in %.1f s: %s%s", self.state, time.perf_counter() - started,
                    self.seconds, f"; problems: {self.problems}" if self.problems else "")

    def start(self) -> None:
        """Run in a background thread (once), so /health and /ready answer meanwhile."""
        with self._lock:
            if self._started:
                return
            self._started = True
        threading.Thread(target=self.run, name="shopbot-warmup", daemon=True).start()

    def report(self) -> Tuple[int, Dict[str, Any]]:
        """(HTTP status, body) for ``/ready``: 200 only when every required part is warm."""
        body: Dict[str, Any] = {"ready": self.state == READY, "state": self.state, "seconds": dict(self.seconds)}
        if self.problems:
            body["problems"] = dict(self.problems)
        return (200 if self.state == READY else 503), body
