"""Analytics: the numbers and the PNG charts (``bot.web.staff.charts``), from the
conversations and the web front's feedback and product clicks (``bot.web.store``), and
the recommendations' click-through per source (``bot.web.recommendations``)."""

import logging
from typing import Any, Dict, Optional, Tuple

from sanic import response
from sanic.request import Request

from bot.web.recommendations import ClickThrough, click_through
from bot.web.staff import charts
from bot.web.staff.console import StaffConsole, render

logger = logging.getLogger(__name__)


def web_numbers(console: StaffConsole) -> Tuple[Dict[str, Dict[str, int]], Optional[int]]:
    """(feedback counts per conversation, product clicks or None when they can't be read)."""
    try:
        return console.web.feedback_counts(), console.web.click_count()
    except Exception:  # noqa: BLE001 - analytics show "not tracked" rather than fail
        logger.exception("the web front's feedback and clicks could not be read")
        return {}, None


def recommendation_numbers(console: StaffConsole, request: Request) -> Optional[ClickThrough]:
    """Impressions, clicks and click-through per source, or None when they can't be read."""
    try:
        return click_through(console.reader(request).events, console.web)
    except Exception:  # noqa: BLE001 - as above
        logger.exception("the recommendations' click-through could not be computed")
        return None


def register(bp: Any, console: StaffConsole) -> None:
    @bp.route("/staff/analytics", methods=["GET"], name="staff_analytics")
    @console.page()
    async def analytics(request: Request) -> Any:
        feedback, clicks = web_numbers(console)
        numbers = charts.metrics(console.reader(request).summaries(), feedback, clicks or 0)
        return render(request, "analytics.html", charts=charts.CHARTS, numbers=numbers,
                      clicks_tracked=clicks is not None, recommendations=recommendation_numbers(console, request))

    @bp.route("/staff/analytics/<filename:str>", methods=["GET"], name="staff_chart")
    @console.api()
    async def chart(request: Request, filename: str) -> Any:
        name = filename[:-4] if filename.endswith(".png") else ""
        if name not in charts.CHARTS:
            return response.json({"error": "no such chart"}, status=404)
        feedback, clicks = web_numbers(console)
        through = recommendation_numbers(console, request) if name == "clicks" else None
        png = charts.render(name, console.reader(request).summaries(), feedback, clicks or 0, through)
        return response.raw(png, content_type="image/png",
                            headers={"Cache-Control": f"private, max-age={int(charts.CACHE_SECONDS)}"})
