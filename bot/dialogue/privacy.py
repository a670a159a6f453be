"""The shopper's rights in the chat: see what is held, export it, delete it, and consent.

``requested_right`` reads which right a ``privacy_request`` asks for (a button's
``privacy_right`` entity wins over the words). Seeing, exporting and deleting are each
confirmed before anything happens: ``privacy_request_turn`` asks a yes/no question and
returns the pending request (``"<right>:<customer id or anonymous>"``) for the
conversation to keep; ``privacy_confirm_turn`` acts on a yes right after that question,
and anything else leaves everything as it was. A consent change ("stop personalizing",
"you can use my history") acts at once and says so, and so does a change of the
marketing choice ("stop sending me offers", "send me offers again": offers, apart from
personalization, ``bot.privacy.marketing``).

Whose data it is comes only from the signed identity (``customer_id``, server-set): a
pending request is bound to the customer who asked, so a yes from anyone else (signed
out, or signed in as someone else meanwhile) does nothing. An anonymous shopper has only
this conversation and what they told in it (the session profile): the assistant says so
and offers to clear the conversation.

Deleting: the action server's data goes at once (``ProfileService.delete``: profile,
behaviour events with the review texts, stated preferences, conversation moods); the
conversation history is in the Rasa server's tracker store, so an erasure request
(``bot.privacy.requests``) has the Rasa server delete every conversation of the
customer, this one included, right after the reply has gone out. Orders stay.
"""

import json
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Dict, List, Optional, Text, Tuple

from bot.dialogue.replies import Reply, bullet_list, button
from bot.names import AFFIRM, DENY, PRIVACY_REQUEST, command
from bot.privacy.consent import customer_exists
from bot.privacy.requests import (export_path, export_ttl, forget_exports, public_url, request_erasure,
                                  save_export)

SEE, EXPORT, DELETE, OPT_OUT, OPT_IN = "see", "export", "delete", "opt_out", "opt_in"
OFFERS_OUT, OFFERS_IN = "offers_out", "offers_in"  # marketing consent, apart from personalization
CLEAR = "clear"  # an anonymous shopper's "delete": this conversation only
RIGHTS = (SEE, EXPORT, DELETE, OPT_OUT, OPT_IN, OFFERS_OUT, OFFERS_IN)
CONFIRMED_RIGHTS = (SEE, EXPORT, DELETE, CLEAR)
RIGHT_ENTITY = "privacy_right"
ANONYMOUS = "anonymous"

# ------------------------------------------------------------------------- which right
_PERSONAL = r"personali[sz]\w*"
_OPT_OUT = [re.compile(p) for p in (
    rf"\b(?:stop|quit|cease|pause|end|turn(?:ing)? off|switch(?:ing)? off|disable|deactivate|no more|no|without"
    rf"|opt(?: me)? out of|unsubscribe(?: me)? from)\b[^.?!]{{0,30}}?\b{_PERSONAL}",
    rf"\b(?:don'?t|do not|never|stop|quit)\s+{_PERSONAL}",
    r"\b(?:don'?t|do not|never|stop|quit|no longer)\s+(?:\w+\s+){0,3}?(?:use|using|track|tracking|profile|profiling"
    r"|store|storing|collect|collecting|tailor|tailoring|look at|looking at|learn|learning)\b",
    r"\bopt(?:\s+me)?\s+out\b",
    r"\b(?:withdraw|withdrawing|revoke|revoking|retract|pull)\s+(?:\w+\s+){0,2}?consent\b",
    r"\b(?:don'?t|do not|no longer)\s+consent\b",
    r"\bturn off (?:recommendations|suggestions) based on\b",
)]
_OPT_IN = [re.compile(p) for p in (
    r"\b(?:you can|you may|feel free to|go ahead and|it'?s (?:ok|okay|fine) to|(?:ok|okay) to|allowed to|please|do)"
    r"\s+(?:\w+\s+){0,2}?(?:use|using)\s+(?:my|what)\b",
    rf"\b{_PERSONAL}\b[^.?!]{{0,30}}\bagain\b",
    rf"\b(?:turn|switch)\s+(?:\w+\s+){{0,2}}?on\b[^.?!]{{0,20}}{_PERSONAL}|\b{_PERSONAL}\s+(?:\w+\s+)?(?:back\s+)?on\b",
    rf"\b(?:enable|re-?enable|resume|restart|start|allow|activate|turn on|switch on|want)\s+(?:\w+\s+){{0,2}}?{_PERSONAL}",
    r"\bopt(?:\s+me)?\s+(?:back\s+)?in\b",
    rf"\b{_PERSONAL}\s+(?:\w+\s+){{0,2}}?for me\b",
    r"\b(?:use|using) my (?:\w+\s+)?(?:history|data|purchases|activity|orders)\b",
    r"\bi (?:give|grant) (?:you )?(?:my )?consent\b|\bi consent\b",
)]
_OFFERS = (r"(?:offers?|promotions?|promos?|deals|marketing|newsletters?|(?:promotional |marketing )?e-?mails?"
           r"|adverts?|advertising|ads|coupons?|campaigns?)")
_OFFERS_OUT = [re.compile(p) for p in (
    rf"\b(?:stop|quit|cease|pause|end|no more|unsubscribe(?: me)?(?: from)?|opt(?: me)? out(?: of)?"
    rf"|turn(?:ing)? off|switch(?:ing)? off|disable|block|don'?t (?:send|show|e-?mail|give|want)"
    rf"|do not (?:send|show|e-?mail|give|want)|never (?:send|show|e-?mail)|no longer (?:send|show|want))"
    rf"\b[^.?!]{{0,30}}?\b{_OFFERS}\b",
    r"^(?:please )?unsubscribe(?: me)?[.!]?$",
    rf"\b(?:take|remove|drop) me (?:off|from)\b[^.?!]{{0,20}}?\b(?:{_OFFERS}|mailing list)\b",
)]
_OFFERS_IN = [re.compile(p) for p in (
    rf"\b{_OFFERS}\b[^.?!]{{0,20}}\b(?:again|back on)\b",
    rf"\b(?:subscribe(?: me)?(?: to)?|sign me up(?: for)?|opt(?: me)?(?: back)? in(?:to| to| for)?|turn on|switch on"
    rf"|enable|resume|restart|allow)\b[^.?!]{{0,20}}?\b{_OFFERS}\b",
    rf"\b(?:i want|i'?d like|i would like) to (?:get|receive) (?:\w+\s+){{0,2}}?{_OFFERS}\b",
    rf"\b(?:you can|you may|feel free to|it'?s (?:ok|okay|fine) to|please|do) (?:send|show|e-?mail) me "
    rf"(?:\w+\s+){{0,2}}?{_OFFERS}\b",
)]
_EXPORT = re.compile(
    r"\b(?:export\w*|download\w*|portab\w*|machine[- ]readable|csv|json|copy of|a copy|"
    r"send me (?:my|all|everything|a)|e-?mail me (?:my|all|everything|a)|in a file|as a file)\b")
_DELETE = re.compile(
    r"\b(?:delet\w*|eras\w*|remov\w*|wipe\w*|wiping|purg\w*|forget|forgotten|get rid of|scrub\w*|anonymi[sz]\w*"
    r"|destroy\w*|clear (?:my|all|everything)|close my account)\b|\b(?:data|info|information) gone\b")
_SEE = re.compile(
    r"\bwhat\b[^.?!]{0,40}\b(?:know|have|hold|keep|store|stored|collect|collected|got|on file|saved)\b"
    r"|\b(?:show|see|view|review|access|check|look at|tell me)\b[^.?!]{0,30}\b(?:data|info|information|profile"
    r"|details|stored|history|about me|on me)\b"
    r"|\bwhich\b[^.?!]{0,30}\b(?:data|details|info|information)\b|\bright of access\b|\bsubject access\b")


def _normal(text: Text) -> Text:
    text = (text or "").lower().replace("\u2019", "'").replace("\u2018", "'")
    return re.sub(r"\s+", " ", text).strip()


def requested_right(text: Optional[Text], entity: Optional[Text] = None) -> Optional[Text]:
    """Which right the message asks for (``RIGHTS``), or None when it does not say.

    A consent change is looked for first, so "don't use my history" is not read as a
    wish to "use my history"; offers (marketing) before personalization unless the words
    name personalization ("stop sending me offers" is not "stop personalizing"), a stop
    before a start ("don't send me offers again"); an export before a deletion ("send me
    a copy before you delete it": the copy first, nothing lost); seeing last.
    """
    if entity in RIGHTS:
        return entity
    words = _normal(text)
    if not words or words.startswith("/"):
        return None
    if not re.search(_PERSONAL, words):
        if any(p.search(words) for p in _OFFERS_OUT):
            return OFFERS_OUT
        if any(p.search(words) for p in _OFFERS_IN):
            return OFFERS_IN
    if any(p.search(words) for p in _OPT_OUT):
        return OPT_OUT
    if any(p.search(words) for p in _OPT_IN):
        return OPT_IN
    if _EXPORT.search(words):
        return EXPORT
    if _DELETE.search(words):
        return DELETE
    if _SEE.search(words):
        return SEE
    return None


# ---------------------------------------------------------------------------- replies
@dataclass
class PrivacyTurn:
    replies: List[Reply]
    pending: Optional[Text] = None        # what the conversation keeps until the answer
    consent: Optional[bool] = None        # the consent this turn set, if any
    marketing: Optional[bool] = None      # the marketing choice (offers) this turn set, if any
    erasure: Optional[int] = None         # the erasure request this turn recorded, if any
    removed: Dict[Text, int] = field(default_factory=dict)


def right_button(title: Text, right: Text) -> Dict[Text, Text]:
    return button(title, PRIVACY_REQUEST, **{RIGHT_ENTITY: right})


def yes_no(yes: Text, no: Text) -> List[Dict[Text, Text]]:
    return [{"title": yes, "payload": command(AFFIRM)}, {"title": no, "payload": command(DENY)}]


ANYTHING_ELSE = "(Anything other than yes leaves everything as it is.)"
ORDERS_STAY = "Your orders stay: the shop must keep them for accounting, tax and warranty."
MENU = ("I can show you what I hold about you, send you a copy of it, delete it, stop using your "
        "shopping history to personalize, or stop sending you offers. What would you like?")
LEFT_AS_IS = "Okay, I've left everything as it is. Is there anything else I can help with?"
NOT_THE_SAME_SHOPPER = ("That request was made by someone signed in differently than you are now, so I've left "
                        "everything as it is. Ask me again if you'd like.")
NOTHING_PENDING = {True: "Great! What else can I do for you?",
                   False: "No problem. Is there anything else I can help you with?"}


def menu_replies() -> List[Reply]:
    return [Reply(text=MENU, buttons=[right_button("What do you hold about me?", SEE),
                                      right_button("Download my data", EXPORT),
                                      right_button("Delete my data", DELETE),
                                      right_button("Stop personalizing", OPT_OUT),
                                      right_button("No more offers", OFFERS_OUT)])]


def _hours() -> Text:
    from bot.profiles.service import session_ttl

    return f"{session_ttl().total_seconds() / 3600:g} hours"


def _session_preferences(profiles: Any, conversation_id: Optional[Text]) -> List[Text]:
    if not conversation_id:
        return []
    profile = profiles.get(None, conversation_id)
    return [profiles.describe_preference(p) for p in profile.preferences]


def _known_customer(profiles: Any, customer_id: Optional[int]) -> Optional[int]:
    """The signed-in customer if the shop still has them; an unknown id is an anonymous shopper."""
    if customer_id is None:
        return None
    return int(customer_id) if customer_exists(profiles.db, customer_id) else None


def encode_pending(right: Text, customer_id: Optional[int]) -> Text:
    return f"{right}:{customer_id if customer_id is not None else ANONYMOUS}"


def decode_pending(value: Any) -> Optional[Tuple[Text, Optional[int]]]:
    if not isinstance(value, str) or ":" not in value:
        return None
    right, _, who = value.partition(":")
    if right not in CONFIRMED_RIGHTS:
        return None
    if who == ANONYMOUS:
        return right, None
    return (right, int(who)) if who.isdigit() else None


def privacy_request_turn(profiles: Any, text: Optional[Text], customer_id: Optional[int],
                         conversation_id: Optional[Text], right: Optional[Text] = None,
                         rich: bool = True) -> PrivacyTurn:
    """The answer to a ``privacy_request``: a question to confirm, a consent change, or a menu."""
    wanted = requested_right(text, right)
    customer = _known_customer(profiles, customer_id)
    if wanted is None:
        return PrivacyTurn(menu_replies())
    if wanted in (OPT_OUT, OPT_IN):
        return consent_turn(profiles, wanted == OPT_IN, customer, conversation_id)
    if wanted in (OFFERS_OUT, OFFERS_IN):
        return marketing_turn(profiles, wanted == OFFERS_IN, customer)
    if customer is None:
        return _anonymous_offer(profiles, conversation_id)
    question = {
        SEE: ("I can show you a summary of what I hold about you: what you shop for, the products you own, "
              "what you've told me and your personalization and offers settings. Shall I show it here?",
              "Yes, show me", "No"),
        EXPORT: ("I'll put everything I hold about you into a JSON file: your shopping profile, your activity "
                 "and reviews, what you've told me, your personalization and offers settings and your orders. "
                 + (f"You'll get a download link that works for {_minutes(export_ttl())}. " if rich
                    else "I'll print it here. ") + "Shall I prepare it?",
                 "Yes, prepare it", "No"),
        DELETE: ("This permanently deletes your shopping profile, your activity history (views, searches, cart, "
                 "favourites, purchases log), your review texts, the preferences you've told me, and our "
                 "conversation history, this conversation included, and your choice about receiving offers (offers "
                 "are then off). " + ORDERS_STAY + " Your personalization setting stays as you chose it. "
                 "Delete it all?",
                 "Yes, delete it", "No, keep it"),
    }[wanted]
    body, yes, no = question
    return PrivacyTurn([Reply(text=f"{body} {ANYTHING_ELSE}", buttons=yes_no(yes, no))],
                       pending=encode_pending(wanted, customer))


def _minutes(ttl: Any) -> Text:
    minutes = ttl.total_seconds() / 60
    return f"{minutes:g} minutes" if minutes != 1 else "1 minute"


def _anonymous_offer(profiles: Any, conversation_id: Optional[Text]) -> PrivacyTurn:
    told = _session_preferences(profiles, conversation_id)
    held = ("this conversation and what you've told me in it"
            + (f" ({'; '.join(told)})" if told else ""))
    text = (f"You're not signed in, so I don't know who you are and I hold no profile about you. All I keep "
            f"is {held}, for this conversation only: what you told me is forgotten {_hours()} after your "
            f"last message. Shall I clear this conversation now? To see, download or delete the data of your "
            f"shop account, sign in and ask me again. {ANYTHING_ELSE}")
    return PrivacyTurn([Reply(text=text, buttons=yes_no("Yes, clear it", "No"))],
                       pending=encode_pending(CLEAR, None))


def consent_turn(profiles: Any, allow: bool, customer_id: Optional[int], conversation_id: Optional[Text]) -> PrivacyTurn:
    """Switch personalization on or off at once, and say what that means."""
    if customer_id is None:
        return _anonymous_consent(profiles, allow, conversation_id)
    before = profiles.consent(customer_id)
    profiles.set_consent(customer_id, allow, source="chat")
    custom = {"type": "consent", "personalization": allow}
    if allow:
        text = ("Personalization is on" + (" again" if not before else " (it already was)") + ": I'll use your "
                "shopping history, your reviews and what you tell me to tailor suggestions to you. You can switch "
                "it off any time (\"stop personalizing\", or the Personalize switch).")
        return PrivacyTurn([Reply(text=text, custom=custom)], consent=True)
    text = ("Done: I've stopped personalizing for you" + (" (it was already off)" if not before else "") + ". "
            "From now on I answer you exactly as I would any shopper who isn't signed in, and I neither use nor "
            "add to your shopping history. What I already hold stays until you ask me to delete it. You can "
            "switch it back on any time (\"you can use my history\", or the Personalize switch).")
    return PrivacyTurn([Reply(text=text, custom=custom, buttons=[right_button("Delete my data", DELETE)])],
                       consent=False)


def marketing_turn(profiles: Any, allow: bool, customer_id: Optional[int]) -> PrivacyTurn:
    """Switch offers (marketing consent) on or off at once, apart from personalization."""
    if customer_id is None:
        text = ("You're not signed in, so I don't send you any offers: promotions only ever go to signed-in "
                "customers who asked for them. " + ("Sign in on the shop and ask me again to get them."
                                                    if allow else "There's nothing to stop."))
        return PrivacyTurn([Reply(text=text)])
    before = profiles.marketing(customer_id)
    profiles.set_marketing(customer_id, allow, source="chat")
    custom = {"type": "consent", "marketing": allow}
    if allow:
        text = ("Offers are on" + (" again" if not before else " (they already were)") + ": when a promotion fits "
                "what you shop for, I may show it to you here, and the shop may e-mail it to you. You can stop them "
                "any time (\"stop sending me offers\", the Offers switch, or \"No more offers\" under an offer).")
        if not profiles.consent(customer_id):
            text += (" Offers are picked from your shopping history, so while personalization is off you won't get "
                     "any; say \"you can use my history\" to allow it.")
        return PrivacyTurn([Reply(text=text, custom=custom)], marketing=True)
    text = ("Done: no more offers" + (" (they were already off)" if not before else "") + ". I won't show you "
            "promotions here and the shop won't e-mail you any. Personalization stays "
            + ("on" if profiles.consent(customer_id) else "off") + ", as you chose. You can switch offers back on "
            "any time (\"send me offers again\", or the Offers switch).")
    return PrivacyTurn([Reply(text=text, custom=custom)], marketing=False)


def _anonymous_consent(profiles: Any, allow: bool, conversation_id: Optional[Text]) -> PrivacyTurn:
    if allow:
        text = ("You're not signed in, so there's no shopping history of yours I could use. Within this "
                "conversation I use what you tell me (say, \"I like Brooks, under $150\"). Sign in on the shop "
                "and I can use your history too.")
        return PrivacyTurn([Reply(text=text)])
    forgotten = _forget_session_preferences(profiles, conversation_id)
    text = ("You're not signed in, so I keep nothing about you between visits: only what you tell me in this "
            f"conversation, for this conversation. "
            + (f"I've now forgotten that too ({forgotten} preference{'s' if forgotten != 1 else ''}). "
               if forgotten else "You haven't told me anything I'd use. ")
            + "If you sign in, you can switch personalization off for your account.")
    return PrivacyTurn([Reply(text=text)], consent=False, removed={"session_preferences": forgotten})


def _forget_session_preferences(profiles: Any, conversation_id: Optional[Text]) -> int:
    if not conversation_id:
        return 0
    from bot.profiles.service import PreferenceError

    forgotten = 0
    for preference in profiles.get(None, conversation_id).preferences:
        try:
            if profiles.forget_preference(preference.kind, preference.value, conversation_id=conversation_id,
                                          category=preference.category or None):
                forgotten += 1
        except PreferenceError:  # the catalog no longer has it: it expires with the session
            continue
    return forgotten


# ----------------------------------------------------------------------------- confirmed
def privacy_confirm_turn(profiles: Any, pending: Any, confirmed: bool, customer_id: Optional[int],
                         conversation_id: Optional[Text], asked_just_before: bool = True,
                         rich: bool = True) -> PrivacyTurn:
    """The shopper's yes or no to the question ``privacy_request_turn`` asked.

    Acts only on a yes that answers that question directly, from the same shopper who
    asked; every other case leaves everything as it is.
    """
    request = decode_pending(pending) if asked_just_before else None
    if request is None:
        return PrivacyTurn([Reply(text=NOTHING_PENDING[bool(confirmed)])])
    right, asker = request
    customer = _known_customer(profiles, customer_id)
    if asker != customer:
        return PrivacyTurn([Reply(text=NOT_THE_SAME_SHOPPER)])
    if not confirmed:
        return PrivacyTurn([Reply(text=LEFT_AS_IS)])
    if right == CLEAR:
        return _clear_conversation(profiles, conversation_id)
    if right == SEE:
        return PrivacyTurn(summary_replies(profiles, customer))
    if right == EXPORT:
        return PrivacyTurn(export_replies(profiles, customer, rich))
    return delete_customer_data(profiles, customer, conversation_id)


def summary_replies(profiles: Any, customer_id: int) -> List[Reply]:
    """What is held about the customer, in sentences, with the next steps as buttons."""
    summary = profiles.summary(profiles.stored(customer_id))
    lines = [line for line in summary["lines"] if not line.startswith("Personalization is")]
    if summary.get("price_band"):
        lines.append(f"You {summary['price_band']['text']}.")
    kinds = _events_by_kind(profiles.db, customer_id)  # what is stored, whether or not it was scored yet
    if kinds.get("review"):
        lines.append(_plural(kinds["review"], "review") + " you wrote, with their texts and ratings.")
    activity = sum(n for kind, n in kinds.items() if kind != "review")
    if activity:
        lines.append(f"{activity} thing{'s' if activity != 1 else ''} you did in the shop (views, searches, "
                     "cart adds, favourites, purchases).")
    consent = summary["consent"]
    state = "on" if consent["personalization"] else "off"
    chosen = (f"as you chose on {consent['updated_at'][:10]}" if consent.get("updated_at")
              else "the shop's default; you haven't chosen")
    lines.append(f"Personalization is {state} ({chosen}).")
    lines.append(_offers_line(profiles.db, customer_id))
    held = len(lines) > 2
    intro = ("Here's what I hold about you:" if held else
             "I hold no shopping profile about you: no activity, reviews or preferences.")
    text = f"{intro}\n{bullet_list(lines)}\nYour orders are kept too, as the shop must keep them."
    return [Reply(text=text, buttons=[right_button("Download my data", EXPORT),
                                      right_button("Delete my data", DELETE)])]


def _offers_line(db: Any, customer_id: int) -> Text:
    """The marketing choice, for the summary: on or off, and who decided."""
    from bot.privacy.marketing import read_marketing

    state = read_marketing(db, customer_id)
    if state.updated_at is None:
        chosen = "the shop's default; you haven't chosen"
    elif state.source == "import":
        chosen = f"you subscribed to the shop's offers, recorded on {state.updated_at.date().isoformat()}"
    else:
        chosen = f"as you chose on {state.updated_at.date().isoformat()}"
    return f"Offers (promotions in the chat and by e-mail) are {'on' if state.marketing else 'off'} ({chosen})."


def export_replies(profiles: Any, customer_id: int, rich: bool = True, now: Optional[datetime] = None) -> List[Reply]:
    """``rasa shell``: the JSON itself. Elsewhere: a short-lived download link, never the JSON
    (a chat message is stored with the conversation)."""
    data = profiles.export(customer_id)
    data["campaigns"] = _campaigns(profiles.db).export_customer(customer_id)
    if not rich:
        return [Reply(text="Here is everything I hold about you, as JSON:"),
                Reply(text=json.dumps(data, ensure_ascii=False, indent=2, default=str))]
    token, expires = save_export(profiles.db, customer_id, data, now=now)
    path = export_path(token)
    url = public_url() + path
    ttl = _minutes(export_ttl())
    text = (f"Your data is ready: a JSON file with everything I hold about you. The link works for {ttl}; "
            f"keep it to yourself: {url}")
    custom = {"type": "download", "label": "Download my data (JSON)", "url": url, "path": path,
              "filename": f"my-data-{expires.date().isoformat()}.json", "expires_at": expires.isoformat() + "Z"}
    return [Reply(text=text, custom=custom)]


def _campaigns(db: Any) -> Any:
    """The campaigns' records of customers (assignments, messages, impressions, clicks)."""
    from bot.campaigns.store import CampaignStore

    return CampaignStore(db)


_KIND_WORDS = (("view", "product view"), ("search", "search"), ("cart_add", "cart add"),
               ("favourite", "favourite"), ("purchase", "purchase record"))


def _plural(count: int, word: Text) -> Text:
    return f"{count} {word}" if count == 1 else f"{count} {word}{'es' if word.endswith('ch') else 's'}"


def _events_by_kind(db: Any, customer_id: int) -> Dict[Text, int]:
    from sqlalchemy import func, select

    from bot.profiles.tables import BehaviourEventRow

    with db.session() as session:
        rows = session.execute(select(BehaviourEventRow.kind, func.count()).where(
            BehaviourEventRow.customer_id == int(customer_id)).group_by(BehaviourEventRow.kind)).all()
    return {str(kind): int(count) for kind, count in rows}


def delete_customer_data(profiles: Any, customer_id: int, conversation_id: Optional[Text]) -> PrivacyTurn:
    """Delete now what the action server holds; have the Rasa server erase the conversations."""
    kinds = _events_by_kind(profiles.db, customer_id)
    removed = profiles.delete(customer_id, conversation_ids=[conversation_id] if conversation_id else [])
    exports = forget_exports(profiles.db, customer_id)
    promotions = _campaigns(profiles.db).forget_customer(customer_id)
    erasure = request_erasure(profiles.db, conversation_id, customer_id) if conversation_id else None
    consent = profiles.consent(customer_id)
    lines = []
    if removed.get("customer_profiles"):
        lines.append("your shopping profile (interests, brands, price range)")
    activity = [_plural(kinds[kind], word) for kind, word in _KIND_WORDS if kinds.get(kind)]
    if activity:
        lines.append("your shopping activity: " + ", ".join(activity))
    if kinds.get("review"):
        lines.append(_plural(kinds["review"], "review") + " with their texts and ratings")
    if removed.get("stated_preferences"):
        lines.append(_plural(removed["stated_preferences"], "preference") + " you told me")
    if removed.get("conversation_sentiment"):
        lines.append("the mood notes of " + _plural(removed["conversation_sentiment"], "conversation"))
    if exports:
        lines.append(_plural(exports, "prepared download"))
    if promotions:
        lines.append("the promotions we prepared or showed you, and your clicks on them")
    if removed.get("marketing_consent"):
        lines.append("your choice about receiving offers (offers are now off)")
    intro = ("Done. I've deleted:\n" + bullet_list(lines)) if lines else (
        "Done. There was no shopping profile, activity or preference stored about you to delete.")
    after = (" With personalization on, I'll start learning again from what you do next; say \"stop personalizing\" "
             "to prevent that." if consent else " Personalization stays off, as you chose.")
    text = (f"{intro}\nOur conversation history, this conversation included, is deleted from the chat log right "
            f"after this message. {ORDERS_STAY}{after}")
    counts = {**removed, "exports": exports, "campaign_rows": promotions, **{f"events_{k}": v for k, v in kinds.items()}}
    return PrivacyTurn([Reply(text=text)], erasure=erasure, removed=counts)


def _clear_conversation(profiles: Any, conversation_id: Optional[Text]) -> PrivacyTurn:
    told = len(_session_preferences(profiles, conversation_id))
    erasure = request_erasure(profiles.db, conversation_id, None) if conversation_id else None
    what = f", with the {_plural(told, 'preference')} you told me" if told else ""
    text = (f"Done: this conversation is deleted right after this message{what}. "
            "Nothing else was stored about you.")
    return PrivacyTurn([Reply(text=text)], erasure=erasure, removed={"session_preferences": told})
