"""The Rasa server's part of "delete my data": the shopper's conversation history.

A confirmed deletion is recorded by the action server as an erasure request in the shop
database (``bot.privacy.requests``): only this process reaches Rasa's tracker store. It
completes it here:

- **right after the turn that asked**: both channels call ``after_turn`` once Rasa has
  handled a message, i.e. the turn's events are saved, the agent's lock on the
  conversation is released and the reply ("Done. I've deleted ...") has gone out. For a
  REST caller it happens before the HTTP answer returns;
- **by a sweep** every ``SHOPBOT_PRIVACY_SWEEP_SECONDS`` (15) for requests older than
  ``SHOPBOT_PRIVACY_GRACE_SECONDS`` (10): those of channels without the hook, of
  ``rasa shell`` in another process on the same stores, or of a restart in between.

Completing one: every conversation of the customer (user messages carrying their id,
``conversations_of_customer``) and the one it was asked in, each deleted under the
agent's lock for that conversation, so a turn in flight is never cut in half and never
writes the deleted events back; their feedback and product clicks (``WebStore``) and
anonymous session profiles go with them; the request is marked done with the counts.
"""

import asyncio
import functools
import logging
import os
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Dict, Optional, Text

from bot.privacy.requests import Erasure, finish_erasure, forget_session_profiles, pending_erasures

logger = logging.getLogger(__name__)

DEFAULT_SWEEP_SECONDS = 15.0
DEFAULT_GRACE_SECONDS = 10.0
# How long a turn waits for the look-up of its own erasure request: a shop database that
# hangs (a cut network path) must not hold up the reply; the sweep takes the request then.
LOOKUP_TIMEOUT_SECONDS = 3.0


def _seconds(name: str, default: float) -> float:
    try:
        value = float(os.environ.get(name) or default)
    except ValueError:
        return default
    return value if value > 0 else default


def sweep_seconds() -> float:
    return _seconds("SHOPBOT_PRIVACY_SWEEP_SECONDS", DEFAULT_SWEEP_SECONDS)


def grace_seconds() -> float:
    return _seconds("SHOPBOT_PRIVACY_GRACE_SECONDS", DEFAULT_GRACE_SECONDS)


_db: Optional[Any] = None


def shop_db() -> Any:
    """The shop database on the web side's shared engine."""
    global _db
    if _db is None:
        from bot.web.store import ShopTables

        _db = ShopTables()
    return _db


async def _in_thread(call: Callable[..., Any], *args: Any) -> Any:
    """Blocking database work off the event loop that serves every shopper."""
    return await asyncio.get_running_loop().run_in_executor(None, functools.partial(call, *args))


def _agent_of(app: Any) -> Any:
    agent = getattr(getattr(app, "ctx", None), "agent", None)
    return agent if getattr(agent, "tracker_store", None) is not None else None


async def complete(agent: Any, erasure: Erasure) -> Dict[Text, int]:
    """Erase the conversations of one request; returns what went, per kind."""
    from bot.web.store import get_store
    from bot.web.tracker_store import conversations_of_customer, delete_conversation_events

    store = agent.tracker_store
    conversations = {erasure.conversation_id}
    if erasure.customer_id is not None:
        conversations.update(await _in_thread(conversations_of_customer, store, erasure.customer_id))
    events = 0
    for conversation in sorted(conversations):
        async with agent.lock_store.lock(conversation):
            deleted = await delete_conversation_events(store, conversation)
        if deleted is None:
            logger.warning("the tracker store cannot delete conversations; an erasure stays incomplete")
            raise RuntimeError("the configured tracker store cannot delete conversations")
        events += deleted
    web = await _in_thread(get_store().forget_conversations, conversations)
    sessions = await _in_thread(forget_session_profiles, shop_db(), conversations)
    result = {"conversations": len(conversations), "events": events, **web, "session_profiles": sessions}
    await _in_thread(finish_erasure, shop_db(), erasure.id, result)
    logger.info("erasure %s done: %s", erasure.id, result)
    return result


async def complete_pending(agent: Any, conversation_id: Optional[Text] = None,
                           grace: Optional[float] = None, lookup_timeout: Optional[float] = None) -> int:
    """Complete the pending requests (of one conversation, or all older than ``grace`` seconds)."""
    if agent is None:
        return 0
    before = None
    if grace:
        before = datetime.now(timezone.utc).replace(tzinfo=None) - timedelta(seconds=grace)
    lookup = _in_thread(pending_erasures, shop_db(), conversation_id, before)
    pending = await (asyncio.wait_for(lookup, lookup_timeout) if lookup_timeout else lookup)
    done = 0
    for erasure in pending:
        try:
            await complete(agent, erasure)
            done += 1
        except Exception:  # noqa: BLE001 - kept pending: the sweep tries again
            logger.exception("completing erasure request %s failed", erasure.id)
    return done


async def after_turn(app: Any, conversation_id: Text) -> None:
    """What the channels call once a message is handled: erase now if this turn asked to."""
    try:
        await complete_pending(_agent_of(app), conversation_id, lookup_timeout=LOOKUP_TIMEOUT_SECONDS)
    except asyncio.TimeoutError:
        logger.warning("the shop database did not answer in time after a turn; the erasure sweep will look")
    except Exception:  # noqa: BLE001 - the shopper already has the reply; the sweep retries
        logger.exception("looking for an erasure after a turn failed")


async def sweep(app: Any, interval: Optional[float] = None) -> None:
    """Complete requests left behind, for as long as the server runs."""
    while True:
        try:
            await complete_pending(_agent_of(app), grace=grace_seconds())
        except Exception:  # noqa: BLE001 - a database away for a while: try again later
            logger.exception("the erasure sweep failed")
        await asyncio.sleep(interval or sweep_seconds())


def add_erasure_sweep(bp: Any) -> None:
    """Run ``sweep`` while the server runs (listeners on the web app's blueprint)."""

    @bp.listener("after_server_start")
    async def start_sweep(app: Any, loop: Any) -> None:
        app.ctx.erasure_sweep = loop.create_task(sweep(app))

    @bp.listener("before_server_stop")
    async def stop_sweep(app: Any, loop: Any) -> None:
        task = getattr(app.ctx, "erasure_sweep", None)
        if task is not None:
            task.cancel()
