"""Per-message costs of ``rasa run`` that are pure waste, removed without changing behaviour.

Measured in the load benchmark's profile (BENCHMARKS.md, "Load and throughput"): Rasa's
event loop spent 37 of its 93 ms per message of an order conversation checking the action
server's answers, because ``RemoteAction._validate_action_result`` calls
``jsonschema.validate``, which re-checks the whole (constant) events schema before every
check. Here the validator is built once and reused: the same schema, the same errors
(with Rasa's hint appended), 0.5 ms instead of 20.

The model's forward passes (our NLU encoder in torch, the policies with TED in
TensorFlow) ran on the event loop too: about 35 ms of every message during which no other
shopper's request, tracker or action call could move. ``install()`` runs them on a small
pool of worker threads instead (``SHOPBOT_INFERENCE_THREADS``, default 1; 0 keeps them on
the loop). torch and TensorFlow release the GIL while they compute, so the loop serves the
other conversations meanwhile, and the second core does work the loop used to wait for.
The same graph runs with the same inputs: only the thread differs. Rasa's lock per
conversation still admits one turn per conversation at a time, so no tracker is ever used
by two threads at once; with one worker thread, inference calls never overlap either.

Where the rule policy decides the next action (a rule applies: confidence 1.0, and it
outranks every other policy), TED's answer cannot change the outcome, yet Rasa computes
it for every predicted action (2 to 4 per message). With ``SHOPBOT_RULES_FIRST`` (default
on) the rule policy runs first, and only when it is not certain do the other policies run:
the ensemble then picks from the same predictions as before. It stays off for any policy
set where a skipped policy could still win or add events (end-to-end TED, UnexpecTED,
custom policies, a priority above the rule policy's).

Rasa opens a new HTTP client session, and so a new connection, for every action call
(``EndpointConfig.request``). ``install()`` gives each endpoint one session per event loop
that keeps its connections alive (closed by the client after 15 s idle, well before the
action server's 75 s), as an HTTP client should.

``install()`` is called by ``bot.serving.rasa_run`` (the project's ``rasa run``), once,
before Rasa loads anything.
"""

import asyncio
import copy
import logging
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, Optional, Text

logger = logging.getLogger(__name__)
_installed = False
_executor: Optional[ThreadPoolExecutor] = None
DEFAULT_INFERENCE_THREADS = 1


def inference_threads() -> int:
    """``SHOPBOT_INFERENCE_THREADS`` (default 1); 0 runs inference on the event loop as Rasa does."""
    try:
        return max(0, int(os.environ.get("SHOPBOT_INFERENCE_THREADS", DEFAULT_INFERENCE_THREADS)))
    except ValueError:
        return DEFAULT_INFERENCE_THREADS


def inference_executor() -> Optional[ThreadPoolExecutor]:
    """The worker threads that run the model's graph, made on first use (None: on the loop)."""
    global _executor
    threads = inference_threads()
    if threads == 0:
        return None
    if _executor is None:
        _executor = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="shopbot-inference")
    return _executor


async def off_the_loop(function: Any, *args: Any) -> Any:
    """``function(*args)`` on the inference threads (or inline when there are none)."""
    executor = inference_executor()
    if executor is None:
        return function(*args)
    return await asyncio.get_running_loop().run_in_executor(executor, function, *args)


def _cached_validator(spec: Dict[Text, Any]) -> Any:
    from jsonschema.validators import validator_for

    cls = validator_for(spec)
    cls.check_schema(spec)  # once, as jsonschema.validate does on every call
    return cls(spec)


def install() -> bool:
    """Install the cached action-answer validator and the inference threads (idempotent)."""
    global _installed
    if _installed:
        return False
    _install_validator()
    _install_inference_threads()
    _install_rules_first()
    _install_shared_sessions()
    _install_gc_freeze()
    _install_switch_interval()
    from bot.serving import turn_trace

    turn_trace.install()  # a diagnostic, only with SHOPBOT_TRACE_TURNS
    _installed = True
    return True


def _install_validator() -> None:
    """Patch ``RemoteAction._validate_action_result`` to a validator built once."""
    from jsonschema import ValidationError
    from rasa.core.actions.action import RemoteAction
    from rasa.shared.constants import DOCS_BASE_URL

    validator = _cached_validator(RemoteAction.action_response_format_spec())

    def _validate_action_result(self: Any, result: Dict[Text, Any]) -> bool:
        try:
            validator.validate(result)
            return True
        except ValidationError as e:
            e.message += (
                f". Failed to validate Action server response from API, "
                f"make sure your response from the Action endpoint is valid. "
                f"For more information about the format visit "
                f"{DOCS_BASE_URL}/custom-actions"
            )
            raise e

    RemoteAction._validate_action_result = _validate_action_result
    logger.debug("action answers are validated with a schema validator built once")


def _install_inference_threads() -> None:
    """Run ``MessageProcessor``'s NLU parse and next-action prediction off the event loop.

    Two methods of Rasa 3.6.21's ``MessageProcessor`` are replaced by copies that differ
    only in awaiting the graph run on ``inference_executor()``: ``parse_message`` (around
    ``_parse_message_with_graph``) and ``_run_prediction_loop`` (around
    ``predict_next_with_tracker_if_should``). Rasa's other callers (``rasa test``,
    ``/model/parse`` through ``parse_message`` too) see the same results.
    """
    from rasa.core.processor import ActionLimitReached, MessageProcessor, structlogger
    from rasa.core.processor import logger as processor_logger
    from rasa.shared.core.trackers import DialogueStateTracker

    async def parse_message(self: Any, message: Any, tracker: Any = None,
                            only_output_properties: bool = True) -> Dict[Text, Any]:
        if self.http_interpreter:
            parse_data = await self.http_interpreter.parse(message)
        else:
            if tracker is None:
                tracker = DialogueStateTracker.from_events(message.sender_id, [])
            parse_data = await off_the_loop(
                self._parse_message_with_graph, message, tracker, only_output_properties
            )
        self._update_full_retrieval_intent(parse_data)
        structlogger.debug(
            "processor.message.parse",
            parse_data_text=copy.deepcopy(parse_data["text"]),
            parse_data_intent=parse_data["intent"],
            parse_data_entities=copy.deepcopy(parse_data["entities"]),
        )
        self._check_for_unseen_features(parse_data)
        return parse_data

    async def _run_prediction_loop(self: Any, output_channel: Any, tracker: Any) -> None:
        should_predict_another_action = True
        while should_predict_another_action and self._should_handle_message(tracker):
            try:
                action, prediction = await off_the_loop(self.predict_next_with_tracker_if_should, tracker)
            except ActionLimitReached:
                processor_logger.warning(
                    "Circuit breaker tripped. Stopped predicting "
                    f"more actions for sender '{tracker.sender_id}'."
                )
                if self.on_circuit_break:
                    self.on_circuit_break(tracker, output_channel, self.nlg)
                break
            if prediction.is_end_to_end_prediction:
                processor_logger.debug(
                    "An end-to-end prediction was made which has triggered the 2nd "
                    "execution of the default action 'action_extract_slots'."
                )
                tracker = await self.run_action_extract_slots(output_channel, tracker)
            should_predict_another_action = await self._run_action(
                action, tracker, output_channel, self.nlg, prediction
            )

    if inference_threads() == 0:
        return
    MessageProcessor.parse_message = parse_message
    MessageProcessor._run_prediction_loop = _run_prediction_loop
    logger.debug("NLU and policies run on %s worker thread(s)", inference_threads())


# policies whose prediction cannot beat a certain rule prediction nor add events to it
_SKIPPABLE = ("MemoizationPolicy", "AugmentedMemoizationPolicy", "TEDPolicy")


def rules_first_enabled() -> bool:
    return os.environ.get("SHOPBOT_RULES_FIRST", "1") != "0"


def rules_first_plan(processor: Any) -> Optional[Dict[Text, Any]]:
    """For ``processor``'s policy graph: the rule policy's node and the nodes that may be
    skipped when it is certain, or None where skipping could change a prediction."""
    cached = getattr(processor, "_shopbot_rules_first", False)
    if cached is not False:
        return cached
    plan = None
    try:
        from rasa.shared.nlu.constants import TEXT

        runner = processor.graph_runner
        schema = runner._graph_schema.minimal_graph_schema([processor.model_metadata.core_target])
        policies = {name: node for name, node in schema.nodes.items() if node.fn == "predict_action_probabilities"}
        rules = [name for name, node in policies.items() if node.uses.__name__ == "RulePolicy"]
        if len(rules) == 1:
            rule = rules[0]
            priority = lambda name: policies[name].config.get(  # noqa: E731
                "priority", policies[name].uses.get_default_config().get("priority", 0))
            skip = {}
            for name in policies:
                if name == rule:
                    continue
                component = runner._instantiated_nodes[name]._component
                kind = policies[name].uses.__name__
                e2e = kind == "TEDPolicy" and (
                    getattr(component, "only_e2e", True) or TEXT in (getattr(component, "fake_features", None) or {}))
                if kind not in _SKIPPABLE or e2e or priority(name) >= priority(rule):
                    skip = None
                    break
                skip[name] = component
            if skip:
                plan = {"rule": rule, "skip": skip}
    except Exception:  # noqa: BLE001 - a Rasa internals change: predict as Rasa does
        logger.warning("rules-first prediction is off: the policy graph is not the expected shape", exc_info=True)
        plan = None
    processor._shopbot_rules_first = plan
    return plan


def _last_action_rejected(tracker: Any) -> bool:
    """Whether the last action was rejected: the ensemble then zeroes that action in every
    prediction, so a certain rule prediction of it may lose to another policy."""
    from rasa.shared.core.events import ActionExecuted, ActionExecutionRejected

    for event in reversed(tracker.events):
        if isinstance(event, ActionExecutionRejected):
            return True
        if isinstance(event, ActionExecuted):
            return False
    return False


def _install_rules_first() -> None:
    """Replace ``MessageProcessor._predict_next_with_tracker`` by a copy of Rasa 3.6.21's
    that runs the rule policy's node first and, where it is certain, hands the graph the
    skippable policies' empty predictions (what each returns without a model) instead of
    running them. The ensemble node combines as always; ``graph_runner.run`` takes a
    node's value as an input, which is how Rasa feeds the tracker into the same graph."""
    from rasa.core.policies.policy import PolicyPrediction
    from rasa.core.processor import FOLLOWUP_ACTION, MessageProcessor, PLACEHOLDER_TRACKER
    from rasa.core.processor import logger as processor_logger

    if not rules_first_enabled():
        return

    def _predict_next_with_tracker(self: Any, tracker: Any) -> Any:
        followup_action = tracker.followup_action
        if followup_action:
            tracker.clear_followup_action()
            if followup_action in self.domain.action_names_or_texts:
                return PolicyPrediction.for_action_name(self.domain, followup_action, FOLLOWUP_ACTION)
            processor_logger.error(
                f"Trying to run unknown follow-up action '{followup_action}'. "
                "Instead of running that, Rasa Open Source will ignore the action "
                "and predict the next action."
            )
        target = self.model_metadata.core_target
        if not target:
            raise ValueError("Cannot predict next action if there is no core target.")
        inputs: Dict[Text, Any] = {PLACEHOLDER_TRACKER: tracker}
        plan = rules_first_plan(self)
        if plan is not None:
            rule = plan["rule"]
            prediction = self.graph_runner.run(inputs=inputs, targets=[rule])[rule]
            inputs[rule] = prediction
            if prediction.max_confidence >= 1.0 and not _last_action_rejected(tracker):
                for name, policy in plan["skip"].items():
                    inputs[name] = policy._prediction(policy._default_predictions(self.domain))
        results = self.graph_runner.run(inputs=inputs, targets=[target])
        return results[target]

    MessageProcessor._predict_next_with_tracker = _predict_next_with_tracker
    logger.debug("the rule policy decides first; the other policies run where it is not certain")


class _KeptSession:
    """``async with`` on a shared session: enters it, never closes it."""

    def __init__(self, session: Any) -> None:
        self.session = session

    async def __aenter__(self) -> Any:
        return self.session

    async def __aexit__(self, *exc: Any) -> None:
        return None


def _install_shared_sessions() -> None:
    """``EndpointConfig.session()`` returns the endpoint's kept session for the running loop."""
    import aiohttp
    from rasa.utils.endpoints import DEFAULT_REQUEST_TIMEOUT, EndpointConfig

    if os.environ.get("SHOPBOT_KEEP_SESSIONS", "1") == "0":
        return

    def session(self: Any) -> Any:
        loop = asyncio.get_running_loop()
        kept = getattr(self, "_shopbot_session", None)
        if kept is None or kept[0] is not loop or kept[1].closed:
            auth = (aiohttp.BasicAuth(self.basic_auth["username"], self.basic_auth["password"])
                    if self.basic_auth else None)
            kept = (loop, aiohttp.ClientSession(
                headers=self.headers, auth=auth, timeout=aiohttp.ClientTimeout(total=DEFAULT_REQUEST_TIMEOUT),
                connector=aiohttp.TCPConnector(keepalive_timeout=15),
            ))
            self._shopbot_session = kept
        return _KeptSession(kept[1])

    EndpointConfig.session = session
    logger.debug("endpoint calls keep their HTTP connections alive")


def _install_gc_freeze() -> None:
    """Once a model is loaded, move every object that exists then out of the garbage
    collector's reach (``gc.freeze``): the models' millions of long-lived objects are then
    never traversed again by a full collection, which otherwise pauses the event loop for
    every conversation at once (``SHOPBOT_GC_FREEZE=0``: as Rasa does)."""
    import gc

    from rasa.core.processor import MessageProcessor

    if os.environ.get("SHOPBOT_GC_FREEZE", "1") == "0":
        return
    original = MessageProcessor.__init__

    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        gc.collect()
        gc.freeze()
        logger.debug("%s objects of the loaded model frozen out of garbage collection", gc.get_freeze_count())

    MessageProcessor.__init__ = __init__


def _install_switch_interval() -> None:
    """``SHOPBOT_GIL_SWITCH_MS``: the GIL switch interval (unset: Python's 5 ms), for
    experiments on how the event loop and the inference thread hand the GIL over; 0.5 ms
    measured no better in the think-time cells (BENCHMARKS.md, "Where a turn waits")."""
    import sys

    value = os.environ.get("SHOPBOT_GIL_SWITCH_MS")
    if value:
        sys.setswitchinterval(float(value) / 1000.0)
