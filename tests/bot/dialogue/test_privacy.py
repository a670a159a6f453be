"""The shopper's rights in the chat, against a real seeded SQLite shop with profiles.

Which right a message asks for (tricky phrasings included); seeing, exporting and
deleting only after a yes to the question, from the same signed-in customer; deletion
really removes the rows (read from the tables) and nothing of another customer; orders
stay; consent changes write the flag the widget reads; anonymous shoppers are told the
truth and can clear their conversation.
"""

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot.catalog import load_catalog
from bot.dialogue import privacy
from bot.dialogue.privacy import (CLEAR, DELETE, EXPORT, OFFERS_IN, OFFERS_OUT, OPT_IN, OPT_OUT, SEE,
                                  privacy_confirm_turn, privacy_request_turn, requested_right)
from bot.privacy import consent as web_consent
from bot.privacy.redaction import redact_for_storage
from bot.privacy.requests import ErasureRequest, pending_erasures, read_export
from bot.profiles.events import BehaviourEvent, add_events
from bot.profiles.service import ProfileService
from bot.profiles.shop_records import read_customers
from bot.profiles.tables import (BehaviourEventRow, ConsentRow, ConversationSentimentRow, CustomerProfileRow,
                                 SessionProfileRow, StatedPreferenceRow)
from bot.shop.db import ShopDatabase
from bot.shop.schema import Order
from tests.bot.conftest import NOW

T = NOW.replace(tzinfo=None)
JANE_CHAT, SAM_CHAT, ANON_CHAT = "w-jane-chat", "w-sam-chat", "w-anonymous-chat"


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


@pytest.fixture
def shop(tmp_path, catalog):
    db = ShopDatabase(f"sqlite:///{tmp_path / 'shop.db'}")
    assert db.seed_demo(catalog, now=NOW)
    yield db
    db.dispose()


@pytest.fixture
def profiles(shop, catalog):
    # no review sentiment model: reviews still count, they just add no aspects
    return ProfileService(shop, catalog, sentiment=lambda: None)


def customer(db, email):
    return next(c.id for c in read_customers(db) if c.email == email)


def history(db, catalog, customer_id, offset=0):
    """A small shopping history of one customer: two products, every kind of event, a review."""
    first, second = catalog.products[offset], catalog.products[offset + 7]
    return [
        BehaviourEvent(customer_id, "view", first.id, T - timedelta(days=20)),
        BehaviourEvent(customer_id, "search", None, T - timedelta(days=19), query=f"{first.brand} deals"),
        BehaviourEvent(customer_id, "cart_add", first.id, T - timedelta(days=18)),
        BehaviourEvent(customer_id, "purchase", first.id, T - timedelta(days=17)),
        BehaviourEvent(customer_id, "favourite", second.id, T - timedelta(days=10)),
        BehaviourEvent(customer_id, "review", first.id, T - timedelta(days=5),
                       text="Love it, my private review text", rating=5),
    ]


@pytest.fixture
def people(shop, catalog, profiles):
    """Jane and Sam, each with a history, a stated preference and a conversation mood."""
    jane, sam = customer(shop, "jane.doe@example.com"), customer(shop, "sam.lee@example.com")
    add_events(shop, history(shop, catalog, jane) + history(shop, catalog, sam, offset=20))
    for who, chat, brand in ((jane, JANE_CHAT, catalog.brands[0]), (sam, SAM_CHAT, catalog.brands[1])):
        profiles.state_preference("brand", brand.id, polarity="dislike", customer_id=who, conversation_id=chat)
        profiles.record_conversation_sentiment(chat, 0.5, customer_id=who)
    return {"jane": jane, "sam": sam}


def count(db, table, customer_id):
    with db.session() as session:
        return session.execute(select(func.count()).select_from(table.__table__).where(
            table.customer_id == customer_id)).scalar_one()


def held(db, customer_id):
    return {table.__tablename__: count(db, table, customer_id)
            for table in (BehaviourEventRow, CustomerProfileRow, StatedPreferenceRow, ConversationSentimentRow)}


# ------------------------------------------------------------------------------- which right
@pytest.mark.parametrize("text,right", [
    ("what do you know about me?", SEE),
    ("show my data", SEE),
    ("Which details of mine are sitting in your database", SEE),
    ("what's stored about me", SEE),
    ("download my data", EXPORT),
    ("send me a copy of my data", EXPORT),
    ("I'd like a copy of everything you have on me", EXPORT),
    ("send me a copy before you delete it", EXPORT),  # the copy first: nothing is lost
    ("delete my data", DELETE),
    ("forget me", DELETE),
    ("erase everything about me", DELETE),
    ("right to be forgotten", DELETE),
    ("I want my data gone", DELETE),
    ("stop personalizing", OPT_OUT),
    ("stop personalising recommendations for me", OPT_OUT),
    ("don't use my history", OPT_OUT),  # not "use my history"
    ("Don\u2019t use my purchase history anymore", OPT_OUT),
    ("please stop using my order history for recommendations", OPT_OUT),
    ("I withdraw my consent for personalization", OPT_OUT),
    ("you can use my history", OPT_IN),
    ("personalize for me again", OPT_IN),
    ("turn personalization back on", OPT_IN),
    ("it's fine to use my purchase history", OPT_IN),
    ("stop sending me offers", OFFERS_OUT),
    ("no more offers please", OFFERS_OUT),
    ("unsubscribe me from your marketing emails", OFFERS_OUT),
    ("unsubscribe", OFFERS_OUT),
    ("don't send me offers again", OFFERS_OUT),  # a stop, not a start
    ("opt me out of the newsletter", OFFERS_OUT),
    ("send me offers again", OFFERS_IN),
    ("subscribe me to the newsletter", OFFERS_IN),
    ("you can send me promotions", OFFERS_IN),
    ("turn offers back on", OFFERS_IN),
    ("unsubscribe me from personalization", OPT_OUT),  # names personalization: not offers
    ("No problem, you can send me deals", OFFERS_IN),
    ("GDPR request", None),
    ("", None),
    ("/privacy_request", None),
])
def test_which_right_a_message_asks_for(text, right):
    assert requested_right(text) == right


def test_a_buttons_entity_wins_over_the_words():
    assert requested_right("delete my data", entity=EXPORT) == EXPORT
    assert requested_right("delete my data", entity="sell it") == DELETE  # not a right: the words count


# ------------------------------------------------------------------ asked, then confirmed
def test_nothing_happens_before_the_yes(shop, profiles, people):
    jane = people["jane"]
    before = held(shop, jane)
    for text, right in (("what do you know about me?", SEE), ("download my data", EXPORT),
                        ("delete my data", DELETE)):
        turn = privacy_request_turn(profiles, text, jane, JANE_CHAT)
        assert turn.pending == f"{right}:{jane}"
        assert [b["payload"] for b in turn.replies[0].buttons] == ["/affirm", "/deny"]
        assert "Anything other than yes" in turn.replies[0].text
    assert held(shop, jane) == before and not pending_erasures(shop)


def test_an_unclear_request_offers_the_rights_as_buttons(profiles, people):
    turn = privacy_request_turn(profiles, "GDPR request", people["jane"], JANE_CHAT)
    assert turn.pending is None
    payloads = [b["payload"] for b in turn.replies[0].buttons]
    assert payloads[0] == '/privacy_request{"privacy_right":"see"}' and len(payloads) == 5
    assert payloads[-1] == '/privacy_request{"privacy_right":"offers_out"}'  # "No more offers", from the menu


def test_the_summary_after_yes_says_what_is_held(profiles, people, catalog):
    jane = people["jane"]
    turn = privacy_request_turn(profiles, "what do you know about me?", jane, JANE_CHAT)
    replies = privacy_confirm_turn(profiles, turn.pending, True, jane, JANE_CHAT).replies
    text = replies[0].text
    assert text.startswith("Here's what I hold about you:")
    assert f"avoids {catalog.brands[0].name}" in text  # her stated preference
    owned = profiles.summary(profiles.stored(jane))["owned_products"]
    assert catalog.products[0].id in {o["id"] for o in owned}  # bought (an event), besides her orders
    assert "You own: " in text and owned[-1]["name"] in text
    assert "1 review you wrote" in text and "Personalization is on (the shop's default" in text
    assert catalog.brands[1].name not in text.split("You told me:")[1]  # Sam's preference is not hers


def test_export_is_a_short_lived_link_never_the_json_in_a_message(shop, profiles, people):
    jane = people["jane"]
    turn = privacy_request_turn(profiles, "download my data", jane, JANE_CHAT)
    reply = privacy_confirm_turn(profiles, turn.pending, True, jane, JANE_CHAT).replies[0]
    assert reply.custom["type"] == "download" and reply.custom["url"] in reply.text
    assert "jane.doe@example.com" not in json.dumps(reply.__dict__)  # only a link in the conversation
    token = reply.custom["path"].split("token=", 1)[1]
    customer_id, payload, _ = read_export(shop, token)
    data = json.loads(payload)
    assert customer_id == jane and data["customer"]["email"] == "jane.doe@example.com"
    assert len(data["behaviour_events"]) == 6 and data["orders"]
    assert redact_for_storage(reply.text).endswith("token=[expired]")  # masked wherever it is stored


def test_export_in_rasa_shell_is_the_json_itself(profiles, people):
    jane = people["jane"]
    turn = privacy_request_turn(profiles, "export my data", jane, JANE_CHAT, rich=False)
    assert "print it here" in turn.replies[0].text
    replies = privacy_confirm_turn(profiles, turn.pending, True, jane, JANE_CHAT, rich=False).replies
    data = json.loads(replies[-1].text)
    assert data["customer"]["id"] == jane and not any(r.custom for r in replies)


def test_delete_removes_everything_but_orders_and_nothing_of_others(shop, profiles, people, catalog):
    jane, sam = people["jane"], people["sam"]
    profiles.get(customer_id=jane)  # a stored profile to delete
    # what the conversation noted while she was not signed in (a session profile)
    profiles.state_preference("brand", catalog.brands[2].id, conversation_id=JANE_CHAT)
    sam_before = held(shop, sam)
    with shop.session() as session:
        orders = session.execute(select(func.count(Order.id)).where(Order.customer_id == jane)).scalar_one()
    assert orders and all(held(shop, jane).values())

    turn = privacy_request_turn(profiles, "erase everything about me", jane, JANE_CHAT)
    done = privacy_confirm_turn(profiles, turn.pending, True, jane, JANE_CHAT)
    text = done.replies[0].text
    assert held(shop, jane) == {name: 0 for name in held(shop, jane)}
    with shop.session() as session:
        assert session.get(SessionProfileRow, JANE_CHAT) is None
        assert session.execute(select(func.count(Order.id)).where(Order.customer_id == jane)).scalar_one() == orders
        assert session.get(ConsentRow, jane) is None  # deleting data does not record a choice
    assert held(shop, sam) == sam_before  # Sam keeps everything
    assert count(shop, BehaviourEventRow, sam) == 6
    # the reply: what went, per kind, and that orders stay
    assert "1 review with their texts and ratings" in text and "1 preference you told me" in text
    assert "1 product view, 1 search, 1 cart add, 1 favourite, 1 purchase record" in text
    assert "Your orders stay" in text and "this conversation included" in text
    # the conversation history: an erasure request the Rasa server completes
    [request] = pending_erasures(shop)
    assert (request.customer_id, request.conversation_id) == (jane, JANE_CHAT) and done.erasure == request.id


def test_review_texts_are_gone_after_delete(shop, profiles, people):
    jane, sam = people["jane"], people["sam"]
    turn = privacy_request_turn(profiles, "delete my data", jane, JANE_CHAT)
    privacy_confirm_turn(profiles, turn.pending, True, jane, JANE_CHAT)
    with shop.session() as session:
        texts = session.execute(select(BehaviourEventRow.customer_id, BehaviourEventRow.text).where(
            BehaviourEventRow.kind == "review")).all()
    assert [who for who, _ in texts] == [sam]  # only Sam's review is left


def test_no_anything_else_or_another_shopper_leaves_everything(shop, profiles, people):
    jane, sam = people["jane"], people["sam"]
    before = held(shop, jane)
    pending = privacy_request_turn(profiles, "delete my data", jane, JANE_CHAT).pending
    no = privacy_confirm_turn(profiles, pending, False, jane, JANE_CHAT)
    assert no.replies[0].text == privacy.LEFT_AS_IS
    late = privacy_confirm_turn(profiles, pending, True, jane, JANE_CHAT, asked_just_before=False)
    assert late.replies[0].text == privacy.NOTHING_PENDING[True]
    for other in (sam, None):  # signed in as someone else meanwhile, or signed out
        turn = privacy_confirm_turn(profiles, pending, True, other, JANE_CHAT)
        assert turn.replies[0].text == privacy.NOT_THE_SAME_SHOPPER
    forged = privacy_confirm_turn(profiles, f"delete:{sam}", True, jane, JANE_CHAT)
    assert forged.replies[0].text == privacy.NOT_THE_SAME_SHOPPER
    assert privacy_confirm_turn(profiles, "sell:1", True, jane, JANE_CHAT).replies[0].text == \
        privacy.NOTHING_PENDING[True]
    assert held(shop, jane) == before and held(shop, sam)["behaviour_events"] == 6 and not pending_erasures(shop)


def test_an_unknown_customer_id_is_an_anonymous_shopper(profiles, people):
    turn = privacy_request_turn(profiles, "delete my data", 987654, "w-ghost")
    assert turn.pending == f"{CLEAR}:anonymous" and "not signed in" in turn.replies[0].text


# ------------------------------------------------------------------------------- consent
def test_consent_changes_act_at_once_and_the_widget_reads_the_same_flag(shop, profiles, people):
    jane = people["jane"]
    off = privacy_request_turn(profiles, "don't use my history", jane, JANE_CHAT)
    assert off.pending is None and off.consent is False
    assert off.replies[0].custom == {"type": "consent", "personalization": False}
    assert "stopped personalizing" in off.replies[0].text
    with shop.session() as session:
        row = session.get(ConsentRow, jane)
        assert (row.personalization, row.source) == (False, "chat")
    assert web_consent.read_consent(shop, jane).personalization is False  # what GET /web/api/consent says
    assert not profiles.get(customer_id=jane, conversation_id=JANE_CHAT).personalized
    on = privacy_request_turn(profiles, "personalize for me again", jane, JANE_CHAT)
    assert on.consent is True and "Personalization is on again" in on.replies[0].text
    assert profiles.get(customer_id=jane, conversation_id=JANE_CHAT).personalized
    # and the other way: the widget's switch is what the chat reads
    web_consent.write_consent(shop, jane, False, source="widget")
    assert profiles.consent(jane) is False
    summary = privacy_confirm_turn(profiles, f"see:{jane}", True, jane, JANE_CHAT).replies[0].text
    assert "Personalization is off (as you chose on" in summary


def test_the_consent_table_is_declared_alike_on_both_sides():
    mine = {c.name: (type(c.type), c.primary_key, c.nullable) for c in web_consent.CUSTOMER_CONSENT.columns}
    theirs = {c.name: (type(c.type), c.primary_key, c.nullable) for c in ConsentRow.__table__.columns}
    assert mine == theirs
    fk = {(k.parent.name, k.target_fullname) for k in ConsentRow.__table__.foreign_keys}
    assert fk == {(k.parent.name, k.target_fullname) for k in web_consent.CUSTOMER_CONSENT.foreign_keys}


def test_the_default_is_read_alike_on_both_sides(monkeypatch):
    from bot.profiles.service import default_consent

    for value in ("on", "off", "0", "false", "No", "yes", ""):
        monkeypatch.setenv("SHOPBOT_PERSONALIZATION_DEFAULT", value)
        assert web_consent.default_consent() == default_consent(), value


# ------------------------------------------------------------------------ anonymous shoppers
def test_an_anonymous_shopper_is_told_the_truth_and_can_clear_the_conversation(shop, profiles, catalog, people):
    brand = catalog.brands[3]
    profiles.state_preference("brand", brand.id, conversation_id=ANON_CHAT)
    for text in ("what do you know about me?", "download my data", "delete my data"):
        turn = privacy_request_turn(profiles, text, None, ANON_CHAT)
        assert turn.pending == f"{CLEAR}:anonymous"
        assert "not signed in" in turn.replies[0].text and f"likes {brand.name}" in turn.replies[0].text
        assert "jane" not in turn.replies[0].text.lower()
    done = privacy_confirm_turn(profiles, f"{CLEAR}:anonymous", True, None, ANON_CHAT)
    assert "deleted right after this message, with the 1 preference you told me" in done.replies[0].text
    [request] = pending_erasures(shop)
    assert (request.customer_id, request.conversation_id) == (None, ANON_CHAT)
    assert held(shop, people["jane"])["behaviour_events"] == 6  # nobody's account was touched


def test_an_anonymous_opt_out_forgets_what_this_conversation_was_told(shop, profiles, catalog):
    profiles.state_preference("brand", catalog.brands[3].id, conversation_id=ANON_CHAT)
    profiles.state_preference("budget", amount_max=150, conversation_id=ANON_CHAT)
    turn = privacy_request_turn(profiles, "stop personalizing", None, ANON_CHAT)
    assert "not signed in" in turn.replies[0].text and "forgotten that too (2 preferences)" in turn.replies[0].text
    assert profiles.get(conversation_id=ANON_CHAT).preferences == ()
    assert "no shopping history of yours" in privacy_request_turn(profiles, "you can use my history", None,
                                                                  ANON_CHAT).replies[0].text
    with shop.session() as session:
        assert session.execute(select(func.count()).select_from(ConsentRow.__table__)).scalar_one() == 0
        assert session.execute(select(func.count()).select_from(ErasureRequest.__table__)).scalar_one() == 0


def test_delete_and_export_cover_the_campaigns_records(shop, profiles, people):
    from bot.campaigns.store import CampaignStore

    jane, sam = people["jane"], people["sam"]
    store = CampaignStore(shop)
    for who in (jane, sam):
        store.save_message("spring", who, "a", f"Hi {who}, new shoes are in.", "template", "", [])
        store.record("spring", who, "a", "impression")
        store.record("spring", who, "a", "click")
    exported = json.loads(privacy_confirm_turn(
        profiles, privacy_request_turn(profiles, "export my data", jane, JANE_CHAT, rich=False).pending,
        True, jane, JANE_CHAT, rich=False).replies[-1].text)
    [record] = exported["campaigns"]
    assert record["campaign"] == "spring" and record["messages"][0]["text"] == f"Hi {jane}, new shoes are in."
    assert [e["kind"] for e in record["events"]] == ["impression", "click"]

    turn = privacy_request_turn(profiles, "erase everything about me", jane, JANE_CHAT)
    done = privacy_confirm_turn(profiles, turn.pending, True, jane, JANE_CHAT)
    assert "the promotions we prepared or showed you" in done.replies[0].text
    assert store.export_customer(jane) == []
    assert len(store.export_customer(sam)[0]["events"]) == 2  # Sam's stay


# --------------------------------------------------------------------- the marketing choice
def test_see_export_and_delete_cover_the_marketing_choice(shop, profiles, people):
    from bot.privacy.marketing import CUSTOMER_MARKETING, read_marketing, write_marketing

    jane, sam = people["jane"], people["sam"]  # the demo seed: Jane subscribed to offers (import), Sam never chose
    write_marketing(shop, sam, True, "widget", now=T)
    summary = privacy_confirm_turn(profiles, f"see:{jane}", True, jane, JANE_CHAT).replies[0].text
    assert "Offers (promotions in the chat and by e-mail) are on (you subscribed to the shop's offers" in summary
    assert "Personalization is on" in summary  # the two are told apart
    exported = json.loads(privacy_confirm_turn(profiles, f"export:{jane}", True, jane, JANE_CHAT,
                                               rich=False).replies[-1].text)
    assert exported["consent"]["marketing"] == {"marketing": True, "updated_at": T.isoformat(), "source": "import",
                                                "default": False}
    assert "offers" in privacy_request_turn(profiles, "delete my data", jane, JANE_CHAT).replies[0].text

    done = privacy_confirm_turn(profiles, f"delete:{jane}", True, jane, JANE_CHAT)
    assert "your choice about receiving offers (offers are now off)" in done.replies[0].text
    assert done.removed["marketing_consent"] == 1
    with shop.engine.connect() as connection:
        rows = connection.execute(select(CUSTOMER_MARKETING.c.customer_id)).scalars().all()
    assert jane not in rows and sam in rows  # her row is gone, Sam's stays
    assert read_marketing(shop, jane).marketing is False and profiles.marketing(sam) is True
    after = privacy_confirm_turn(profiles, f"see:{jane}", True, jane, JANE_CHAT).replies[0].text
    assert "Offers (promotions in the chat and by e-mail) are off (the shop's default; you haven't chosen)" in after


def test_the_profile_service_and_the_widget_share_one_marketing_flag(shop, profiles, people):
    from bot.privacy import marketing

    sam = people["sam"]
    assert profiles.marketing(sam) is False  # opt-in: off until chosen
    profiles.set_marketing(sam, True, source="chat")
    assert marketing.read_marketing(shop, sam).source == "chat"  # what GET /web/api/consent says
    marketing.write_marketing(shop, sam, False, "widget")
    assert profiles.marketing(sam) is False
    assert profiles.consent(sam) is True  # personalization untouched
    with pytest.raises(ValueError):
        profiles.set_marketing(987654, True)


def test_offers_change_in_the_chat_at_once_apart_from_personalization(shop, profiles, people):
    from bot.privacy.marketing import read_marketing

    jane, sam = people["jane"], people["sam"]  # Jane subscribed to offers in the demo seed, Sam never chose
    off = privacy_request_turn(profiles, "stop sending me offers", jane, JANE_CHAT)
    assert off.pending is None and off.marketing is False and off.consent is None
    assert off.replies[0].custom == {"type": "consent", "marketing": False}  # the widget's Offers switch follows
    assert "no more offers" in off.replies[0].text and "Personalization stays on" in off.replies[0].text
    state = read_marketing(shop, jane)
    assert (state.marketing, state.source) == (False, "chat")
    assert profiles.consent(jane) is True and read_marketing(shop, sam).updated_at is None  # nothing else
    again = privacy_request_turn(profiles, "no more offers", jane, JANE_CHAT)
    assert "(they were already off)" in again.replies[0].text
    on = privacy_request_turn(profiles, "send me offers again", jane, JANE_CHAT)
    assert on.marketing is True and "Offers are on again" in on.replies[0].text
    assert read_marketing(shop, jane).marketing is True
    # the menu's button carries the right as an entity: no words needed
    button = privacy_request_turn(profiles, "/privacy_request", sam, SAM_CHAT, right=OFFERS_OUT)
    assert button.marketing is False and read_marketing(shop, sam).source == "chat"
    # offers without personalization: recorded, and the shopper is told they won't come
    profiles.set_consent(sam, False)
    told = privacy_request_turn(profiles, "subscribe me to the newsletter", sam, SAM_CHAT).replies[0].text
    assert "while personalization is off you won't get any" in told and profiles.marketing(sam) is True


def test_an_anonymous_shopper_has_no_offers_to_stop(shop, profiles, people):
    from bot.privacy.marketing import CUSTOMER_MARKETING

    with shop.engine.connect() as connection:
        rows = len(connection.execute(CUSTOMER_MARKETING.select()).all())
    for text, hint in (("stop sending me offers", "nothing to stop"), ("send me offers again", "Sign in")):
        turn = privacy_request_turn(profiles, text, None, ANON_CHAT)
        assert "not signed in" in turn.replies[0].text and hint in turn.replies[0].text
        assert turn.marketing is None and turn.replies[0].custom is None
    with shop.engine.connect() as connection:
        assert len(connection.execute(CUSTOMER_MARKETING.select()).all()) == rows  # nothing written


def test_the_offers_examples_of_the_training_data_read_as_offers():
    """nlu_data/privacy.yml teaches privacy_request the offers phrasings; each must then be
    read as the offers right it asks for, never as personalization."""
    import yaml

    from tests.test_training_data import ROOT

    block = next(b for b in yaml.safe_load((ROOT / "nlu_data" / "privacy.yml").read_text())["nlu"]
                 if b.get("intent") == "privacy_request")
    texts = [line[2:].strip() for line in block["examples"].splitlines() if line.startswith("- ")]
    offers = [t for t in texts if any(w in t.lower() for w in ("offer", "promotion", "deals", "newsletter",
                                                                "mailing list", "marketing"))
              and "personali" not in t.lower()]
    assert len(offers) >= 10
    rights = {t: requested_right(t) for t in offers}
    assert set(rights.values()) == {OFFERS_OUT, OFFERS_IN}, rights
