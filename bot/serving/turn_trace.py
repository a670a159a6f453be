"""Where a turn's time goes inside ``rasa run``: a diagnostic for the load benchmark.

The load benchmark measures latency from the client; the servers' CPU per message is
small, so a slow turn mostly *waits*. With ``SHOPBOT_TRACE_TURNS=<file>`` every handled
message appends one JSON line to the file with the time (ms) it spent in each phase:

- ``lock``: waiting for Rasa's lock on the conversation;
- ``queue`` / ``infer`` / ``resume``: waiting for the inference thread, running on it (NLU
  parse and each next-action prediction; ``calls`` counts them), and the event loop's
  delay in picking the result up;
- ``action``: custom actions (the HTTP call to the action server and its answer);
- ``store``: tracker store reads and writes;
- ``total``: ``MessageProcessor.handle_message`` from start to end; what is not in a
  phase above is the event loop's own work and its waits for the GIL and a CPU.

Off (nothing installed, no cost) unless the variable is set. ``install()`` is called by
``bot.serving.rasa_tuning.install`` after the inference threads are in place.
"""

import contextvars
import functools
import json
import os
import threading
import time
from typing import Any, Dict, Optional

_turn: contextvars.ContextVar = contextvars.ContextVar("shopbot_turn", default=None)
_write_lock = threading.Lock()
_last_done = [0.0]  # when the inference thread last finished a call (one thread assumed)


def trace_file() -> Optional[str]:
    return os.environ.get("SHOPBOT_TRACE_TURNS") or None


def _add(phase: str, seconds: float) -> None:
    turn = _turn.get()
    if turn is not None:
        turn[phase] = turn.get(phase, 0.0) + seconds * 1000.0


def _timed_async(phase: str, function: Any) -> Any:
    @functools.wraps(function)
    async def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return await function(*args, **kwargs)
        finally:
            _add(phase, time.perf_counter() - started)

    return wrapper


def install() -> bool:
    """Wrap the phases (see the module docstring) when ``SHOPBOT_TRACE_TURNS`` is set."""
    path = trace_file()
    if not path:
        return False
    from rasa.core.actions.action import RemoteAction
    from rasa.core.lock_store import LockStore
    from rasa.core.processor import MessageProcessor
    from rasa.core.tracker_store import TrackerStore

    from bot.serving import rasa_tuning

    original_handle = MessageProcessor.handle_message

    @functools.wraps(original_handle)
    async def handle_message(self: Any, message: Any) -> Any:
        turn: Dict[str, Any] = {"at": time.time(), "sender": str(message.sender_id)[-12:]}
        token = _turn.set(turn)
        started = time.perf_counter()
        try:
            return await original_handle(self, message)
        finally:
            turn["total"] = (time.perf_counter() - started) * 1000.0
            _turn.reset(token)
            line = json.dumps({k: (round(v, 2) if isinstance(v, float) else v) for k, v in turn.items()})
            with _write_lock, open(path, "a") as handle:
                handle.write(line + "\n")

    MessageProcessor.handle_message = handle_message

    original_off = rasa_tuning.off_the_loop

    async def off_the_loop(function: Any, *args: Any) -> Any:
        submitted = time.perf_counter()
        began: Dict[str, float] = {}

        def run() -> Any:
            began["at"] = time.perf_counter()
            began["free"] = _last_done[0]
            try:
                return function(*args)
            finally:
                began["done"] = _last_done[0] = time.perf_counter()

        try:
            return await original_off(run)
        finally:
            ended = time.perf_counter()
            start = began.get("at", ended)
            done = began.get("done", ended)
            _add("queue", start - submitted)
            # of the queue, the part when the thread was already free (waiting for the GIL)
            _add("queue_free", max(0.0, start - max(submitted, began.get("free", submitted))))
            _add("infer", done - start)
            _add("resume", ended - done)  # the event loop's delay in taking the result
            kind = "parse" if "parse" in getattr(function, "__name__", "") else "predict"
            _add(f"infer_{kind}", done - start)
            turn = _turn.get()
            if turn is not None:
                turn["calls"] = turn.get("calls", 0) + 1

    rasa_tuning.off_the_loop = off_the_loop
    RemoteAction.run = _timed_async("action", RemoteAction.run)
    original_lock = LockStore.lock

    @functools.wraps(original_lock)
    def lock(self: Any, *args: Any, **kwargs: Any) -> Any:
        manager = original_lock(self, *args, **kwargs)
        return _TimedEnter(manager)

    LockStore.lock = lock
    for cls in {type(c) for c in TrackerStore.__subclasses__()} | set(_all_subclasses(TrackerStore)):
        for name in ("save", "retrieve", "retrieve_full_tracker"):
            method = cls.__dict__.get(name)
            if method is not None and getattr(method, "__shopbot_traced__", False) is False:
                traced = _timed_async("store", method)
                traced.__shopbot_traced__ = True
                setattr(cls, name, traced)
    return True


def _all_subclasses(cls: Any) -> Any:
    for sub in cls.__subclasses__():
        yield sub
        yield from _all_subclasses(sub)


class _TimedEnter:
    """An async context manager that counts the time spent entering ``manager`` as ``lock``."""

    def __init__(self, manager: Any) -> None:
        self.manager = manager

    async def __aenter__(self) -> Any:
        started = time.perf_counter()
        try:
            return await self.manager.__aenter__()
        finally:
            _add("lock", time.perf_counter() - started)

    async def __aexit__(self, *exc: Any) -> Any:
        return await self.manager.__aexit__(*exc)
