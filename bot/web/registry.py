"""One process-wide place to find the live web channel.

Rasa creates input channels from credentials.yml itself; the staff console's routes
need the channel instance (its socket.io server) to push an agent's message to a
shopper, so the channel registers itself here when Rasa builds its blueprint.
"""

from typing import Any, Optional

_channel: Optional[Any] = None


def register_channel(channel: Any) -> None:
    """Remember the live channel (the last one built wins: one Rasa server, one channel)."""
    global _channel
    _channel = channel


def get_channel() -> Optional[Any]:
    """The live ``ShopSocketIOInput``, or None when the server runs without it."""
    return _channel
