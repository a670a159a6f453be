"""The ticket queue and live takeover: take a conversation over (the bot pauses), talk to
the shopper, hand it back (the bot resumes, the ticket closes). Tickets are the shop's
(``bot.shop.tickets``); the conversation events go through the agent's tracker store
(``bot.web.staff.takeover``)."""

from typing import Any, List

from sanic import response
from sanic.request import Request

from bot.web.staff import takeover
from bot.web.staff.console import StaffConsole, back_to, render

AGENT_MISSING = "The Rasa agent is not available in this process"


def open_tickets(console: StaffConsole) -> List[Any]:
    from bot.shop.tickets import open_tickets as shop_open_tickets

    return shop_open_tickets(console.shop_db)


def register(bp: Any, console: StaffConsole) -> None:
    page = console.page

    @bp.route("/staff/tickets", methods=["GET"], name="staff_tickets")
    @page()
    async def tickets(request: Request) -> Any:
        open_now = open_tickets(console)
        ticketed = {t.conversation_id for t in open_now}
        flagged = [s for s in console.reader(request).summaries()
                   if s.escalation and not s.paused and s.sender_id not in ticketed]
        return render(request, "tickets.html", tickets=open_now, flagged=flagged)

    @bp.route("/staff/conversations/<sender_id:str>/takeover", methods=["POST"], name="staff_takeover")
    @page()
    async def take_over(request: Request, sender_id: str) -> Any:
        from bot.shop.tickets import assign_ticket, create_ticket

        agent = console.agent(request)
        if agent is None:
            return response.text(AGENT_MISSING, status=503)
        wanted = (request.form or {}).get("ticket_id")
        mine = [t for t in open_tickets(console) if t.conversation_id == sender_id and (not wanted or t.id == wanted)]
        if not mine:
            # A flagged conversation nobody filed a ticket for: file one, so the takeover is
            # tracked and handing back closes it.
            mine = [create_ticket(console.shop_db, sender_id, "taken over by staff", [])]
        for ticket in mine:
            assign_ticket(console.shop_db, ticket.id, request.ctx.staff_user.email)
        await takeover.pause(agent, sender_id)
        return back_to(request, sender_id)

    @bp.route("/staff/conversations/<sender_id:str>/messages", methods=["POST"], name="staff_message")
    @page()
    async def send_message(request: Request, sender_id: str) -> Any:
        text = ((request.form or {}).get("text") or "").strip()
        agent = console.agent(request)
        if agent is None:
            return response.text(AGENT_MISSING, status=503)
        if text:
            await takeover.agent_message(agent, console.channel, sender_id, text[:4000],
                                         request.ctx.staff_user.name)
        return back_to(request, sender_id)

    @bp.route("/staff/conversations/<sender_id:str>/handback", methods=["POST"], name="staff_handback")
    @page()
    async def hand_back(request: Request, sender_id: str) -> Any:
        from bot.shop.tickets import close_ticket

        agent = console.agent(request)
        if agent is None:
            return response.text(AGENT_MISSING, status=503)
        await takeover.resume(agent, sender_id)
        for ticket in open_tickets(console):
            if ticket.conversation_id == sender_id:
                close_ticket(console.shop_db, ticket.id)
        return back_to(request, sender_id)
