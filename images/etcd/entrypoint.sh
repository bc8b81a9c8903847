#!/usr/bin/env bash
# Starts one member of the three-member etcd cluster. Configuration is passed as flags only:
# etcd refuses to start when an ETCD_* variable repeats a command-line flag.
set -euo pipefail
: "${ETCD_MEMBER:?}" "${ETCD_SELF_IP:?}" "${ETCD_CLUSTER:?}"
exec env -u ETCD_MEMBER -u ETCD_SELF_IP -u ETCD_CLUSTER etcd \
  --name "$ETCD_MEMBER" \
  --data-dir /var/lib/etcd/data \
  --listen-peer-urls "http://0.0.0.0:2380" \
  --listen-client-urls "http://0.0.0.0:2379" \
  --initial-advertise-peer-urls "http://$ETCD_SELF_IP:2380" \
  --advertise-client-urls "http://$ETCD_SELF_IP:2379" \
  --initial-cluster "$ETCD_CLUSTER" \
  --initial-cluster-state new \
  --initial-cluster-token halab-etcd \
  `# Raft heartbeat 100 ms, election after 1 s without one: the etcd defaults, which a` \
  `# busy 2-core machine holds; shorter would make etcd itself re-elect under load.` \
  --heartbeat-interval 100 \
  --election-timeout 1000 \
  `# Patroni talks to etcd over the v2 API (see images/postgres/patroni.yml for why).` \
  --enable-v2=true \
  --logger zap --log-level warn
