"""The lab as a test fixture: brought up through testcontainers' `DockerCompose`, reused when it
already runs, and driven through the same `bin/lab` commands users type, so a test in another
repository gets exactly the numbers `make chaos` would.

It needs a halab checkout (the compose file, `bin/lab`, the images' sources) and Docker on the
machine running the tests; nothing else from the host (every lab client runs in the lab's tools
container).
"""

from __future__ import annotations

import os
import re
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from halab.chaos.journal.outcome import GameDayOutcome, ScenarioOutcome

SETTLE_TIMEOUT_S = 180  # bin/lab's default, scaled by the time factor
PROJECT = "halab"


class HalabLabError(Exception):
    """The lab could not be brought up, or a game day could not be run or read."""


class ScenarioSkipped(HalabLabError):
    """The scenario was skipped (a fault this machine cannot inject, e.g. netem); `reason` says why."""

    def __init__(self, name: str, reason: str) -> None:
        super().__init__(f"scenario '{name}' was skipped: {reason}")
        self.reason = reason


@dataclass
class HalabLab:
    compose_file: Path
    gameday: Path | None = None  # default: gamedays/default.yaml of the checkout
    profile: str = "tuned"
    time_factor: float = 1.0  # scales how long start-up may take (a slow CI runner); never a budget
    subnet: str | None = None  # HALAB_SUBNET; default 10.77.0.0/24
    started_here: bool = field(default=False, init=False)
    _runs: int = field(default=0, init=False)

    def __post_init__(self) -> None:
        self.compose_file = Path(self.compose_file).resolve()
        self.root = self.compose_file.parent
        if not self.compose_file.is_file():
            raise HalabLabError(f"no halab compose file at {self.compose_file}: point --halab-compose (or "
                                "HALAB_COMPOSE) at docker-compose.yml of a halab checkout")
        if not (self.root / "bin" / "lab").is_file():
            raise HalabLabError(f"{self.root} is not a halab checkout: bin/lab is missing beside {self.compose_file.name}")
        if self.gameday is not None and not Path(self.gameday).is_file():
            raise HalabLabError(f"game-day file {self.gameday} not found")
        if not (self.root / "profiles" / f"{self.profile}.env").is_file():
            available = ", ".join(sorted(p.stem for p in (self.root / "profiles").glob("*.env")))
            raise HalabLabError(f"unknown profile '{self.profile}'; available: {available}")
        if self.time_factor <= 0:
            raise HalabLabError(f"time factor must be above 0, not {self.time_factor}")
        # One folder of journals per HalabLab, so that runs of other sessions never mix in.
        self.reports = f"reports/pytest/{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}-{os.getpid()}"

    # --- the lab ------------------------------------------------------------------------------

    @property
    def env(self) -> dict[str, str]:
        env = {**os.environ, "PROFILE": self.profile,
               "SETTLE_TIMEOUT": str(round(SETTLE_TIMEOUT_S * self.time_factor))}
        if self.subnet:
            env["HALAB_SUBNET"] = self.subnet
        return env

    def _compose(self):
        # Imported here: the plugin is loaded by every pytest run where halab is installed.
        from testcontainers.compose import DockerCompose

        subnet = self.env.get("HALAB_SUBNET", "10.77.0.0/24")
        env_file = Path(tempfile.mkdtemp(prefix="halab-compose-")) / "lab.env"
        # What bin/lab hands compose: the profile and the subnet's first three octets.
        env_file.write_text(f"PROFILE={self.profile}\nHALAB_NET={subnet.removesuffix('.0/24')}\n")
        return DockerCompose(context=self.root, compose_file_name=self.compose_file.name, wait=True,
                             env_file=str(env_file))

    def is_running(self) -> bool:
        import docker

        client = docker.from_env()
        return bool(client.containers.list(filters={"label": f"com.docker.compose.project={PROJECT}"}, ignore_removed=True))

    def start(self) -> HalabLab:
        """Reuses a running lab (and leaves it running); otherwise builds what is missing,
        brings the lab up with DockerCompose and waits for steady state, as `make up` does."""
        if self.is_running():
            self._check_profile_in_force()
            return self
        self._lab("images")
        self.started_here = True
        try:
            self._compose().start()
        except Exception as e:  # compose's own output is in its log; name the step
            raise HalabLabError(f"docker compose up --wait failed: {getattr(e, 'stderr', b'').decode(errors='replace')[-2000:] or e}") from e
        self._lab("settle")
        return self

    def stop(self) -> None:
        """Takes the lab down only if this object brought it up."""
        if self.started_here:
            self._compose().stop(down=True)
            self._lab("down")  # what compose's own down leaves: fault deadlines, the tools profile
            self.started_here = False

    def status(self) -> dict:
        import json

        out = self._lab("status", env={"JSON": "1"}, check=False)
        try:
            return json.loads(out.stdout)
        except ValueError as e:
            raise HalabLabError(f"make status JSON=1 printed no JSON (exit {out.returncode}): {out.stderr[-1000:]}") from e

    # --- game days ----------------------------------------------------------------------------

    def run_gameday(self, path: Path | str | None = None, *, scenarios: tuple[str, ...] = ()) -> GameDayOutcome:
        """Runs a game-day file (default: this lab's `gameday`, else the checkout's default one),
        or some of its scenarios, and returns what its journal says."""
        file = Path(path) if path else self.gameday
        env = {"REPORTS": self.reports}
        if file:
            env["FILE"] = str(Path(file).resolve())
        if scenarios:
            if len(scenarios) > 1:
                raise HalabLabError("run one scenario at a time, or the whole game day")
            env["SCENARIO"] = scenarios[0]
        before = self._latest_journal()
        proc = self._lab("chaos", env=env, check=False)
        journal = self._latest_journal()
        # 0: every budget held; 1: a budget was broken (the caller asserts on the numbers).
        if journal is None or journal == before or proc.returncode not in (0, 1):
            raise HalabLabError(f"the game day did not complete (exit {proc.returncode}):\n{_tail(proc)}")
        self._runs += 1
        return GameDayOutcome.from_journal(journal)

    def run_scenario(self, name: str, gameday: Path | str | None = None) -> ScenarioOutcome:
        """Runs one scenario of the game day from steady state and returns its outcome.
        Raises ScenarioSkipped when the lab skipped it (a fault this machine cannot inject)."""
        outcome = self.run_gameday(gameday, scenarios=(name,)).scenario(name)
        if outcome.verdict == "skipped":
            raise ScenarioSkipped(name, "; ".join(outcome.reasons) or "skipped")
        return outcome

    # --- helpers ------------------------------------------------------------------------------

    def _latest_journal(self) -> Path | None:
        path = self.root / self.reports / "latest" / "journal.json"
        return path.resolve() if path.exists() else None

    def _lab(self, *args: str, env: dict[str, str] | None = None, check: bool = True) -> subprocess.CompletedProcess:
        proc = subprocess.run(["bin/lab", *args], cwd=self.root, env={**self.env, **(env or {})},
                              text=True, capture_output=True)
        if check and proc.returncode != 0:
            raise HalabLabError(f"bin/lab {' '.join(args)} failed (exit {proc.returncode}):\n{_tail(proc)}")
        return proc

    def _check_profile_in_force(self) -> None:
        import docker

        client = docker.from_env()
        found = client.containers.list(filters={"label": [f"com.docker.compose.project={PROJECT}",
                                                           "com.docker.compose.service=pg1"]}, ignore_removed=True)
        env = dict(item.split("=", 1) for item in found[0].attrs["Config"]["Env"] if "=" in item) if found else {}
        running = env.get("HALAB_PROFILE")
        if running and running != self.profile:
            raise HalabLabError(f"a lab is already running with profile '{running}', not '{self.profile}': "
                                f"make up PROFILE={self.profile} first, or ask for --halab-profile={running}")


def _tail(proc: subprocess.CompletedProcess, chars: int = 3000) -> str:
    text = re.sub(r"\x1b\[[0-9;]*m", "", (proc.stdout or "") + (proc.stderr or ""))
    return text[-chars:]
