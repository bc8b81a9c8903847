"""`make heal`: undo whatever a dead or interrupted controller left behind. Idempotent: on a
healthy lab it changes nothing and says so."""

from __future__ import annotations

from halab.chaos.faults.network import lab_dev_sh
from halab.chaos.lab import Lab
from halab.lab import topology


def heal(lab: Lab) -> list[str]:
    """Returns one line per thing it repaired."""
    actions: list[str] = []
    network = lab.network()
    # Leftover helper containers of an interrupted netns fault.
    for helper in lab.client.containers.list(all=True, filters={"label": "halab.helper"}):
        helper.remove(force=True)
        actions.append(f"removed leftover helper container {helper.name}")
    for name, ct in lab.services().items():
        ct.reload()
        if ct.status == "paused":
            ct.unpause()
            actions.append(f"unpaused {name}")
        elif ct.status in ("exited", "created", "dead"):
            ct.start()
            actions.append(f"started {name}")
        ct.reload()
        if network.name not in ct.attrs["NetworkSettings"]["Networks"]:
            network.connect(ct, ipv4_address=topology.ALL_SERVICES[name], aliases=[name])
            actions.append(f"reconnected {name} to {network.name}")
        if ct.status != "running":
            continue
        # netem qdiscs and blackhole routes live in the container's network namespace.
        code, out = lab.in_netns(name, lab_dev_sh(
            'tc qdisc show dev "$DEV" 2>/dev/null | grep -q netem && tc qdisc del dev "$DEV" root && echo HEALED-netem;'
            " ip route show type blackhole | grep -q . && ip route flush type blackhole && echo HEALED-blackhole; true"))
        # Only the markers count: anything else the tools print is not something that was healed.
        if "HEALED-netem" in out.split():
            actions.append(f"removed netem rule in {name}")
        if "HEALED-blackhole" in out.split():
            actions.append(f"removed blackhole routes in {name}")
    return actions
