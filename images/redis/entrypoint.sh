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
case "$REDIS_ROLE" in
  server)
    if [ ! -f /data/redis.conf ]; then
      render /etc/halab/redis.conf > /data/redis.conf
      if [ "$REDIS_SELF_IP" != "$REDIS_INITIAL_MASTER" ]; then
        echo "replicaof $REDIS_INITIAL_MASTER 6379" >> /data/redis.conf
      fi
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
