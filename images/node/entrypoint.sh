#!/bin/sh
# A node's engine. Its containers' cgroups go below the node container's own, so that freezing
# the node (`docker pause`, node-pause) freezes every task on it: the cgroup v1 freezer freezes a
# cgroup's descendants. Left to its default (/docker), with the host's cgroup hierarchy mounted,
# the inner engine put its containers beside the node's, and a "frozen" node's Patroni leader went
# on leading (seen 2026-11-25). "tasks" is taken: every v1 cgroup has a file of that name.
set -eu
# --tls=false says on purpose what the plain TCP listener on the nodes' LAN is: engine 26 waits
# 15 s at start to warn about it otherwise, and later engines refuse to start without it.
own=$(awk -F: '$2 == "freezer" {print $3}' /proc/self/cgroup)
exec dockerd --host=unix:///var/run/docker.sock --host=tcp://0.0.0.0:2375 --tls=false ${own:+--cgroup-parent="$own/node"}
