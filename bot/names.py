"""Intent, action and form names the code refers to, in one place.

The names are defined by ``domain.yml`` (and, for a few, by Rasa itself); code that
compares against them or sends them (the widget's "Talk to a person" button, the
rephrase buttons, the console's filters, handoff detection) imports them from here, so
a rename is one edit and ``tests/web/test_names.py`` fails when a name here is missing
from the domain. Plain constants only: importable by the Rasa server, the action
server and the NLU components alike.
"""

from typing import FrozenSet

# --- intents (domain.yml) ---------------------------------------------------------------
GREET = "greet"
GOODBYE = "goodbye"
AFFIRM = "affirm"
DENY = "deny"
THANK = "thank"
BOT_CHALLENGE = "bot_challenge"
OUT_OF_SCOPE = "out_of_scope"
FAQ = "faq"
ORDER_STATUS = "order_status"
RETURN_REQUEST = "return_request"
COMPLAINT = "complaint"
HUMAN_HANDOFF = "human_handoff"
PRODUCT_INFO = "product_info"
COMPARE_PRODUCTS = "compare_products"
PRODUCT_COMPATIBILITY = "product_compatibility"
RECOMMEND = "recommend"
SEARCH_PRODUCTS = "search_products"
INFORM_PREFERENCE = "inform_preference"
INFORM = "inform"
PRIVACY_REQUEST = "privacy_request"
NLU_FALLBACK = "nlu_fallback"  # set by Rasa's FallbackClassifier; listed in domain.yml

# Rasa's own default intents (always in a loaded domain)
RESTART = "restart"
SESSION_START = "session_start"

# --- custom actions (domain.yml) ----------------------------------------------------------
ACTION_REPHRASE_OPTIONS = "action_rephrase_options"
ACTION_FAQ = "action_faq"
ACTION_PRODUCT_INFO = "action_product_info"
ACTION_COMPARE_PRODUCTS = "action_compare_products"
ACTION_PRODUCT_COMPATIBILITY = "action_product_compatibility"
ACTION_ORDER_STATUS = "action_order_status"
ACTION_ASK_ORDER_ID = "action_ask_order_id"
ACTION_ASK_EMAIL = "action_ask_email"
ACTION_ASK_RETURN_ITEM = "action_ask_return_item"
ACTION_ASK_RETURN_REASON = "action_ask_return_reason"
ACTION_SUBMIT_RETURN = "action_submit_return"
ACTION_HUMAN_HANDOFF = "action_human_handoff"
ACTION_RECOMMEND = "action_recommend"
ACTION_SEARCH_PRODUCTS = "action_search_products"
ACTION_INFORM_PREFERENCE = "action_inform_preference"
VALIDATE_ORDER_STATUS_FORM = "validate_order_status_form"
VALIDATE_RETURN_FORM = "validate_return_form"
ACTION_PRIVACY_REQUEST = "action_privacy_request"
ACTION_PRIVACY_CONFIRM = "action_privacy_confirm"

# Rasa's own default actions
ACTION_LISTEN = "action_listen"
ACTION_RESTART = "action_restart"
ACTION_SESSION_START = "action_session_start"
ACTION_DEFAULT_FALLBACK = "action_default_fallback"
ACTION_TWO_STAGE_FALLBACK = "action_two_stage_fallback"

# --- forms (domain.yml) -------------------------------------------------------------------
ORDER_STATUS_FORM = "order_status_form"
RETURN_FORM = "return_form"

# --- groups the web side reads conversations with -----------------------------------------
FALLBACK_INTENTS: FrozenSet[str] = frozenset({NLU_FALLBACK})
FALLBACK_ACTIONS: FrozenSet[str] = frozenset(
    {ACTION_REPHRASE_OPTIONS, ACTION_DEFAULT_FALLBACK, ACTION_TWO_STAGE_FALLBACK})
HANDOFF_INTENTS: FrozenSet[str] = frozenset({HUMAN_HANDOFF})
HANDOFF_ACTIONS: FrozenSet[str] = frozenset({ACTION_HUMAN_HANDOFF})


def command(intent: str) -> str:
    """The message that triggers ``intent`` directly (a button's payload): ``/human_handoff``."""
    return "/" + intent


INTENTS: FrozenSet[str] = frozenset({
    GREET, GOODBYE, AFFIRM, DENY, THANK, BOT_CHALLENGE, OUT_OF_SCOPE, FAQ, ORDER_STATUS, RETURN_REQUEST,
    COMPLAINT, HUMAN_HANDOFF, PRODUCT_INFO, COMPARE_PRODUCTS, PRODUCT_COMPATIBILITY, RECOMMEND,
    SEARCH_PRODUCTS, INFORM_PREFERENCE, INFORM, PRIVACY_REQUEST, NLU_FALLBACK, RESTART, SESSION_START})
ACTIONS: FrozenSet[str] = frozenset({
    ACTION_REPHRASE_OPTIONS, ACTION_FAQ, ACTION_PRODUCT_INFO, ACTION_COMPARE_PRODUCTS,
    ACTION_PRODUCT_COMPATIBILITY, ACTION_ORDER_STATUS, ACTION_ASK_ORDER_ID, ACTION_ASK_EMAIL,
    ACTION_ASK_RETURN_ITEM, ACTION_ASK_RETURN_REASON, ACTION_SUBMIT_RETURN, ACTION_HUMAN_HANDOFF,
    ACTION_RECOMMEND, ACTION_SEARCH_PRODUCTS, ACTION_INFORM_PREFERENCE,
    VALIDATE_ORDER_STATUS_FORM, VALIDATE_RETURN_FORM, ACTION_PRIVACY_REQUEST, ACTION_PRIVACY_CONFIRM,
    ACTION_LISTEN, ACTION_RESTART, ACTION_SESSION_START, ACTION_DEFAULT_FALLBACK, ACTION_TWO_STAGE_FALLBACK})
FORMS: FrozenSet[str] = frozenset({ORDER_STATUS_FORM, RETURN_FORM})
