"""The Postgres image's bootstrap guard (images/postgres/bootstrap_guard.py): it frees a new
cluster whose initialize race was lost (patroni/patroni#527), and touches nothing else."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

PATH = Path(__file__).resolve().parents[3] / "images/postgres/bootstrap_guard.py"
spec = importlib.util.spec_from_file_location("bootstrap_guard", PATH)
guard_module = importlib.util.module_from_spec(spec)
sys.modules[spec.name] = guard_module  # dataclasses look their module up there
spec.loader.exec_module(guard_module)
Guard, Look, STUCK_S = guard_module.Guard, guard_module.Look, guard_module.STUCK_S

EMPTY_KEY = {"key": "/service/halab/initialize", "value": "", "modifiedIndex": 17}
WAITING = {"state": "stopped", "role": "uninitialized"}
# What the three members said in the lost race CI met (each "waiting for leader to bootstrap").
LOST_RACE = Look(EMPTY_KEY, None, {"pg1": WAITING, "pg2": WAITING, "pg3": WAITING})


class Recorder:
    def __init__(self, released: bool = True) -> None:
        self.released, self.releases, self.said = released, [], []

    def release(self, index):
        self.releases.append(index)
        return self.released

    def say(self, text):
        self.said.append(text)


def run(looks, recorder=None, every_s=1.0):
    """Feeds the guard one look per `every_s` seconds of a synthetic clock."""
    recorder = recorder or Recorder()
    guard = Guard(recorder.release, recorder.say)
    for i, look in enumerate(looks):
        guard(look, i * every_s)
    return recorder


def test_a_lost_race_is_released_once_after_it_held_on_every_look_for_the_whole_wait():
    looks = int(STUCK_S) + 1
    assert run([LOST_RACE] * looks).releases == [17]
    assert run([LOST_RACE] * (looks - 1)).releases == []
    said = run([LOST_RACE] * looks).said
    assert len(said) == 1 and "patroni/patroni#527" in said[0] and "race again" in said[0]


def test_stock_loops_ten_seconds_apart_release_after_the_same_wait():
    assert run([LOST_RACE] * 4, every_s=10).releases == [17]
    assert run([LOST_RACE] * 3, every_s=10).releases == []


@pytest.mark.parametrize(
    "look",
    [
        # A member won and is running initdb: it says so before initdb starts.
        Look(EMPTY_KEY, None, {"pg1": {"state": "initializing new cluster", "role": "uninitialized"}, "pg2": WAITING}),
        # The winner's Postgres is up, its leader key not yet written.
        Look(EMPTY_KEY, None, {"pg1": {"state": "running", "role": "master"}, "pg2": WAITING}),
        # A member that does not answer might be the winner.
        Look(EMPTY_KEY, None, {"pg1": None, "pg2": WAITING, "pg3": WAITING}),
        # A leader exists.
        Look(EMPTY_KEY, {"key": "/service/halab/leader", "value": "pg1"}, {"pg2": WAITING}),
        # The cluster was initialised: the key holds its system id.
        Look({**EMPTY_KEY, "value": "7441227063553409047"}, None, {"pg1": WAITING, "pg2": WAITING}),
        # No key: the race has not started.
        Look(None, None, {"pg1": WAITING}),
        # No member registered yet.
        Look(EMPTY_KEY, None, {}),
    ],
    ids=["bootstrapping", "winner-starting", "member-silent", "leader", "initialised", "no-key", "no-members"],
)
def test_what_is_not_a_lost_race_is_never_released(look):
    assert run([look] * (int(STUCK_S) * 3)).releases == []


def test_one_look_that_is_not_stuck_starts_the_wait_again():
    bootstrapping = Look(EMPTY_KEY, None, {"pg1": {"state": "initializing new cluster", "role": "uninitialized"}})
    half = int(STUCK_S) // 2 + 1
    assert run([LOST_RACE] * half + [bootstrapping] + [LOST_RACE] * half).releases == []


def test_a_key_taken_again_in_between_starts_the_wait_again():
    retaken = Look({**EMPTY_KEY, "modifiedIndex": 30}, None, LOST_RACE.members)
    half = int(STUCK_S) // 2 + 1
    assert run([LOST_RACE] * half + [retaken] * half).releases == []
    assert run([LOST_RACE] * half + [retaken] * (int(STUCK_S) + 1)).releases == [30]


def test_a_key_that_changed_before_the_delete_is_left_and_said_so():
    said = run([LOST_RACE] * (int(STUCK_S) + 1), Recorder(released=False)).said
    assert len(said) == 1 and said[0].endswith("was first): left as it is")


def test_the_guard_ends_once_the_cluster_has_its_system_id():
    assert guard_module.initialised(Look({**EMPTY_KEY, "value": "7441227063553409047"}, None, {}))
    assert not guard_module.initialised(LOST_RACE)
