"""Shadow runs: the legacy and new callables run here, in Python (plainly or as asyncio
coroutines); whether a context is sampled, the comparison and the tallies are the SDK's, through
the ``ShadowRun`` that ``Client.shadow`` and ``Client.shadow_async`` set up.

The outcomes mirror the Rust SDK's ``Shadow::run`` and ``Shadow::run_async``: a value is compared
with the legacy one, an exception counts as an error of the new path, a Rust panic escaping it
(``PanicException``) as a panic, and a new path that overruns the timeout as a timeout (a plain
callable cannot be interrupted: one that returns or raises late counts as timed out; a coroutine
is cancelled by ``asyncio.wait_for``). The legacy result is always what the caller gets.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from typing import Any, Callable, Tuple

from cutover._native import PanicException, ShadowRun

log = logging.getLogger("cutover")

Outcome = Tuple[Any, ...]


class ReadOnly:
    """Handed to a shadow run's new path: its result is thrown away and the legacy path already
    did the work, so whatever it does must not write."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "cutover.READ_ONLY"


READ_ONLY = ReadOnly()


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


def _record(run: ShadowRun, legacy: Any, outcome: Outcome) -> None:
    try:
        kind = outcome[0]
        if kind == "value":
            run.record_value(legacy, outcome[1])
        elif kind == "error":
            run.record_error(legacy, outcome[1])
        elif kind == "panic":
            run.record_panic(legacy)
        else:
            run.record_timeout(legacy)
    except Exception as error:  # the caller gets its legacy result whatever the tally does
        log.warning("shadow run of %r not counted: %s", run.flag, error)


def run(run: ShadowRun, legacy: Callable[[], Any], new: Callable[[ReadOnly], Any]) -> Any:
    result = legacy()
    if not run.sampled:
        return result
    started = time.perf_counter()
    outcome: Outcome
    try:
        outcome = ("value", new(READ_ONLY))
    except PanicException:
        outcome = ("panic",)
    except Exception as error:
        outcome = ("error", _describe(error))
    # As the Rust SDK: a call that came back (with a value or an error) after the timeout counts
    # as timed out; its result is discarded.
    if outcome[0] != "panic" and time.perf_counter() - started > run.timeout:
        outcome = ("timeout",)
    _record(run, result, outcome)
    return result


async def _call(target: Any, *args: Any) -> Any:
    """Awaits a coroutine function's coroutine, an awaitable, or a plain callable's value."""
    if inspect.isawaitable(target):
        return await target
    value = target(*args)
    if inspect.isawaitable(value):
        value = await value
    return value


async def _new_outcome(new: Any) -> Outcome:
    # The new path's own exceptions become outcomes here, so a TimeoutError out of wait_for can
    # only be the timeout.
    try:
        return ("value", await _call(new, READ_ONLY))
    except PanicException:
        return ("panic",)
    except Exception as error:
        return ("error", _describe(error))


async def run_async(run: ShadowRun, legacy: Any, new: Any) -> Any:
    if not run.sampled:
        return await _call(legacy)
    new_task = asyncio.ensure_future(asyncio.wait_for(_new_outcome(new), run.timeout))
    try:
        result = await _call(legacy)
    except BaseException:
        new_task.cancel()
        raise
    try:
        outcome = await new_task
    except asyncio.TimeoutError:
        outcome = ("timeout",)
    _record(run, result, outcome)
    return result
