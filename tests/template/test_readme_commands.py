"""Every command README.md shows starts as written, from the project root, in a plain shell (no
PYTHONPATH, no make variables): a newcomer copies them.

Found in the README's ```sh blocks and its inline `code` spans; <placeholders> get a sample value.
Nothing is really run - each command is started in a form that stops at once:

- `.venv/bin/python -m MODULE ARGS` with --help appended: the module imports and accepts ARGS'
  subcommand;
- `.venv/bin/pytest ARGS` with --collect-only: the paths and markers exist and collect tests;
- `bin/portal-admin ARGS` with --help appended (optional [words] left out): the command exists and
  takes those arguments;
- `make ARGS` as `make -n ARGS` (the target exists, its variables are accepted), and every
  `python -m MODULE ...` that recipe would run, started with --help as above.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.support import ROOT

pytestmark = pytest.mark.template

README = ROOT / "README.md"
VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
SAMPLE = {"order number": "JWT261127-1234-56789"}
_FENCE = re.compile(r"^```sh\n(.*?)^```", re.S | re.M)
_SPAN = re.compile(r"`((?:make|\.venv/bin/)[^`]*)`")
_PLACEHOLDER = re.compile(r"<([^>]+)>")
# What a user's shell does not have but a pytest run under `make test` inherits.
_NOT_IN_A_USERS_SHELL = ("PYTHONPATH", "MAKE", "MFLAGS", "PYTEST_", "POWERTOOLS_")


def readme_commands(text: str) -> list[str]:
    """The commands README.md shows, in order, each once, placeholders filled in."""
    found: list[str] = []
    for block in _FENCE.findall(text):
        for line in block.splitlines():
            words = shlex.split(_filled(line), comments=True)
            if words:
                found.append(shlex.join(words))
    for span in _SPAN.findall(text):
        found.append(shlex.join(shlex.split(_filled(span))))
    return list(dict.fromkeys(found))


def _filled(line: str) -> str:
    def sample(match: re.Match[str]) -> str:
        return next((v for k, v in SAMPLE.items() if k in match.group(1)), "sample")

    return _PLACEHOLDER.sub(sample, line)


def _shell_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(_NOT_IN_A_USERS_SHELL)}


def _run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, cwd=ROOT, env=_shell_env(), capture_output=True, text=True, timeout=120, check=False
    )


def _failure(argv: list[str], answer: subprocess.CompletedProcess[str]) -> str:
    output = answer.stdout[-2000:] + answer.stderr[-2000:]
    return f"`{shlex.join(argv)}` exited {answer.returncode}:\n{output}"


def problem(command: str) -> str | None:
    """Why `command` (as README shows it) does not start from the project root; None if it does."""
    words = shlex.split(command)
    program, args = words[0], words[1:]
    if program == ".venv/bin/python" and args[:1] == ["-m"]:
        return _python_module_problem(args[1:])
    if program == ".venv/bin/pytest":
        argv = [str(ROOT / program), *args, "--collect-only", "-q", "-p", "no:cacheprovider"]
        answer = _run(argv)
        return None if answer.returncode == 0 else _failure(argv, answer)
    if program == "bin/portal-admin":
        shown = [w for w in args if not (w.startswith("[") or w.endswith("]"))]
        argv = [str(ROOT / program), *shown, "--help"]
        answer = _run(argv)
        ok = answer.returncode == 0 and "usage: portal-admin" in answer.stdout
        return None if ok else _failure(argv, answer)
    if program == "make":
        argv = ["make", "-n", *args]
        answer = _run(argv)
        if answer.returncode != 0:
            return _failure(argv, answer)
        for line in answer.stdout.splitlines():
            try:
                recipe = shlex.split(line)
            except ValueError:  # one line of a multi-line shell recipe
                continue
            if recipe[:2] == ["python", "-m"] and (why := _python_module_problem(recipe[2:])):
                return f"`{command}` would run `{line}`, which does not start: {why}"
        return None
    return f"no check for `{command}`: add one to {Path(__file__).name}"


def _python_module_problem(module_and_args: list[str]) -> str | None:
    argv = [str(VENV_PYTHON), "-m", *module_and_args, "--help"]
    answer = _run(argv)
    if answer.returncode != 0 or "usage:" not in answer.stdout:
        return _failure(argv, answer)
    return None


COMMANDS = readme_commands(README.read_text(encoding="utf-8"))
CANNOT_START = [
    "make no-such-target",
    "make deploy STAGE=staging",  # the Makefile refuses a stage samconfig.toml lacks
    ".venv/bin/python -m local.no_such_module",
    ".venv/bin/python -m local.fastspring no-such-command",
    "bin/portal-admin no-such-command CUSTOMER",
]


@pytest.fixture(scope="module")
def problems() -> dict[str, str | None]:
    """problem() of every command, two at a time (each pytest start takes seconds)."""
    if not VENV_PYTHON.is_file():
        pytest.skip(f"{VENV_PYTHON.relative_to(ROOT)} does not exist: `make install` creates it")
    commands = COMMANDS + CANNOT_START
    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(zip(commands, pool.map(problem, commands), strict=True))


@pytest.mark.parametrize("command", COMMANDS)
def test_the_readme_command_starts_as_written(
    problems: dict[str, str | None], command: str
) -> None:
    assert problems[command] is None


def test_the_readme_shows_the_commands_a_newcomer_needs() -> None:
    """The extraction really finds the README's commands (else the test above checks nothing)."""
    programs = {shlex.split(command)[0] for command in COMMANDS}
    assert programs == {"make", ".venv/bin/python", ".venv/bin/pytest", "bin/portal-admin"}
    targets = {shlex.split(c)[1] for c in COMMANDS if c.startswith("make ")}
    assert {"run", "test", "order", "refund", "lint", "build", "bench", "deploy"} <= targets
    assert any(c.startswith(".venv/bin/python -m local.fastspring refund") for c in COMMANDS)


@pytest.mark.parametrize("command", CANNOT_START)
def test_a_command_that_cannot_start_is_reported(
    problems: dict[str, str | None], command: str
) -> None:
    assert problems[command] is not None


def test_placeholders_get_a_sample_value() -> None:
    text = "```sh\nmake refund REFERENCE=<the order number it printed>   # a comment\n```\n"
    assert readme_commands(text) == ["make refund REFERENCE=JWT261127-1234-56789"]
