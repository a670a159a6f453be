import pytest

from bot.shop.redaction import CARD, EMAIL, PHONE, luhn_valid, redact_text, redact_transcript


@pytest.mark.parametrize("card", ["4111111111111111", "4111 1111 1111 1111", "4111-1111-1111-1111",
                                  "5555 5555 5555 4444", "378282246310005", "6011000990139424"])
def test_luhn_valid_card_numbers_are_redacted(card):
    assert redact_text(f"my card is {card}, thanks") == f"my card is {CARD}, thanks"


def test_numbers_that_are_not_cards_stay():
    assert not luhn_valid("4111111111111112")
    text = "not a card 4111 1111 1111 1112 nor 123"
    assert redact_text(text) == text


@pytest.mark.parametrize("phone", ["+1 555-123-4567", "(555) 123-4567", "555-123-4567", "555.123.4567",
                                   "5551234567", "+44 20 7946 0958", "+4915112345678", "555 1234"])
def test_phone_numbers_are_redacted(phone):
    assert redact_text(f"call me at {phone} please") == f"call me at {PHONE} please"


def test_emails_other_than_the_customers_are_redacted():
    text = "I'm Jane.Doe@example.com, my husband is bob+shop@mail.example.org"
    assert redact_text(text, keep_email="jane.doe@example.com") == (
        f"I'm Jane.Doe@example.com, my husband is {EMAIL}")
    assert redact_text(text) == f"I'm {EMAIL}, my husband is {EMAIL}"


@pytest.mark.parametrize("text", [
    "Where is ORD-100234?", "order #100234", "a laptop under $1,299.99", "delivered on 2025-05-03",
    "tracking 1Z999AA10123456784", "tracking 9400111899223197428490", "FedEx 123456789012",
    "I bought 2 phones for 799 each", "between 9am and 6pm", "RMA-7KQ2PX",
])
def test_shop_data_is_left_alone(text):
    assert redact_text(text) == text


def test_transcripts_are_redacted_deeply_without_changing_the_input():
    transcript = [
        {"sender": "user", "text": "card 4111111111111111, phone 555-123-4567", "timestamp": 1.5},
        {"sender": "bot", "text": "Thanks", "buttons": [{"title": "mail a@b.example.com"}]},
    ]
    redacted = redact_transcript(transcript, keep_email=None)
    assert redacted[0] == {"sender": "user", "text": f"card {CARD}, phone {PHONE}", "timestamp": 1.5}
    assert redacted[1]["buttons"][0]["title"] == f"mail {EMAIL}"
    assert transcript[0]["text"].startswith("card 4111")
    assert redact_transcript(None) == []
