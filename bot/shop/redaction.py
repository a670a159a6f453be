"""Kept for imports of the old location: the redaction lives in ``bot.privacy.redaction``."""

from bot.privacy.redaction import *  # noqa: F401,F403
from bot.privacy.redaction import luhn_valid, mask_email, redact_text, redact_transcript, redact_value  # noqa: F401
