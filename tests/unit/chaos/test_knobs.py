"""The knobs read back from the running services: keepalived's, from its rendered config (the
report's knob table showed the comment line after `nopreempt` as its value)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

from halab.chaos.engine import knobs

ROOT = Path(__file__).resolve().parents[3]


def rendered_keepalived(priority: str) -> str:
    text = (ROOT / "images/lb/keepalived.conf.tmpl").read_text()
    values = {"HALAB_VRRP_VERSION": "3", "HALAB_VRRP_ADVERT_INT": "0.25", "LB_IFACE": "eth0", "LB_PRIORITY": priority}
    for key, value in values.items():
        text = text.replace(f"@{key}@", value)
    return text


def test_keepalived_knobs_are_the_configs_values_and_a_bare_flag_reads_on(monkeypatch):
    configs = {"lb1": rendered_keepalived("150"), "lb2": rendered_keepalived("100")}
    monkeypatch.setattr(knobs.containers, "exec_text", lambda container, cmd: (0, configs[container]))
    lab = SimpleNamespace(container=lambda service: service)
    got = knobs._keepalived(lab)
    assert got["nopreempt"] == "on"
    assert got["version"] == "3" and got["advert_int"] == "0.25"
    assert got["priority"] == {"lb1": "150", "lb2": "100"}
    assert not any(str(v).startswith("#") for v in got.values())
