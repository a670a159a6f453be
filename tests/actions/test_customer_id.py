"""``actions.base.customer_id``: the signed-in shopper, only from the server-set metadata.

What reaches an action is what ``bot.web.inbound.prepare`` stamped: the customer id of a
verified identity token under ``metadata["shopbot"]``; the token itself never arrives, and
a client's own ``customer_id`` anywhere else counts for nothing."""

from actions.base import client_key, customer_id
from bot.identity.tokens import mint
from tests.actions.conftest import make_tracker


def test_the_customer_id_comes_only_from_server_set_metadata():
    assert customer_id(make_tracker()) is None
    assert customer_id(make_tracker(metadata={"shopbot": {"customer_id": 17, "channel": "rest"}})) == 17
    signed = make_tracker(metadata={"shopbot": {"customer_id": 3, "client": "abc"}})
    assert (customer_id(signed), client_key(signed)) == (3, "abc")


def test_anything_else_is_anonymous():
    token = mint(17, secret="any-secret")
    for junk in ({"customer_id": 17}, {"identity": token}, {"shopbot": 17}, {"shopbot": {"identity": token}},
                 {"shopbot": {"customer_id": "17"}}, {"shopbot": {"customer_id": True}},
                 {"shopbot": {"customer_id": 0}}, {"shopbot": {"customer_id": -4}},
                 {"shopbot": {"customer_id": 17.0}}, {"shopbot": {"customer_id": None}}):
        assert customer_id(make_tracker(metadata=junk)) is None, junk
