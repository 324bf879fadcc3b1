"""Every command answers ``--help``; the docs name only commands and options that exist,
and document every command and every setting."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from zdcal.cli import main
from zdcal.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def subcommands(group: click.Group) -> dict[str, click.Command]:
    """The group's commands by name, loading those that load only when used."""
    ctx = click.Context(group)
    found = {name: group.get_command(ctx, name) for name in group.list_commands(ctx)}
    return {name: command for name, command in found.items() if command is not None}


def command_paths(group: click.Group, prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Every command path under ``group``: ("accounts",), ("accounts", "add"), ..."""
    for name, command in sorted(subcommands(group).items()):
        yield (*prefix, name)
        if isinstance(command, click.Group):
            yield from command_paths(command, (*prefix, name))


ALL_PATHS = [(), *command_paths(main)]


def resolve(words: list[str]) -> tuple[tuple[str, ...], click.Command, list[str]]:
    """The longest command path at the start of ``words``, its command, and the rest."""
    command: click.Command = main
    path: list[str] = []
    rest = [w for i, w in enumerate(words) if i > 0 or w not in ("-v", "--verbose")]
    while isinstance(command, click.Group) and rest and rest[0] in subcommands(command):
        path.append(rest[0])
        command = subcommands(command)[rest.pop(0)]
    return tuple(path), command, rest


def documented_invocations() -> Iterator[tuple[str, list[str]]]:
    """(where, words after 'zdcal') for every ``zdcal ...`` line of a code block or inline
    code span in the README and docs/."""
    for document in DOCUMENTS:
        text = document.read_text(encoding="utf-8")
        for block in re.findall(r"```[a-z]*\n(.*?)```", text, flags=re.DOTALL):
            for line in block.splitlines():
                line = line.strip().removeprefix("$ ")
                if line.startswith("zdcal "):
                    yield f"{document.name}: {line}", shlex.split(line.split(" #")[0])[1:]
        for span in re.findall(r"`(zdcal [^`]+)`", text):
            yield f"{document.name}: {span}", shlex.split(span)[1:]


@pytest.mark.parametrize("path", ALL_PATHS, ids=lambda p: " ".join(p) or "zdcal")
def test_every_command_answers_help(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(main, [*path, "--help"], prog_name="zdcal")

    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"Usage: zdcal {' '.join(path)}".rstrip())
    _, command, _ = resolve(list(path))
    first_line = (command.help or "").strip().splitlines()[0]
    assert first_line
    assert first_line in " ".join(result.output.split())  # help text is re-wrapped


def test_an_unknown_command_is_a_usage_error_without_traceback() -> None:
    result = CliRunner().invoke(main, ["frobnicate"])

    assert result.exit_code == 2
    assert "No such command 'frobnicate'" in result.output
    assert "Traceback" not in result.output


def test_the_docs_name_only_commands_and_options_that_exist() -> None:
    problems = []
    for where, words in documented_invocations():
        path, command, rest = resolve(words)
        if isinstance(command, click.Group) and rest and not rest[0].startswith("-"):
            problems.append(f"{where}: no command {' '.join((*path, rest[0]))!r}")
            continue
        known = {name for p in command.params for name in (*p.opts, *p.secondary_opts)}
        known |= {"--help", "-h"}
        for word in rest:
            option = word.split("=")[0]
            if option.startswith("-") and option not in known:
                problems.append(f"{where}: zdcal {' '.join(path)} has no option {option}")
    assert problems == []
    assert len(list(documented_invocations())) > 20  # the docs really do show commands


def test_docs_cli_md_has_a_section_with_an_example_for_every_command() -> None:
    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    sections = dict(re.findall(r"^## `zdcal ([^`]+)`\n(.*?)(?=^## |\Z)", text,
                               flags=re.MULTILINE | re.DOTALL))
    leaves = [
        p for p in command_paths(main)
        if not isinstance(resolve(list(p))[1], click.Group)
    ]
    missing = [" ".join(p) for p in leaves if " ".join(p) not in sections]
    assert missing == []
    for name, body in sections.items():
        assert f"zdcal {name}" in body.split("```")[1], f"section {name!r} has no example"


def test_docs_configuration_md_describes_every_setting_with_its_default() -> None:
    text = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    rows = {
        name: line
        for line in text.splitlines()
        if (found := re.match(r"\| `(ZDCAL_[A-Z0-9_]+)` \|", line)) and (name := found.group(1))
    }
    expected = {f"ZDCAL_{name.upper()}" for name in Settings.model_fields}
    assert set(rows) >= expected, sorted(expected - set(rows))
    assert len(rows) == len(set(rows))
