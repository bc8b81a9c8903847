#!/usr/bin/env bash
# REDIS_ROLE=server: a Redis node; replicas start as replicas of REDIS_INITIAL_MASTER.
# REDIS_ROLE=sentinel: a Sentinel.
# The config is written once to /data and then owned by Redis/Sentinel, which rewrite it on
# failover; a restarted node must come back with the roles it learned, not the initial ones.
set -euo pipefail
: "${REDIS_ROLE:?}" "${REDIS_SELF_IP:?}" "${REDIS_INITIAL_MASTER:?}"
render() { sed -e "s/\${REDIS_SELF_IP}/$REDIS_SELF_IP/g" -e "s/\${REDIS_INITIAL_MASTER}/$REDIS_INITIAL_MASTER/g" "$1"; }
# The failover knobs (@HALAB_...@) come from the profile, profiles/<name>.env, as environment.
mkdir -p /data

# The master a majority of the Sentinels (REDIS_SENTINELS, host:port,...) name now; fails when no
# majority answers alike (none running yet, or a failover under way). Asked in parallel, 1 s each.
sentinels_master() {
  local answers sentinel n=0
  answers=$(for sentinel in ${REDIS_SENTINELS//,/ }; do
    timeout 1 redis-cli -h "${sentinel%:*}" -p "${sentinel##*:}" --raw SENTINEL get-master-addr-by-name halab 2>/dev/null | head -n 1 &
  done; wait)
  for sentinel in ${REDIS_SENTINELS//,/ }; do n=$((n + 1)); done
  echo "$answers" | grep -E '^[0-9A-Za-z._-]+$' | sort | uniq -c | awk -v need=$((n / 2 + 1)) '$1 >= need { print $2; found=1 } END { exit !found }'
}

case "$REDIS_ROLE" in
  server)
    if [ ! -f /data/redis.conf ]; then
      render /etc/halab/redis.conf > /data/redis.conf
      if [ "$REDIS_SELF_IP" != "$REDIS_INITIAL_MASTER" ]; then
        echo "replicaof $REDIS_INITIAL_MASTER 6379" >> /data/redis.conf
      fi
    elif [ -n "${REDIS_SENTINELS:-}" ] && master=$(sentinels_master) && [ "$master" != "$REDIS_SELF_IP" ]; then
      # Back after a failover (a restart, not the first start): the Sentinels promoted another
      # member meanwhile. Start as its replica rather than as a second master that refuses writes
      # (min-replicas-to-write) until a Sentinel's next look, up to 10 s later, converts it.
      sed -i -e '/^replicaof /d' -e '/^slaveof /d' /data/redis.conf
      echo "replicaof $master 6379" >> /data/redis.conf
      echo "halab: the Sentinels name $master the master: starting as its replica"
    fi
    exec redis-server /data/redis.conf ;;
  sentinel)
    [ -f /data/sentinel.conf ] || render /etc/halab/sentinel.conf | render-profile /dev/stdin > /data/sentinel.conf
    # A Sentinel restarted under another profile keeps what it learned but takes the new timers.
    sed -i -e "s/^sentinel down-after-milliseconds halab .*/sentinel down-after-milliseconds halab $HALAB_SENTINEL_DOWN_AFTER_MS/" \
      -e "s/^sentinel failover-timeout halab .*/sentinel failover-timeout halab $HALAB_SENTINEL_FAILOVER_TIMEOUT_MS/" /data/sentinel.conf
    exec redis-sentinel /data/sentinel.conf ;;
  *)
    echo "REDIS_ROLE must be 'server' or 'sentinel', not '$REDIS_ROLE'" >&2; exit 2 ;;
esac
