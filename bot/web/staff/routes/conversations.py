"""Conversations: the filtered list, a transcript (page and JSON for polling), and the
review work on it (reviewed, tags, notes, intent corrections and their YAML export)."""

from typing import Any, List

from sanic import response
from sanic.request import Request

from bot.web.conversations import Summary, apply_filters
from bot.web.staff import review
from bot.web.staff.console import StaffConsole, back_to, filters_from, render, turn_json
from bot.web.staff.routes.tickets import open_tickets


def listed(console: StaffConsole, request: Request) -> List[Summary]:
    """The conversations matching the request's filters, newest first."""
    return apply_filters(console.reader(request).summaries(), filters_from(request.args),
                         reviewed=review.reviewed_senders(console.staff_db),
                         with_feedback=set(console.web.feedback_counts()))


def register(bp: Any, console: StaffConsole) -> None:
    page, api, db = console.page, console.api, lambda: console.staff_db

    @bp.route("/staff/", methods=["GET"], name="staff_home")
    @page()
    async def home(request: Request) -> Any:
        summaries = listed(console, request)
        return render(request, "list.html", summaries=summaries[:500], total=len(summaries),
                      tags=review.tags_by_sender(db()), reviewed=review.reviewed_senders(db()), args=request.args)

    @bp.route("/staff/api/conversations", methods=["GET"], name="staff_api_list")
    @api()
    async def api_list(request: Request) -> Any:
        return response.json([s.as_dict() for s in listed(console, request)])

    @bp.route("/staff/conversations/<sender_id:str>", methods=["GET"], name="staff_conversation")
    @page()
    async def conversation_page(request: Request, sender_id: str) -> Any:
        conversation = console.reader(request).conversation(sender_id)
        if conversation is None:
            return response.text("No such conversation", status=404)
        fixed = {c.event_timestamp: c.corrected_intent for c in review.corrections(db(), sender_id)}
        tickets = [t for t in open_tickets(console) if t.conversation_id == sender_id]
        return render(request, "conversation.html", c=conversation, review=review.get_review(db(), sender_id),
                      notes=review.notes(db(), sender_id), corrected=fixed, tickets=tickets,
                      last_event=max((t.event_id for t in conversation.turns), default=0), live=console.live)

    @bp.route("/staff/api/conversations/<sender_id:str>", methods=["GET"], name="staff_api_conversation")
    @api()
    async def api_conversation(request: Request, sender_id: str) -> Any:
        try:
            after = int(request.args.get("after") or 0)
        except ValueError:
            after = 0
        conversation = console.reader(request).conversation(sender_id)
        if conversation is None:
            return response.json({"error": "no such conversation"}, status=404)
        return response.json({"paused": conversation.summary.paused,
                              "messages": [turn_json(t) for t in conversation.turns if t.event_id > after]})

    @bp.route("/staff/conversations/<sender_id:str>/review", methods=["POST"], name="staff_review")
    @page()
    async def mark_reviewed(request: Request, sender_id: str) -> Any:
        done = (request.form or {}).get("reviewed", "yes") != "no"
        review.mark_reviewed(db(), sender_id, request.ctx.staff_user.email, done)
        return back_to(request, sender_id)

    @bp.route("/staff/conversations/<sender_id:str>/tags", methods=["POST"], name="staff_tags")
    @page()
    async def tags(request: Request, sender_id: str) -> Any:
        review.set_tags(db(), sender_id, (request.form or {}).get("tags", ""))
        return back_to(request, sender_id)

    @bp.route("/staff/conversations/<sender_id:str>/notes", methods=["POST"], name="staff_notes")
    @page()
    async def add_note(request: Request, sender_id: str) -> Any:
        review.add_note(db(), sender_id, request.ctx.staff_user.email, (request.form or {}).get("text", ""))
        return back_to(request, sender_id)

    @bp.route("/staff/conversations/<sender_id:str>/corrections", methods=["POST"], name="staff_correct")
    @page()
    async def correct(request: Request, sender_id: str) -> Any:
        form = request.form or {}
        conversation = console.reader(request).conversation(sender_id)
        try:
            event_id = int(form.get("event_id", ""))
        except ValueError:
            return response.text("Bad request: event_id", status=400)
        turn = next((t for t in (conversation.turns if conversation else []) if t.event_id == event_id
                     and t.kind == "user"), None)
        if turn is None:
            return response.text("No such shopper turn", status=404)
        try:
            review.correct_intent(db(), sender_id, turn.timestamp, turn.text, turn.intent,
                                  form.get("intent", ""), request.ctx.staff_user.email)
        except ValueError as error:
            return response.text(f"Bad request: {error}", status=400)
        return back_to(request, sender_id)

    @bp.route("/staff/corrections.yml", methods=["GET"], name="staff_corrections")
    @page()
    async def corrections_export(request: Request) -> Any:
        body = review.corrections_yaml(review.corrections(db()))
        return response.text(body, content_type="application/x-yaml; charset=utf-8",
                             headers={"Content-Disposition": 'attachment; filename="corrections.yml"'})
