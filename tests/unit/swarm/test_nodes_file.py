"""NODES_FILE, the machines of a Swarm by their Docker endpoints (docs/swarm.md, "On real
machines"): bin/swarm reads it before it talks to any engine, so a mistake is named, with the
line and what is allowed, and nothing is touched. A file it takes gets as far as the command."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

GOOD = """\
# three machines, the control machine, the VIP
node1    tcp://192.168.1.21:2375
node2    tcp://192.168.1.22:2375   # a comment after a line
node3    tcp://192.168.1.23:2375

control  tcp://192.168.1.20:2375
vip      192.168.1.10
"""


def swarm(tmp_path: Path, text: str, command: str = "no-such-command", **env: str) -> subprocess.CompletedProcess:
    nodes = tmp_path / "nodes"
    nodes.write_text(text)
    return subprocess.run([str(ROOT / "bin" / "swarm"), command], capture_output=True, text=True, timeout=30,
                          env={**os.environ, "NODES_FILE": str(nodes), **env})


def test_a_good_file_gets_as_far_as_the_command(tmp_path):
    done = swarm(tmp_path, GOOD)
    assert done.returncode == 1 and done.stderr.startswith("error: unknown command 'no-such-command'"), done.stderr


def test_the_example_file_names_the_local_nodes(tmp_path):
    done = swarm(tmp_path, (ROOT / "examples" / "swarm-nodes").read_text())
    assert "unknown command" in done.stderr, done.stderr


@pytest.mark.parametrize(("text", "says"), [
    (GOOD.replace("tcp://192.168.1.22:2375", "tcp://192.168.1.22:2376"),
     "line 3: node2's endpoint must be tcp://<its IPv4 address on the LAN>:2375"),
    (GOOD.replace("tcp://192.168.1.22:2375", "ssh://me@host"), "line 3: node2's endpoint must be tcp://"),
    (GOOD.replace("node3 ", "nodex "), "line 4: unknown name 'nodex'; a line names node1 ... node9, control or vip"),
    (GOOD.replace("node3    tcp://192.168.1.23:2375", "node4    tcp://192.168.1.23:2375"),
     "the nodes must be node1 to node3, with none left out (node3 is missing)"),
    (GOOD.replace("node3    tcp://192.168.1.23:2375\n", ""), "names 2 node(s); at least three"),
    (GOOD.replace("control  tcp://192.168.1.20:2375\n", ""), "names no control machine"),
    (GOOD.replace("vip      192.168.1.10\n", ""), "names no VIP"),
    (GOOD.replace("vip      192.168.1.10", "vip      the-vip"), "the VIP must be an IPv4 address"),
    (GOOD.replace("vip      192.168.1.10", "vip      192.168.1.21"), "line 7: 192.168.1.21 is given twice"),
    (GOOD + "node2 tcp://192.168.1.30:2375\n", "line 8: node2 is named twice"),
    (GOOD.replace("node1    tcp://192.168.1.21:2375", "node1 tcp://192.168.1.21:2375 manager"),
     "line 2: 'node1 tcp://192.168.1.21:2375 manager' is not a name and an endpoint"),
])
def test_a_mistake_is_named_with_its_line_and_what_is_allowed(tmp_path, text, says):
    done = swarm(tmp_path, text)
    assert done.returncode == 1 and says in done.stderr and "unknown command" not in done.stderr, done.stderr


def test_nodes_must_agree_with_the_file(tmp_path):
    done = swarm(tmp_path, GOOD, NODES="5")
    assert "NODES=5, but NODES_FILE=" in done.stderr and "names 3 nodes: drop NODES" in done.stderr, done.stderr
    assert "unknown command" in swarm(tmp_path, GOOD, NODES="3").stderr


def test_a_missing_file_is_named(tmp_path):
    done = subprocess.run([str(ROOT / "bin" / "swarm"), "status"], capture_output=True, text=True, timeout=30,
                          env={**os.environ, "NODES_FILE": str(tmp_path / "absent")})
    assert done.returncode == 1 and "absent: no such file (a line per machine" in done.stderr, done.stderr


def test_machines_have_no_node_faults(tmp_path):
    """Nothing here can power off, freeze or unplug a machine of NODES_FILE: refused, before any engine is asked."""
    done = swarm(tmp_path, GOOD, command="fault")
    assert done.returncode == 1 and "the machines of NODES_FILE have no such engine here" in done.stderr, done.stderr


def test_the_single_engine_lab_refuses_a_nodes_file(tmp_path):
    (tmp_path / "nodes").write_text(GOOD)
    done = subprocess.run([str(ROOT / "bin" / "lab"), "status"], capture_output=True, text=True, timeout=30,
                          env={**os.environ, "NODES_FILE": str(tmp_path / "nodes"), "ENGINE": ""})
    assert done.returncode == 1 and "NODES_FILE names the machines of a Swarm: add ENGINE=swarm" in done.stderr, done.stderr
