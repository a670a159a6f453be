"""The staff console: sign-in, conversation review, live takeover, analytics.

``add_staff_routes(blueprint, channel)`` mounts it under ``/staff`` on the web channel's
blueprint (see ``bot.web.channel``); ``python -m bot.web.cli`` manages users and exports.
"""

from typing import Any


def add_staff_routes(blueprint: Any, channel: Any = None, console: Any = None) -> Any:
    """Register the console's routes; imported lazily so the channel loads without jinja/matplotlib cost."""
    from bot.web.staff.routes import add_staff_routes as add

    return add(blueprint, channel, console)


__all__ = ["add_staff_routes"]
