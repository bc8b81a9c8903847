"""`make heal` on a fake lab: what each fault leaves behind is undone, said in one line each, in
service order, and a second heal finds nothing."""

from __future__ import annotations

from dataclasses import dataclass, field

from halab.chaos.engine.faults.network import Partition
from halab.chaos.engine.handle import _split_by_service
from halab.chaos.engine.heal import heal

NETWORK = "halab_lab"


@dataclass
class FakeContainer:
    name: str
    status: str = "running"
    networks: set[str] = field(default_factory=lambda: {NETWORK})
    netem: bool = False
    blackhole: bool = False
    calls: list[str] = field(default_factory=list)
    labels: dict[str, str] = field(default_factory=dict)

    @property
    def attrs(self) -> dict:
        return {"NetworkSettings": {"Networks": {n: {} for n in self.networks}}}

    def reload(self) -> None:
        pass

    def start(self) -> None:
        self.calls.append("start")
        self.status = "running"

    def unpause(self) -> None:
        self.calls.append("unpause")
        self.status = "running"

    def remove(self, force: bool = False) -> None:
        self.calls.append("remove")


@dataclass
class FakeNetwork:
    name: str = NETWORK

    def connect(self, ct: FakeContainer, ipv4_address: str, aliases: list[str]) -> None:
        assert aliases == [ct.name] and ipv4_address.startswith("10.77.0.")
        ct.networks.add(self.name)


class FakeLab:
    """Services in Docker's listing order, helper containers, and namespaces that run heal's script."""

    def __init__(self, *services: FakeContainer, helpers: tuple[FakeContainer, ...] = (),
                 watchdogs: tuple[FakeContainer, ...] = ()) -> None:
        self.cts = {ct.name: ct for ct in services}
        self.helpers = list(helpers)
        self.watchdogs = list(watchdogs)
        self.netns_runs: list[str] = []
        self.helper_runs = 0
        self.client = self

    @property
    def containers(self) -> FakeLab:
        return self

    def list(self, all: bool, filters: dict, ignore_removed: bool = False) -> list[FakeContainer]:
        assert ignore_removed  # one going meanwhile is no error
        if filters == {"label": "halab.deadline"}:
            return [w for w in self.watchdogs if "remove" not in w.calls]
        assert filters == {"label": "halab.helper"}
        found, self.helpers = self.helpers, []
        return found

    def services(self) -> dict[str, FakeContainer]:
        return self.cts

    def network(self, on: FakeContainer | None = None) -> FakeNetwork:
        return FakeNetwork()

    def engines(self) -> list[FakeLab]:
        return [self]

    def let_up(self, service: str) -> None:
        return None  # one engine: nothing is held down

    def in_every_netns(self, targets: dict[str, FakeContainer], script: str) -> dict[str, tuple[int, str]]:
        self.helper_runs += 1
        found = {}
        for service, ct in targets.items():
            if ct.status != "running":
                continue
            self.netns_runs.append(service)
            out = ["some tool output"]
            if ct.netem and "HEALED-netem" in script:
                ct.netem = False
                out.append("HEALED-netem")
            if ct.blackhole and "HEALED-blackhole" in script:
                ct.blackhole = False
                out.append("HEALED-blackhole")
            found[service] = (0, "\n".join(out))
        return found


def broken_lab() -> FakeLab:
    return FakeLab(
        FakeContainer("sentinel2", status="exited"),
        FakeContainer("app1", status="paused"),
        FakeContainer("redis3", networks=set()),
        FakeContainer("app2", blackhole=True),
        FakeContainer("app3", netem=True, blackhole=True),
        FakeContainer("pg1", status="created", networks=set()),
        FakeContainer("kafka1"),
        helpers=(FakeContainer("halab-netns-1"),),
    )


def test_heal_undoes_every_leftover_one_line_each_containers_first_then_namespaces():
    lab = broken_lab()
    assert heal(lab) == [
        "removed leftover helper container halab-netns-1",
        "started sentinel2",
        "unpaused app1",
        "reconnected redis3 to halab_lab",
        "started pg1",
        "reconnected pg1 to halab_lab",
        "removed blackhole routes in app2",
        "removed netem rule in app3",
        "removed blackhole routes in app3",
    ]
    assert all(ct.status == "running" and NETWORK in ct.networks for ct in lab.cts.values())
    # Namespaces are looked into once every container runs again, all from one helper container.
    assert lab.netns_runs == ["sentinel2", "app1", "redis3", "app2", "app3", "pg1", "kafka1"]
    assert lab.helper_runs == 1


def test_a_second_heal_finds_nothing():
    lab = broken_lab()
    heal(lab)
    assert heal(lab) == []


def test_a_container_that_does_not_run_has_no_namespace_to_look_in():
    lab = FakeLab(FakeContainer("app1", status="restarting"))
    assert heal(lab) == [] and lab.netns_runs == []


def test_the_helpers_output_is_cut_into_each_services_code_and_output():
    output = "\n".join([
        "@@halab-netns-begin:app1", "HEALED-netem", "@@halab-netns-end:app1 0",
        "@@halab-netns-begin:app2", "@@halab-netns-end:app2 1",
        "@@halab-netns-begin:app3", "nsenter: cannot open /proc/9/ns/net: No such file",  # the helper died here
    ])
    assert _split_by_service(output) == {
        "app1": (0, "HEALED-netem"),
        "app2": (1, ""),
        "app3": (-1, "nsenter: cannot open /proc/9/ns/net: No such file"),
    }


class RestartableContainer(FakeContainer):
    def restart(self, timeout: int) -> None:
        self.calls.append("restart")


def test_a_load_balancer_reconnected_by_heal_is_restarted_on_its_new_interface():
    lb, app = RestartableContainer("lb1", networks=set()), RestartableContainer("app1", networks=set())
    assert heal(FakeLab(lb, app)) == [
        "reconnected lb1 to halab_lab, restarted it on its new interface",
        "reconnected app1 to halab_lab",
    ]
    assert lb.calls == ["restart"] and app.calls == []


class OneContainerLab(FakeLab):
    def container(self, service: str) -> FakeContainer:
        return self.cts[service]


def test_reverting_a_partition_of_a_load_balancer_restarts_it_after_the_reconnect():
    # Found on Swarm (docs/swarm.md): keepalived stayed bound to the eth0 the partition took away.
    lab = OneContainerLab(RestartableContainer("lb2"))
    fault = Partition(lab, "lb2")
    lab.cts["lb2"].networks.clear()  # as inject leaves it
    fault.revert()
    assert lab.cts["lb2"].networks == {NETWORK} and lab.cts["lb2"].calls == ["restart"]
    fault.revert()  # a second revert finds it connected and leaves it alone
    assert lab.cts["lb2"].calls == ["restart"]


def watchdog(name: str, what: str) -> FakeContainer:
    return FakeContainer(name, labels={"halab.deadline": what})


def test_heal_disarms_the_watchdogs_of_dead_controllers_which_would_fire_into_a_later_fault():
    # Armed for minutes, one fired into the next game day and thawed its frozen node after 3 s of 20.
    lab = FakeLab(FakeContainer("app1", status="paused"),
                  watchdogs=(watchdog("halab-deadline-1", "node-pause node3"), watchdog("halab-deadline-2", "kill pg1")))
    assert heal(lab) == ["unpaused app1",
                         "disarmed the watchdog of node-pause node3: nothing left for it to undo",
                         "disarmed the watchdog of kill pg1: nothing left for it to undo"]
    assert heal(lab) == []


def test_a_watchdog_that_heals_disarms_the_others_and_not_itself(monkeypatch):
    lab = FakeLab(watchdogs=(watchdog("halab-deadline-1", "pause app1"), watchdog("halab-deadline-2", "kill pg1")))
    monkeypatch.setenv("HALAB_DEADLINE_NAME", "halab-deadline-2")
    assert heal(lab) == ["disarmed the watchdog of pause app1: nothing left for it to undo"]
    assert lab.watchdogs[1].calls == []  # removing itself would end its own heal
