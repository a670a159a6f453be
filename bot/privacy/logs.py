"""Keeping personal data out of the logs.

Rasa logs parsed messages, slots and tracker states at debug level, Sanic logs request
lines, and an exception's text may quote what the shopper typed. ``RedactingFilter``
rewrites each record's message (and its exception text) with ``redact_text`` before a
handler formats it; ``install_log_redaction()`` puts it on the root logger's handlers
and on Rasa's, the SDK's and Sanic's loggers and handlers.

Cheap on the common path: a message is only searched when it contains an ``@`` or a
digit, which every kind of personal data redacted here has.
"""

import logging
import re
from typing import Iterable, List

from bot.privacy.redaction import redact_text

LOGGER_NAMES = ("rasa", "rasa_sdk", "sanic")
_MAY_HOLD_PERSONAL_DATA = re.compile(r"[@\d]")


class RedactingFilter(logging.Filter):
    """Redacts a record's message; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a record whose arguments do not fit its format: leave it to logging
            return True
        if _MAY_HOLD_PERSONAL_DATA.search(message):
            redacted = redact_text(message)
            if redacted != message:
                record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            # formatted here (as Formatter.format would), so the handler uses this text
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text and _MAY_HOLD_PERSONAL_DATA.search(record.exc_text):
            record.exc_text = redact_text(record.exc_text)
        if record.stack_info and _MAY_HOLD_PERSONAL_DATA.search(record.stack_info):
            record.stack_info = redact_text(record.stack_info)
        return True


_FILTER = RedactingFilter()


def _attach(target: "logging.Filterer") -> bool:
    if any(isinstance(existing, RedactingFilter) for existing in target.filters):
        return False
    target.addFilter(_FILTER)
    return True


def _loggers(names: Iterable[str]) -> List[logging.Logger]:
    """The named loggers and every existing logger below them (``sanic.access``, ...)."""
    found = [logging.getLogger(name) for name in names]
    for name, logger in list(logging.Logger.manager.loggerDict.items()):
        if isinstance(logger, logging.Logger) and any(name.startswith(f"{parent}.") for parent in names):
            found.append(logger)
    return found


def install_log_redaction(names: Iterable[str] = LOGGER_NAMES) -> int:
    """Attach the redacting filter to the root logger's handlers and to the named loggers
    (``rasa``, ``rasa_sdk``, ``sanic`` and their children) and their handlers.

    A filter on a logger only sees records logged on that very logger, a filter on a
    handler every record it writes, so both get one. Safe to call again (after logging
    is reconfigured, say): nothing is attached twice. Returns how many filters were added.
    """
    names = tuple(names)
    targets: List["logging.Filterer"] = list(logging.getLogger().handlers)
    for logger in _loggers(names):
        targets.append(logger)
        targets.extend(logger.handlers)
    return sum(_attach(target) for target in targets)
