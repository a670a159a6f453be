"""Campaigns in the staff console: every campaign with each variant's customers shown,
click-through and conversion rates with 95% intervals and the probability it beats
control, a PNG chart, the e-mail export, activating or stopping a campaign, and creating
one from its JSON description (saved as a draft; admins only).

The numbers come from ``bot.campaigns.reporting`` on the shop database's campaign tables.
Writing a campaign's messages needs the generator, which the Rasa server never loads,
so the page shows the command that does it (``python -m bot.campaigns write <id>``) on the
action server's side. The export holds customers' e-mail addresses: admins only.
"""

import asyncio
import functools
import io
import logging
from typing import Any, Callable, List, Optional

from sanic import response
from sanic.request import Request

from bot.web.staff.console import StaffConsole, render

logger = logging.getLogger(__name__)

RATE_COLOURS = ("#4c72b0", "#dd8452")


def store_of(console: StaffConsole) -> Any:
    from bot.campaigns.store import CampaignStore

    return CampaignStore(console.shop_db)


async def _in_thread(call: Callable[..., Any], *args: Any) -> Any:
    """Database and chart work off the event loop that serves every shopper."""
    return await asyncio.get_running_loop().run_in_executor(None, functools.partial(call, *args))


def reports(console: StaffConsole) -> Optional[List[Any]]:
    """Every campaign's report, or None when the campaign tables can't be read."""
    from bot.campaigns.reporting import report

    try:
        store = store_of(console)
        return [report(store, campaign) for campaign in store.list()]
    except Exception:  # noqa: BLE001 - the page says so rather than failing
        logger.exception("the campaigns could not be read")
        return None


def chart_png(rep: Any) -> bytes:
    """Click-through and conversion rate per variant with their 95% Wilson intervals."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    names = [v.variant + (" (control)" if v.control else "") for v in rep.variants]
    figure = Figure(figsize=(6.0, 3.0), dpi=90)
    axes = figure.subplots()
    width = 0.38
    for k, (label, value, interval) in enumerate((("click-through", "ctr", "ctr_ci"),
                                                  ("conversion", "conversion_rate", "conversion_ci"))):
        xs = [i + (k - 0.5) * width for i in range(len(names))]
        values = [getattr(v, value) or 0.0 for v in rep.variants]
        lows = [max(0.0, val - getattr(v, interval)[0]) if getattr(v, value) is not None else 0.0
                for v, val in zip(rep.variants, values)]
        highs = [max(0.0, getattr(v, interval)[1] - val) if getattr(v, value) is not None else 0.0
                 for v, val in zip(rep.variants, values)]
        axes.bar(xs, [100 * x for x in values], width, yerr=[[100 * x for x in lows], [100 * x for x in highs]],
                 capsize=3, label=label, color=RATE_COLOURS[k])
    axes.set_xticks(range(len(names)))
    axes.set_xticklabels(names, fontsize=8)
    axes.set_ylabel("% of customers shown")
    axes.set_title(f"{rep.name}: rates with 95% intervals", fontsize=9)
    axes.legend(fontsize=7)
    figure.tight_layout()
    out = io.BytesIO()
    figure.savefig(out, format="png")
    return out.getvalue()


def register(bp: Any, console: StaffConsole) -> None:
    @bp.route("/staff/campaigns", methods=["GET"], name="staff_campaigns")
    @console.page()
    async def campaigns(request: Request) -> Any:
        found = await _in_thread(reports, console)
        return render(request, "campaigns.html", reports=found)

    @bp.route("/staff/campaigns/<campaign_id:str>/chart.png", methods=["GET"], name="staff_campaign_chart")
    @console.api()
    async def chart(request: Request, campaign_id: str) -> Any:
        from bot.campaigns.reporting import report

        def draw() -> Optional[bytes]:
            store = store_of(console)
            campaign = store.get(campaign_id)
            return chart_png(report(store, campaign)) if campaign else None

        png = await _in_thread(draw)
        if png is None:
            return response.json({"error": "no such campaign"}, status=404)
        return response.raw(png, content_type="image/png", headers={"Cache-Control": "private, max-age=10"})

    @bp.route("/staff/campaigns/<campaign_id:str>/export.csv", methods=["GET"], name="staff_campaign_csv")
    @console.page(role="admin")
    async def export_csv(request: Request, campaign_id: str) -> Any:
        return await export(campaign_id, "csv")

    @bp.route("/staff/campaigns/<campaign_id:str>/export.json", methods=["GET"], name="staff_campaign_json")
    @console.page(role="admin")
    async def export_json(request: Request, campaign_id: str) -> Any:
        return await export(campaign_id, "json")

    async def export(campaign_id: str, fmt: str) -> Any:
        from bot.campaigns.export import export_rows, to_csv, to_json

        def rows() -> Optional[str]:
            store = store_of(console)
            campaign = store.get(campaign_id)
            if campaign is None:
                return None
            found = export_rows(store, campaign)
            return to_csv(found) if fmt == "csv" else to_json(found)

        text = await _in_thread(rows)
        if text is None:
            return response.json({"error": "no such campaign"}, status=404)
        return response.text(text, content_type="text/csv" if fmt == "csv" else "application/json",
                             headers={"Content-Disposition": f'attachment; filename="{campaign_id}.{fmt}"',
                                      "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})

    @bp.route("/staff/campaigns", methods=["POST"], name="staff_campaign_create")
    @console.page(role="admin")
    async def create(request: Request) -> Any:
        """Save a campaign from its JSON description, as ``python -m bot.campaigns create`` does."""
        import json

        from bot.campaigns.model import Campaign, CampaignError

        text = (request.form or {}).get("spec") or ""
        try:
            data = json.loads(text)
            if not isinstance(data, dict):
                raise CampaignError("the description must be a JSON object")
            campaign = Campaign.from_dict(data)
        except (ValueError, CampaignError) as error:  # JSONDecodeError is a ValueError
            found = await _in_thread(reports, console)
            return render(request, "campaigns.html", status=400, reports=found, spec=text,
                          problem=f"Not saved: {error}")
        await _in_thread(lambda: store_of(console).save(campaign))
        from bot.web.staff import auth

        return response.redirect(f"{auth.staff_base(request)}/campaigns#campaign-{campaign.id}", status=303)

    @bp.route("/staff/campaigns/<campaign_id:str>/status", methods=["POST"], name="staff_campaign_status")
    @console.page(role="admin")
    async def status(request: Request, campaign_id: str) -> Any:
        from bot.campaigns.model import CampaignError

        wanted = (request.form or {}).get("status")
        try:
            await _in_thread(lambda: store_of(console).set_status(campaign_id, wanted or ""))
        except CampaignError as error:
            return response.json({"error": str(error)}, status=400)
        from bot.web.staff import auth

        return response.redirect(f"{auth.staff_base(request)}/campaigns", status=303)
