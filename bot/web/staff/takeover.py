"""Live takeover: a person pauses the bot, talks to the shopper, and hands back.

Everything goes through the Rasa agent's own tracker store (``app.ctx.agent``), under the
agent's lock for that conversation, so the events land in order with the bot's own:
``ConversationPaused`` (Rasa stops predicting; the shopper's messages are still logged),
each agent message as ``BotUttered`` with metadata ``{"from": "agent", "agent": name}``,
then ``ConversationResumed``. Rasa 3.6's tracker store ``retrieve``/``save`` are async.
"""

from typing import Any, Optional

from rasa.shared.core.events import BotUttered, ConversationPaused, ConversationResumed, Event


async def append_event(agent: Any, sender_id: str, event: Event) -> None:
    store = agent.tracker_store
    lock_store = getattr(agent, "lock_store", None)
    if lock_store is not None:
        async with lock_store.lock(sender_id):
            await _append(store, sender_id, event)
    else:
        await _append(store, sender_id, event)


async def _append(store: Any, sender_id: str, event: Event) -> None:
    tracker = await store.retrieve(sender_id)
    if tracker is None:
        tracker = await store.get_or_create_tracker(sender_id, append_action_listen=False)
    tracker.update(event)
    await store.save(tracker)


async def pause(agent: Any, sender_id: str) -> None:
    await append_event(agent, sender_id, ConversationPaused())


async def resume(agent: Any, sender_id: str) -> None:
    await append_event(agent, sender_id, ConversationResumed())


async def agent_message(agent: Any, channel: Optional[Any], sender_id: str, text: str,
                        agent_name: str) -> bool:
    """Log the agent's message in the tracker and push it to the shopper; True if delivered live."""
    await append_event(agent, sender_id, BotUttered(text, metadata={"from": "agent", "agent": agent_name}))
    if channel is None or not hasattr(channel, "push_agent_message"):
        return False
    result = await channel.push_agent_message(sender_id, text, agent_name)
    return bool(result)
