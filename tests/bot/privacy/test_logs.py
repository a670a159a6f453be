"""Log records are redacted before any handler writes them."""

import io
import logging

import pytest

from bot.privacy.logs import RedactingFilter, install_log_redaction
from bot.privacy.redaction import CARD, EMAIL, IBAN, PHONE

RAW = ("jane.doe@example.com", "4111 1111 1111 1111", "555-123-4567", "GB82 WEST 1234 5698 7654 32")


@pytest.fixture
def clean_logging():
    """Root and the named loggers as they were, without this module's filters, afterwards."""
    names = ("", "rasa", "rasa_sdk", "sanic", "sanic.access", "rasa.core.processor")
    saved = {name: (list(logging.getLogger(name).handlers), list(logging.getLogger(name).filters),
                    logging.getLogger(name).level) for name in names}
    yield
    for name, (handlers, filters, level) in saved.items():
        logger = logging.getLogger(name)
        logger.handlers[:], logger.filters[:] = handlers, filters
        logger.setLevel(level)
        for handler in handlers:
            handler.filters[:] = [f for f in handler.filters if not isinstance(f, RedactingFilter)]


def capture(logger: logging.Logger) -> io.StringIO:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    return stream


def test_rasa_debug_logs_of_a_message_keep_no_personal_data(clean_logging):
    root_stream = capture(logging.getLogger())
    sanic_stream = capture(logging.getLogger("sanic.access"))
    logging.getLogger("sanic.access").propagate = False
    try:
        assert install_log_redaction() > 0
        assert install_log_redaction() == 0  # idempotent: nothing attached twice
        processor = logging.getLogger("rasa.core.processor")
        processor.debug("Received user message '%s' with intent '%s'",
                        "I'm jane.doe@example.com, card 4111 1111 1111 1111", "inform")
        logging.getLogger("rasa").info("slots: %r", {"phone": "555-123-4567", "iban": RAW[3]})
        logging.getLogger("sanic.access").info("POST /webhook?email=jane.doe@example.com 200")
        try:
            raise ValueError("bad value 4111.1111.1111.1111")
        except ValueError:
            logging.getLogger("rasa_sdk").exception("action failed for %s", "jane.doe@example.com")
    finally:
        logging.getLogger("sanic.access").propagate = True
    written = root_stream.getvalue() + sanic_stream.getvalue()
    for raw in RAW + ("4111.1111.1111.1111",):
        assert raw not in written
    assert f"I'm {EMAIL}, card {CARD}" in written
    assert PHONE in written and IBAN in written
    assert "ValueError: bad value [card number]" in written
    assert "Received user message" in written and "POST /webhook" in written


def test_the_filter_never_drops_records_and_leaves_clean_ones_alone():
    record = logging.LogRecord("rasa", logging.INFO, __file__, 1, "listening on %s:%d", ("0.0.0.0", 5005), None)
    assert RedactingFilter().filter(record) is True
    assert record.args == ("0.0.0.0", 5005) and record.getMessage() == "listening on 0.0.0.0:5005"
    broken = logging.LogRecord("rasa", logging.INFO, __file__, 1, "%d items", ("x",), None)
    assert RedactingFilter().filter(broken) is True
