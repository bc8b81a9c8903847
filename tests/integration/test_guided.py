"""`make chaos GUIDED=1` in a real terminal (a pseudo-terminal from util-linux's `script`): the
room's answers typed at its questions, one scenario run, guess, formula and measurement shown,
and the scoreboard; without a terminal it refuses to start."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from .conftest import ROOT, run

pytestmark = pytest.mark.integration


@pytest.mark.skipif(shutil.which("script") is None, reason="needs util-linux's script for a pseudo-terminal")
def test_guided_mode_asks_runs_and_compares_in_a_terminal(lab):
    # A first answer that is not a number is asked again; then 4 s and 0 writes lost.
    done = subprocess.run(["script", "-qec", "make chaos GUIDED=1 SCENARIO=redis-master-kill", "/dev/null"],
                          cwd=ROOT, input="soon\n4\n0\n", capture_output=True, text=True, timeout=600)
    screen = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", done.stdout)
    assert "1/1 redis-master-kill" in screen, screen[-3000:]
    assert "down-after-milliseconds" in screen  # the mechanism's timers, before the run
    assert "'soon' is not a number of seconds" in screen
    assert "your guess:  4.0, 0 lost" in screen
    assert re.search(r"measured: +\d+\.\d, \d+ acknowledged writes lost", screen), screen[-3000:]
    assert "Scoreboard" in screen and re.search(r"the room [01], the formula [01]", screen)
    assert done.returncode in (0, 1), screen[-3000:]


def test_guided_mode_without_a_terminal_says_it_needs_one(lab):
    refused = run("make", "chaos", "GUIDED=1", "SCENARIO=redis-master-kill", check=False)
    assert refused.returncode != 0
    assert "GUIDED=1 asks the room questions: run it in a terminal" in refused.stderr
