"""The lab's look at Redis asks each server once: redis-py 6 retries a connect that timed out
3 times with backoff, and during a node partition one look at the cut-off node's Redis and
Sentinel took 19.9 s, so the game day saw the new master only after the revert."""

from __future__ import annotations

import socket

import redis.connection

from halab.lab import roles, topology


def test_a_server_whose_connect_times_out_is_asked_once_per_look(monkeypatch):
    attempts: list[int] = []

    def cut_off(self):  # as a node off the LAN: no answer to the SYN, the connect timeout ends it
        attempts.append(self.port)
        raise socket.timeout("timed out")

    monkeypatch.setattr(redis.connection.Connection, "_connect", cut_off)
    monkeypatch.setattr(topology, "REDISES", {"redis3": "10.78.0.13"})
    monkeypatch.setattr(topology, "SENTINELS", {"sentinel3": "10.78.0.13"})
    view = roles.redis_view()
    assert view.master is None and view.sentinel_answers == {"sentinel3": None}
    assert attempts == [topology.REDIS_PORT, topology.SENTINEL_PORT]  # once each: no hidden retries
