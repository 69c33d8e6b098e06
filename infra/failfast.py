"""End a failed program promptly, with its own message, instead of hanging.

Why a program that raises can hang: after the program function returns (or raises), the Python
SDK's ``run_pulumi_func`` waits for every outstanding RPC and every tracked Output to settle before
it re-raises. A deferred Output (``pulumi.deferred_output``) is a bare future that only the code
*after* the failure would have resolved; every resource registration waiting on it then waits
forever, and so does the SDK — under mocks and under ``pulumi preview``/``up`` alike.

:func:`run_failing_fast` resolves every deferred Output still unresolved (they are created with
:func:`deferred_output`, which tracks them) with the program's own exception, so the waiting
registrations fail at once and the SDK re-raises that same exception: the engine and
``infra.cli`` then print its one-line message. Exceptions raised inside an ``apply`` already end
the run (their Output fails, and with it every registration that waits on it).
"""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable

import pulumi


class ProgramError(pulumi.RunError):
    """A component refused its arguments while the program ran: one line, no traceback."""


_UNRESOLVED: contextvars.ContextVar[dict[int, Callable[[pulumi.Output], None]] | None] = contextvars.ContextVar(
    "unresolved_deferred_outputs", default=None
)


def deferred_output() -> tuple[pulumi.Output, Callable[[pulumi.Output], None]]:
    """``pulumi.deferred_output`` whose resolution is tracked, so a failed run can fail it."""
    output, resolve = pulumi.deferred_output()
    unresolved = _UNRESOLVED.get()
    if unresolved is None:
        return output, resolve
    key = id(output)
    unresolved[key] = resolve

    def tracked(value: pulumi.Output) -> None:
        unresolved.pop(key, None)
        resolve(value)

    return output, tracked


def fail_pending_outputs(error: BaseException) -> int:
    """Resolve, with ``error``, every deferred Output the failed program left unresolved."""
    unresolved = _UNRESOLVED.get() or {}
    resolvers = list(unresolved.values())
    unresolved.clear()
    for resolve in resolvers:
        failed: asyncio.Future = asyncio.get_event_loop().create_future()
        failed.set_exception(error)
        resolve(pulumi.Output(set(), failed, _known()))
    return len(resolvers)


def _known() -> asyncio.Future:
    known: asyncio.Future = asyncio.get_event_loop().create_future()
    known.set_result(True)
    return known


def run_failing_fast(program: Callable[[], object]) -> None:
    """Run ``program``; if it raises, end every wait on it and re-raise.

    Components validate their arguments with ``ValueError``; inside a program run that is a
    refused input, reported as a :class:`ProgramError` (a ``pulumi.RunError``: the engine prints
    the message without a traceback). Anything else is a crash and keeps its traceback.
    """
    _UNRESOLVED.set({})
    try:
        program()
    except ValueError as error:
        failure = ProgramError(f"{error}")
        fail_pending_outputs(failure)
        raise failure from error
    except BaseException as error:
        fail_pending_outputs(error)
        raise
