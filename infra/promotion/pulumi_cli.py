"""The Pulumi CLI, driven as a subprocess from the project directory, and interruption handling.

Commands and flags (pulumi/pulumi, pkg/cmd/pulumi/...; ``--non-interactive`` is a root flag, so no
command ever waits for an answer):

- ``pulumi whoami --json``: ``{"user", "organizations", "url"}``; fails when not logged in;
- ``pulumi stack ls --json``, ``pulumi stack init --stack S --no-select``;
- ``pulumi stack export --stack S``: secrets stay ciphertext (no ``--show-secrets``);
- ``pulumi state move --source S --dest D --yes URN...`` (v3.124+, state/state_move.go): moves the
  URNs and their children; refuses provider URNs ("providers will be included automatically": it
  *copies* every provider the moved resources use and leaves the original in the source), never
  moves the root stack resource (the destination gets one created if it has none), decrypts with
  the source's secrets manager and saves the destination with its own (re-encryption), saves the
  destination first and, if saving the source fails, restores the destination;
- ``pulumi state delete --stack S --yes URN`` and ``pulumi state unprotect --stack S --yes URN``
  (one URN per call: older CLIs take exactly one);
- ``pulumi preview --stack S --save-plan FILE --json``: plan file plus the JSON preview digest on
  stdout (``PULUMI_ENABLE_STREAMING_JSON_PREVIEW`` would turn stdout into an event stream, so it is
  removed from the environment);
- ``pulumi up --stack S --plan FILE --yes``: the update may not go beyond the plan (``--plan`` is
  a hidden, experimental flag of ``up``, present since v3.40).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any


class PulumiCliError(RuntimeError):
    """A CLI command failed; ``str()`` is one line: the command and the CLI's own last error line."""

    def __init__(self, args: Sequence[str], returncode: int, stderr: str, stdout: str = "") -> None:
        lines = [line.strip() for line in stderr.splitlines() if line.strip()]
        lines += _json_errors(stdout)
        errors = [line for line in lines if line.lower().startswith("error:")]
        detail = (errors or lines or [f"exit status {returncode}"])[-1]
        super().__init__(f"`pulumi {' '.join(args[:2])}` failed: {detail}")
        self.args_ = list(args)
        self.returncode = returncode
        self.stderr = stderr


def _json_errors(stdout: str) -> list[str]:
    """Error diagnostics of a ``--json`` preview (they go to stdout, not stderr)."""
    try:
        digest = json.loads(stdout)
    except ValueError:
        return []
    diagnostics = digest.get("diagnostics") or [] if isinstance(digest, dict) else []
    return [f"error: {d.get('message', '').strip()}" for d in diagnostics if d.get("severity") == "error"]


class NotLoggedInError(PulumiCliError):
    """``pulumi whoami`` failed: no backend session."""

    def __str__(self) -> str:
        return f"not logged in to a Pulumi backend ({super().__str__()}); run `pulumi login` first"


class Interrupted(BaseException):
    """SIGINT or SIGTERM arrived; raised between steps, never in the middle of a state write."""


class InterruptGuard:
    """Turns SIGINT/SIGTERM into :class:`Interrupted`, deferred while a critical step runs.

    Critical children run in their own session, so a terminal's Ctrl-C reaches only us; we let the
    step finish (``up`` is asked to cancel gracefully with one SIGINT, as Ctrl-C would) and raise
    once it is over.
    """

    def __init__(self) -> None:
        self.pending: str | None = None
        self.depth = 0
        self.child: subprocess.Popen | None = None
        self.forward = False
        self._previous: dict[int, Any] = {}

    def _handle(self, signum: int, _frame: object) -> None:
        name = signal.Signals(signum).name
        if not self.depth:
            raise Interrupted(name)
        if self.pending is None and self.forward and self.child is not None:
            self.child.send_signal(signal.SIGINT)
        self.pending = name

    def __enter__(self) -> InterruptGuard:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._previous[sig] = signal.signal(sig, self._handle)
        return self

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous.clear()

    @contextlib.contextmanager
    def critical(self, forward: bool = False) -> Iterator[None]:
        """Run the body to its end even when interrupted; raise :class:`Interrupted` afterwards."""
        self.depth += 1
        self.forward = forward
        try:
            yield
        finally:
            self.depth -= 1
            self.forward = False
            if not self.depth and self.pending:
                name, self.pending = self.pending, None
                raise Interrupted(name)


#: The guard promotion installs; commands consult it for critical sections.
GUARD = InterruptGuard()


class PulumiCli:
    """The state operations a move needs, each one real Pulumi CLI command run in ``cwd``."""

    def __init__(self, cwd: Path, *, executable: str | None = None, on_output: Callable[[str], None] = print) -> None:
        self.cwd = Path(cwd)
        self.executable = executable or shutil.which("pulumi") or "pulumi"
        self.on_output = on_output
        self.env = {k: v for k, v in os.environ.items() if k != "PULUMI_ENABLE_STREAMING_JSON_PREVIEW"}

    def _run(self, *args: str, critical: bool = False, stream: bool = False, error=PulumiCliError) -> str:
        argv = [self.executable, *args, "--non-interactive"]
        with GUARD.critical(forward=stream) if critical else contextlib.nullcontext():
            proc = subprocess.Popen(
                argv, cwd=self.cwd, env=self.env, text=True, start_new_session=True,
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT if stream else subprocess.PIPE,
            )  # fmt: skip
            GUARD.child = proc
            try:
                if stream:
                    out = []
                    for line in proc.stdout:  # type: ignore[union-attr]
                        out.append(line)
                        self.on_output(line.rstrip("\n"))
                    stdout = stderr = "".join(out)  # one stream: the operator saw it in order
                    proc.wait()
                else:
                    stdout, stderr = proc.communicate()
            except BaseException:
                proc.terminate()  # only reached outside critical sections: a read-only command
                proc.wait()
                raise
            finally:
                GUARD.child = None
        if proc.returncode:
            raise error(list(args), proc.returncode, stderr, "" if stream else stdout)
        return stdout

    def whoami(self) -> str:
        """The logged-in user and backend URL; :class:`NotLoggedInError` when there is none."""
        out = self._run("whoami", "--json", error=NotLoggedInError)
        try:
            info = json.loads(out)
            return f"{info.get('user')} at {info.get('url')}"
        except (ValueError, AttributeError):
            return out.strip()

    def stack_exists(self, stack: str) -> bool:
        """True when ``stack`` is among the project's stacks (names may be org-qualified)."""
        return any(s["name"].rsplit("/", 1)[-1] == stack for s in json.loads(self._run("stack", "ls", "--json")))

    def create(self, stack: str) -> None:
        """``pulumi stack init``, leaving the selected stack alone."""
        self._run("stack", "init", "--stack", stack, "--no-select", critical=True)

    def export(self, stack: str) -> dict[str, Any]:
        """The ``pulumi stack export`` of ``stack``, secrets encrypted."""
        return json.loads(self._run("stack", "export", "--stack", stack))

    def state_move(self, source: str, dest: str, urns: Sequence[str]) -> str:
        """``pulumi state move`` of ``urns`` (no providers, no root stack resource)."""
        return self._run("state", "move", "--source", source, "--dest", dest, "--yes", *urns, critical=True)

    def state_delete(self, stack: str, urn: str) -> None:
        """Remove ``urn`` from ``stack``'s state (the cloud object is not touched)."""
        self._run("state", "delete", "--stack", stack, "--yes", urn, critical=True)

    def state_unprotect(self, stack: str, urn: str) -> None:
        """Clear ``protect`` on ``urn`` in ``stack``'s state."""
        self._run("state", "unprotect", "--stack", stack, "--yes", urn, critical=True)

    def preview(self, stack: str, plan_file: Path) -> tuple[dict[str, Any], dict[str, Any]]:
        """The preview digest and the saved plan of ``pulumi preview --save-plan``."""
        digest = json.loads(self._run("preview", "--stack", stack, "--save-plan", str(plan_file), "--json"))
        return digest, json.loads(Path(plan_file).read_text())

    def up(self, stack: str, plan_file: Path) -> str:
        """``pulumi up`` of exactly the saved plan, output streamed to ``on_output``."""
        return self._run("up", "--stack", stack, "--plan", str(plan_file), "--yes", critical=True, stream=True)
