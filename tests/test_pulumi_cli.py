"""The real CLI wrapper, run against ``RecordingPulumiExecutableDouble``: a ``pulumi`` script on PATH.

The double is an executable written into a temporary directory; it records its argv and working
directory as JSON lines and answers from canned output, so the wrapper's real subprocess code
(argv, cwd, environment, errors, streaming) runs unchanged.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest

from infra import cli
from infra.promotion.pulumi_cli import GUARD, Interrupted, NotLoggedInError, PulumiCli, PulumiCliError

DOUBLE = textwrap.dedent(
    """\
    #!{python}
    # RecordingPulumiExecutableDouble: test double of the Pulumi CLI, never used by product code.
    import json, os, sys
    args = sys.argv[1:]
    with open({log!r}, "a") as log:
        log.write(json.dumps({{"args": args, "cwd": os.getcwd(),
                               "streaming": os.environ.get("PULUMI_ENABLE_STREAMING_JSON_PREVIEW")}}) + "\\n")
    answers = json.load(open({answers!r}))
    key = " ".join(args[:2])
    if key in answers.get("fail", {{}}):
        sys.stderr.write(answers["fail"][key])
        sys.exit(255)
    if "--save-plan" in args:
        open(args[args.index("--save-plan") + 1], "w").write(json.dumps({{"resourcePlans": {{}}}}))
    sys.stdout.write(answers.get(key, ""))
    """
)


@pytest.fixture
def double(tmp_path):
    """(PulumiCli bound to the double, answers dict to fill, function returning the recorded calls)."""
    log, answers = tmp_path / "calls.jsonl", tmp_path / "answers.json"
    executable = tmp_path / "bin" / "pulumi"
    executable.parent.mkdir()
    executable.write_text(DOUBLE.format(python=sys.executable, log=str(log), answers=str(answers)))
    executable.chmod(0o755)
    project = tmp_path / "project"
    project.mkdir()
    canned: dict = {}

    def calls():
        return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []

    def answer(**values):
        canned.update(values)
        answers.write_text(json.dumps(canned))

    answer()
    return PulumiCli(project, executable=str(executable), on_output=lambda _: None), answer, calls, executable


def test_commands_and_flags_run_in_the_project_directory(double, monkeypatch):
    monkeypatch.setenv("PULUMI_ENABLE_STREAMING_JSON_PREVIEW", "true")
    pulumi, answer, calls, _ = double
    pulumi.env["PULUMI_ENABLE_STREAMING_JSON_PREVIEW"] = "true"  # set after construction: still dropped below
    pulumi = PulumiCli(pulumi.cwd, executable=pulumi.executable)
    answer(**{"whoami --json": json.dumps({"user": "ops", "url": "https://api.pulumi.com"}),
              "stack ls": json.dumps([{"name": "acme/phase1"}]), "stack export": '{"version": 3}',
              "preview --stack": json.dumps({"steps": [], "changeSummary": {}})})  # fmt: skip
    assert pulumi.whoami() == "ops at https://api.pulumi.com"
    assert pulumi.stack_exists("phase1") and not pulumi.stack_exists("phase2")
    pulumi.create("phase2")
    assert pulumi.export("phase1") == {"version": 3}
    pulumi.state_move("phase1", "phase2", ["urn:a", "urn:b"])
    pulumi.state_delete("phase1", "urn:p")
    pulumi.state_unprotect("phase2", "urn:r")
    plan_file = pulumi.cwd / "plan.json"
    assert pulumi.preview("phase2", plan_file) == ({"steps": [], "changeSummary": {}}, {"resourcePlans": {}})
    pulumi.up("phase2", plan_file)
    recorded = calls()
    assert {c["cwd"] for c in recorded} == {str(pulumi.cwd)} and {c["streaming"] for c in recorded} == {None}
    assert [c["args"] for c in recorded] == [
        ["whoami", "--json", "--non-interactive"],
        ["stack", "ls", "--json", "--non-interactive"],
        ["stack", "ls", "--json", "--non-interactive"],
        ["stack", "init", "--stack", "phase2", "--no-select", "--non-interactive"],
        ["stack", "export", "--stack", "phase1", "--non-interactive"],
        ["state", "move", "--source", "phase1", "--dest", "phase2", "--yes", "urn:a", "urn:b", "--non-interactive"],
        ["state", "delete", "--stack", "phase1", "--yes", "urn:p", "--non-interactive"],
        ["state", "unprotect", "--stack", "phase2", "--yes", "urn:r", "--non-interactive"],
        ["preview", "--stack", "phase2", "--save-plan", str(plan_file), "--json", "--non-interactive"],
        ["up", "--stack", "phase2", "--plan", str(plan_file), "--yes", "--non-interactive"],
    ]


def test_a_failed_command_is_one_line_with_the_cli_error(double):
    pulumi, answer, _, _ = double
    answer(fail={"state move": "Planning to move...\nerror: failed to save destination snapshot: 409\n"})
    with pytest.raises(PulumiCliError) as error:
        pulumi.state_move("phase1", "phase2", ["urn:a"])
    assert str(error.value) == "`pulumi state move` failed: error: failed to save destination snapshot: 409"


def test_not_logged_in_is_one_line_on_the_command_line(double, monkeypatch, capsys):
    _, answer, calls, executable = double
    answer(fail={"whoami --json": "error: PULUMI_ACCESS_TOKEN must be set for login during non-interactive CLI "
                                  "sessions\n"})  # fmt: skip
    monkeypatch.setenv("PATH", f"{executable.parent}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setattr(cli, "offline_diff", lambda *a: pytest.fail("login is checked before the offline diff"))
    status = cli.main(["--project-dir", str(executable.parent.parent / "project"), "promote", "phase1", "phase2"])
    err = capsys.readouterr().err.strip()
    assert status == cli.EXIT_NO_CLI and "Traceback" not in err and len(err.splitlines()) == 1
    assert err.startswith("error: not logged in to a Pulumi backend") and "pulumi login" in err
    assert isinstance(NotLoggedInError(["whoami"], 255, "x"), PulumiCliError)
    assert [c["cwd"] for c in calls()] == [str(executable.parent.parent / "project")]


def test_sigterm_waits_for_a_critical_step_and_interrupts_between_steps():
    with GUARD:
        with pytest.raises(Interrupted, match="SIGTERM"), GUARD.critical():
            os.kill(os.getpid(), signal.SIGTERM)
            finished = True  # the handler did not raise in the middle of the step
        assert finished
        with pytest.raises(Interrupted, match="SIGINT"):
            os.kill(os.getpid(), signal.SIGINT)
            subprocess.run([sys.executable, "-c", "import time; time.sleep(5)"], check=False)
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL or callable(signal.getsignal(signal.SIGTERM))


def test_a_failed_json_preview_reports_the_error_diagnostic_from_stdout():
    missing = {"severity": "error", "message": "Missing required configuration variable\n"}
    stdout = json.dumps({"diagnostics": [{"severity": "warning", "message": "deprecated"}, missing]})
    error = PulumiCliError(["preview", "--stack", "phase2"], 255, "", stdout)
    assert str(error) == "`pulumi preview --stack` failed: error: Missing required configuration variable"


def test_demote_takes_confirmations_promote_does_not():
    args = cli.build_parser().parse_args(
        ["demote", "phase2", "phase1", "--confirm-delete", "urn:a", "--confirm-delete", "urn:b", "--delete-derivable"]
    )
    assert (args.confirm_delete, args.delete_derivable, args.yes, args.backup_dir) == (
        ["urn:a", "urn:b"],
        True,
        False,
        None,
    )
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["promote", "phase1", "phase2", "--confirm-delete", "urn:a"])
