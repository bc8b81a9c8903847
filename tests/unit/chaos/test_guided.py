"""Guided mode: the questions before a scenario (and what a bad answer gets), the comparison after
it from the journal entry, the scoreboard, and q stopping the game day before the next fault."""

from __future__ import annotations

import copy
import io
import json
import math
from pathlib import Path

import pytest
from rich.console import Console

from halab.chaos.gameday import parse_gameday
from halab.chaos.journal.schema import Scenario
from halab.chaos.views.guided import Guide, StopGuided

FIXTURE = json.loads((Path(__file__).parent / "fixtures" / "report_journal.json").read_text())
GAMEDAY = parse_gameday("""
title: t
scenarios:
  - name: pg-leader-kill
    description: The Patroni leader is killed.
    fault: kill
    target: pg-leader
    budget: {max_failover_s: 12}
""")
PG = GAMEDAY.scenarios[0]


def guide(*answers: str) -> tuple[Guide, io.StringIO]:
    out = io.StringIO()
    pending = list(answers)
    g = Guide(FIXTURE["knobs"], ask=lambda question: pending.pop(0), console=Console(file=out, width=200),
              holder=lambda target: "pg2")
    return g, out


def entry(**changes) -> Scenario:
    s = copy.deepcopy(next(s for s in FIXTURE["scenarios"] if s["name"] == "pg-leader-kill"))
    s.update(changes)
    return Scenario.model_validate(s)


def test_before_shows_what_fails_who_holds_it_and_the_timers_then_asks():
    g, out = guide("7.5", "0")
    g.before(PG, 1, 3)
    shown = out.getvalue()
    assert "1/3 pg-leader-kill" in shown and "kill pg-leader (now pg2)" in shown
    assert "the leader key expires ttl − loop_wait to ttl" in shown  # the mechanism, not the answer
    g.after(entry())
    compared = out.getvalue()
    assert "your guess:  7.5, 0 lost" in compared
    assert "measured:    9.1, 0 acknowledged writes lost (pass)" in compared


def test_a_bad_answer_is_asked_again_saying_what_is_allowed():
    g, out = guide("soon", "-3", "inf", "8", "two", "1")
    g.before(PG, 1, 1)
    said = out.getvalue()
    assert "'soon' is not a number of seconds of 0 or more" in said
    assert "'-3' is not a number of seconds" in said and "'inf' is not a number of seconds" in said
    assert "'two' is not a whole number of 0 or more" in said
    assert (g._guess.failover_s, g._guess.lost_writes) == (8.0, 1)


def test_enter_is_no_guess_and_q_stops():
    g, _ = guide("", "")
    g.before(PG, 1, 2)
    assert (g._guess.failover_s, g._guess.lost_writes) == (None, None)
    g, _ = guide("q")
    with pytest.raises(StopGuided):
        g.before(PG, 2, 2)


def test_the_scoreboard_says_who_came_closer_and_never_recovered_is_not_scored():
    g, _ = guide("9", "0")
    g.before(PG, 1, 2)
    g.after(entry(failover_s=9.141, predicted_failover_s={"min": 4.3, "expected": 6.15, "max": 8.3, "formula": "f"}))
    answers = iter(["3", "0"])
    g.ask = lambda question: next(answers)
    g.before(PG, 2, 2)
    g.after(entry(failover_s=None, predicted_failover_s={"min": 4.3, "expected": 6.15, "max": 8.3, "formula": "f"}))
    table = g.scoreboard()
    out = io.StringIO()
    Console(file=out, width=200).print(table)
    text = out.getvalue()
    first, second = [line for line in text.splitlines() if "pg-leader-kill" in line]
    assert "the room" in first  # 9 is closer to 9.141 than the formula's 6.15
    assert "never" in second and "the room" not in second and "the formula" not in second
    assert "the room 1, the formula 0" in text
    assert math.isinf(g.rows[1].measured_s)


def test_a_stop_before_a_scenario_ends_the_game_day_without_injecting_it():
    from tests.unit.chaos.test_runner import World, game_day

    world = World()
    gd = game_day(world)
    asked = []
    results = gd.run(list(gd.gameday.scenarios), before_each=lambda sc, i, n: asked.append(sc.name) or i < 2,
                     after_each=lambda r: asked.append(f"after {r.scenario.name}"))
    assert asked == ["app1-kill", "after app1-kill", "app2-kill"]
    assert [r.scenario.name for r in results] == ["app1-kill"] and world.injected == ["app1"]


def test_the_cli_validates_a_file_and_refuses_guided_mode_without_a_terminal():
    from click.testing import CliRunner

    from halab.chaos import cli
    root = Path(__file__).parents[3]
    ok = CliRunner().invoke(cli.chaos, ["validate", str(root / "gamedays" / "spof-sweep.yaml")])
    assert ok.exit_code == 0 and "valid game day 'SPOF sweep and the N+1 limit', 25 scenarios" in ok.output
    refused = CliRunner().invoke(cli.chaos, ["run", "--guided"])  # CliRunner's stdin is not a terminal
    assert refused.exit_code == 2
    assert "guided mode asks the room questions: run it in a terminal" in refused.output
