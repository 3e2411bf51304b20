"""`mio patterns suggest`: every rule of the catalog, through flags and through the prompts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from scaffold import advice
from scaffold.answers import load_questions, validate_answers
from scaffold.catalog import Rule, load_catalog, read_catalog
from scaffold.cli.app import app
from scaffold.situation import load_situation_questions, read_situation_questions

runner = CliRunner()
QUESTIONS = load_situation_questions()
QUESTION_IDS = {q.id for q in QUESTIONS}


def _rules() -> list[tuple[str, str, int, Rule]]:
    return [
        (pattern.id, kind, index, rule)
        for pattern in load_catalog().values()
        for kind in ("suggest_when", "leave_out_when")
        for index, rule in enumerate(getattr(pattern, kind))
    ]


RULES = _rules()
RULE_IDS = [f"{pattern}-{kind}-{index}" for pattern, kind, index, _ in RULES]


def situation_for(rule: Rule) -> dict[str, bool]:
    """Answers under which exactly this rule's conditions hold (and the questions it names
    are asked); every other question keeps its default."""
    wanted = {c.lstrip("!"): not c.startswith("!") for c in rule.answers}
    for question in QUESTIONS:  # a question only counts when it is asked
        asked = not question.ask_if or any(wanted.get(name) for name in question.ask_if)
        if question.id in wanted and not asked:
            wanted[question.ask_if[0]] = True
    return wanted


def flags_for(answers: dict[str, bool]) -> list[str]:
    return [f"--{key}" if value else f"--no-{key}" for key, value in answers.items()]


def prompt_input(answers: dict[str, bool]) -> str:
    """What a person types at the prompts to give these answers (others: Enter, the default)."""
    values: dict[str, bool | None] = {}
    typed = []
    for question in QUESTIONS:
        if question.ask_if and not any(values.get(name) for name in question.ask_if):
            values[question.id] = None
            continue
        value = answers.get(question.id, question.default)
        values[question.id] = value
        typed.append("" if question.id not in answers else ("y" if value else "n"))
    return "\n".join(typed) + "\n"


def suggest_json(*args: str, input: str | None = None) -> dict[str, Any]:
    result = runner.invoke(app, ["patterns", "suggest", "--json", *args], input=input)
    assert result.exit_code == 0, result.output
    # CliRunner echoes typed input to stdout, as a terminal would on screen.
    return json.loads(result.stdout[result.stdout.index("{") :])


@pytest.fixture
def at_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("scaffold.cli.patterns.is_interactive", lambda: True)


# --- The rules are data that points at real things --------------------------------------


def test_every_rule_names_real_questions_and_real_choices() -> None:
    copier = load_questions()
    for pattern_id, kind, index, rule in RULES:
        where = f"{pattern_id} [[{kind}]] #{index + 1}"
        pattern = load_catalog()[pattern_id]
        names = {condition.lstrip("!") for condition in rule.answers}
        assert names <= QUESTION_IDS, f"{where}: unknown {sorted(names - QUESTION_IDS)}"
        choices = set(copier[pattern.question].choices or ())
        for value in (rule.value, *rule.also):
            if value is not None:
                assert value in pattern.values, f"{where}: {value!r} is not {pattern.id}'s"
                assert value in choices, f"{where}: {value!r} is no choice of copier.yml"
        if kind == "suggest_when" and len(pattern.values) > 1:
            assert rule.value, f"{where}: a pattern with several values needs the rule to pick one"


def test_every_question_is_well_formed_and_implied_by_real_patterns() -> None:
    catalog = load_catalog()
    fixed = {"name", "path", "defaults", "json", "strict", "help"}
    for question in QUESTIONS:
        assert question.text.endswith("?") and question.help, question.id
        assert set(question.implied_by) <= set(catalog), question.id
        assert question.id not in fixed, f"{question.id} would clash with an option"


def test_questions_file_is_not_a_pattern() -> None:
    assert "_questions" not in load_catalog()


def test_a_new_question_and_rule_need_no_code(tmp_path: Path) -> None:
    """Adding advice is adding TOML: a question, and a rule naming it."""
    (tmp_path / "_questions.toml").write_text(
        '[[question]]\nid = "audited"\ntext = "Is every call audited?"\nhelp = "h"\n'
        "default = false\n"
    )
    (tmp_path / "audit.toml").write_text(
        'id = "audit"\ntitle = "Audit"\nsummary = "s"\nquestion = "resilience"\n'
        'values = ["audit"]\n[[suggest_when]]\nanswers = ["audited"]\nbecause = "Auditors."\n'
    )
    questions = read_situation_questions(tmp_path)
    catalog = read_catalog(tmp_path)
    answers = advice.gather_answers({"audited": True}, questions=questions)
    suggestion = advice.suggest(answers, catalog)
    assert [(c.pattern.id, c.reasons) for c in suggestion.chosen] == [("audit", ("Auditors.",))]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[[suggest_when]]\nbecause = 'x'\n", "answers must be a list"),
        ("[[suggest_when]]\nanswers = ['a']\n", "needs a `because`"),
        ("[[suggest_when]]\nanswers = ['a']\nbecause = 'x'\nwhy = 'y'\n", "unknown field 'why'"),
    ],
)
def test_a_malformed_rule_is_refused_naming_the_file(
    tmp_path: Path, text: str, message: str
) -> None:
    (tmp_path / "p.toml").write_text(
        f'id = "p"\ntitle = "t"\nsummary = "s"\nquestion = "gateway"\nvalues = ["nginx"]\n{text}'
    )
    with pytest.raises(ValueError, match=message):
        read_catalog(tmp_path)


# --- Every rule, through flags and through the prompts -----------------------------------


def _check(data: dict[str, Any], pattern_id: str, kind: str, rule: Rule) -> None:
    if kind == "suggest_when":
        chosen = {p["id"]: p for p in data["patterns"]}
        assert pattern_id in chosen, data["left_out"]
        entry = chosen[pattern_id]
        assert rule.because in entry["reasons"]
        pattern = load_catalog()[pattern_id]
        value = rule.value or pattern.values[0]
        assert entry["value"] == value
        assert entry["tradeoffs"], "trade-offs taken on are part of the answer"
        assert entry["catalog"] == f"patterns/{pattern_id}.toml"
        flag = f"--{pattern.question}"
        words = data["command"].split()
        assert value in words[words.index(flag) + 1].split(",")
        assert any(c.startswith(f"mio add {pattern_id}") for c in data["add_commands"])
    else:
        left = {p["id"]: p for p in data["left_out"]}
        assert left[pattern_id]["deliberate"] is True
        assert rule.because in left[pattern_id]["reasons"]
        assert pattern_id not in {p["id"] for p in data["patterns"]}


@pytest.mark.parametrize(("pattern_id", "kind", "index", "rule"), RULES, ids=RULE_IDS)
def test_rule_through_flags(pattern_id: str, kind: str, index: int, rule: Rule) -> None:
    answers = situation_for(rule)
    data = suggest_json("--defaults", *flags_for(answers))
    _check(data, pattern_id, kind, rule)
    for key, value in answers.items():
        assert data["answers"][key] == {"value": value, "source": "flag"}


@pytest.mark.parametrize(("pattern_id", "kind", "index", "rule"), RULES, ids=RULE_IDS)
def test_rule_through_prompts(
    at_a_terminal: None, pattern_id: str, kind: str, index: int, rule: Rule
) -> None:
    answers = situation_for(rule)
    data = suggest_json(input=prompt_input(answers))
    _check(data, pattern_id, kind, rule)
    for key, value in answers.items():
        assert data["answers"][key]["value"] is value
        assert data["answers"][key]["source"] == "prompt"


@pytest.mark.parametrize(("pattern_id", "kind", "index", "rule"), RULES, ids=RULE_IDS)
def test_every_suggested_command_passes_mio_new_validation(
    pattern_id: str, kind: str, index: int, rule: Rule
) -> None:
    data = suggest_json("--defaults", "--name", "orders", *flags_for(situation_for(rule)))
    validate_answers({"service_name": "orders", **data["answers_for_template"]})


# --- The questions, the prompts and the defaults ------------------------------------------


def test_without_a_terminal_unanswered_questions_take_their_defaults() -> None:
    data = suggest_json()
    for question in QUESTIONS:
        answer = data["answers"][question.id]
        if question.ask_if:
            assert answer == {
                "value": None,
                "source": "not asked",
                "note": f"applies only when {' or '.join(question.ask_if)} is yes",
            }
        else:
            assert answer == {"value": question.default, "source": "default"}
    assert data["patterns"] == []
    assert data["command"] == "mio new service my-service"


def test_prompts_ask_only_what_applies_and_flags_are_not_asked_again(at_a_terminal: None) -> None:
    # calls-upstreams by flag; no to deferred-work and fan-out, so no event questions.
    result = runner.invoke(
        app, ["patterns", "suggest", "--calls-upstreams"], input="y\ny\nn\nn\nn\nn\nn\nn\n"
    )
    assert result.exit_code == 0, result.output
    asked = {q.id for q in QUESTIONS if q.text in result.output}
    assert asked == QUESTION_IDS - {"calls-upstreams", "durable-events", "ordered-events"}
    assert "Are those calls safe to repeat" in result.output
    assert "retry (--resilience retry)" in result.output  # idempotent yes, flaky yes


def test_defaults_flag_asks_nothing_even_at_a_terminal(at_a_terminal: None) -> None:
    result = runner.invoke(app, ["patterns", "suggest", "--defaults"], input="")
    assert result.exit_code == 0, result.output
    assert "?" not in result.output.split("Answers:")[0]


def test_json_prompts_go_to_stderr(at_a_terminal: None) -> None:
    result = runner.invoke(app, ["patterns", "suggest", "--json"], input="\n" * 20)
    assert result.exit_code == 0, result.output
    json.loads(result.stdout.strip(" \n"))  # only typed input (echoed) besides the JSON
    assert "Does the service call other services" in result.stderr


def test_a_flag_for_a_question_that_does_not_apply_is_noted() -> None:
    data = suggest_json("--durable-events")
    assert data["answers"]["durable-events"]["value"] is None
    assert data["answers"]["durable-events"]["note"].startswith("answered, but applies only when")


def test_text_output_names_reasons_costs_left_outs_and_commands() -> None:
    result = runner.invoke(
        app,
        ["patterns", "suggest", "--name", "orders", "--calls-upstreams", "--flaky-upstreams"],
    )
    assert result.exit_code == 0, result.output
    text = result.output
    assert "circuit-breaker (--resilience circuit-breaker)" in text
    assert "why: Failing upstreams get more load" in text
    assert "cost: Fast failures and a rested upstream" in text
    assert "Left out on purpose:\n  api-gateway:" in text
    assert "  retry: The calls are not safe to repeat" in text  # idempotent-calls defaulted no
    assert "Not needed:\n  bulkhead: No answer calls for it" in text
    assert "  mio new service orders --resilience circuit-breaker\n" in text
    assert "  mio add circuit-breaker\n" in text


def test_the_broker_follows_the_answers() -> None:
    def broker(*flags: str) -> str | None:
        data = suggest_json("--defaults", *flags)
        return data["answers_for_template"].get("messaging")

    assert broker() is None
    # memory:// is for tests and local runs only: never suggested for a service.
    assert broker("--deferred-work", "--no-durable-events") == "nats"
    assert broker("--deferred-work") == "rabbitmq"  # durable by default
    assert broker("--fan-out", "--no-durable-events") == "nats"
    assert broker("--fan-out", "--ordered-events") == "kafka"


def test_trade_offs_of_other_brokers_are_left_out() -> None:
    data = suggest_json("--defaults", "--deferred-work", "--no-durable-events")
    (messaging,) = [p for p in data["patterns"] if p["id"] == "async-messaging"]
    assert any(t.startswith("nats:") for t in messaging["tradeoffs"])
    assert not any(
        t.startswith(("redis:", "rabbitmq:", "memory:", "kafka:")) for t in messaging["tradeoffs"]
    )


def test_unknown_question_is_invalid_input() -> None:
    with pytest.raises(Exception, match="unknown question 'nope'"):
        advice.gather_answers({"nope": True})


def test_suggested_command_creates_that_service(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The command shown is one mio runs: its answers end up in the new service."""
    import shlex

    import yaml

    monkeypatch.chdir(tmp_path)
    data = suggest_json("--name", "orders", "--calls-upstreams", "--slow-upstreams", "--fan-out")
    words = shlex.split(data["command"])
    assert words[:4] == ["mio", "new", "service", "orders"]
    result = runner.invoke(app, [*words[1:], "--defaults", "--no-lock", "--no-git"])
    assert result.exit_code == 0, result.output
    answers = yaml.safe_load((tmp_path / "orders" / ".copier-answers.yml").read_text())
    for question, value in data["answers_for_template"].items():
        assert answers[question] == value
    assert answers["messaging"] == "rabbitmq"
    assert answers["resilience"] == ["circuit-breaker", "bulkhead"]


def test_at_a_real_terminal_the_questions_are_asked() -> None:
    """In a pseudo-terminal, `mio patterns suggest` prompts (no monkeypatching of the check)."""
    import os
    import subprocess
    import sys

    leader, follower = os.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "scaffold", "patterns", "suggest", "--name", "orders"],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        close_fds=True,
    )
    os.close(follower)
    # Yes to calls-upstreams, idempotent-calls and flaky-upstreams; Enter (the default) after.
    os.write(leader, b"y\ny\ny\n" + b"\n" * 12)
    output = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal closes when mio exits
            break
        if not chunk:
            break
        output += chunk
    assert process.wait(timeout=60) == 0
    os.close(leader)
    text = output.decode().replace("\r\n", "\n")
    assert "Does the service call other services over HTTP while handling a request? [y/N]" in text
    assert "calls-upstreams   yes  (prompt)" in text
    assert "mio new service orders --resilience retry,circuit-breaker" in text
