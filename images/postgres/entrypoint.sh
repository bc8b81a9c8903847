#!/usr/bin/env bash
# Runs Patroni as the postgres user; Patroni starts, stops, promotes and rewinds PostgreSQL.
set -euo pipefail
chown postgres:postgres /var/lib/postgresql/data
chmod 700 /var/lib/postgresql/data
# The lab network's first three octets, for pg_hba; etcd's endpoints are PATRONI_ETCD_HOSTS.
: "${HALAB_NET:?}" "${PATRONI_ETCD_HOSTS:?}" "${PATRONI_POSTGRESQL_CONNECT_ADDRESS:?}"
# Where else clients connect from: the nodes' LAN on a Swarm (HAProxy runs there), else nowhere new.
export HALAB_CLIENTS_CIDR=${HALAB_CLIENTS_CIDR:-$HALAB_NET.0/24}
# The failover knobs (@HALAB_...@) come from the profile, profiles/<name>.env, as environment.
render-profile /etc/patroni/patroni.yml.tmpl > /etc/patroni/patroni.yml
# Beside Patroni until the cluster is initialised: frees it from a lost initialize race (its
# docstring says how and when). In a subshell, so that init, not Patroni, reaps it.
(setpriv --reuid=postgres --regid=postgres --init-groups python3 /usr/local/bin/bootstrap_guard.py &)
exec setpriv --reuid=postgres --regid=postgres --init-groups patroni /etc/patroni/patroni.yml
