#!/usr/bin/env bash
# Runs HAProxy under a small supervisor and keepalived in the foreground.
# HAProxy can die while the container lives (the gray failure the chaos game day injects):
# keepalived's track script then drops the VIP, and the supervisor restarts HAProxy after
# HAPROXY_RESTART_DELAY seconds, as systemd's Restart=on-failure would.
set -euo pipefail

: "${LB_NAME:?LB_NAME is required (lb1 or lb2)}"
: "${LB_PRIORITY:?LB_PRIORITY is required}"
: "${LB_SELF_IP:?}" "${LB_PEER_IP:?}" "${VIP:?}" "${VIP_PREFIX:=24}"
: "${HAPROXY_RESTART_DELAY:=5}"
export LB_NAME
# The lab network's first three octets (HALAB_SUBNET), for the backends' addresses.
export HALAB_NET=${LB_SELF_IP%.*}
# Where the backends are: their fixed addresses on the lab network, unless the environment says
# otherwise (a Swarm stack: each member's node address and the port it publishes there).
# The service in the app slots: halab's orders service unless a contract says otherwise
# (make up SERVICE=..., docs/your-service.md): its port, and the paths HAProxy checks.
: "${HALAB_APP_PORT:=8000}" "${HALAB_APP_READY_PATH:=/readyz}" "${HALAB_APP_HEALTH_PATH:=/healthz}"
: "${HALAB_BACKEND_APP1:=$HALAB_NET.21:$HALAB_APP_PORT}" "${HALAB_BACKEND_APP2:=$HALAB_NET.22:$HALAB_APP_PORT}" "${HALAB_BACKEND_APP3:=$HALAB_NET.23:$HALAB_APP_PORT}"
: "${HALAB_BACKEND_PG1:=$HALAB_NET.51:5432}" "${HALAB_BACKEND_PG2:=$HALAB_NET.52:5432}" "${HALAB_BACKEND_PG3:=$HALAB_NET.53:5432}"
: "${HALAB_PATRONI_API_PORT:=8008}"
export HALAB_APP_READY_PATH HALAB_APP_HEALTH_PATH HALAB_BACKEND_APP1 HALAB_BACKEND_APP2 HALAB_BACKEND_APP3 HALAB_BACKEND_PG1 HALAB_BACKEND_PG2 HALAB_BACKEND_PG3 HALAB_PATRONI_API_PORT

# keepalived names its interface: the one holding this load balancer's own address. On a Swarm
# node that is the node's LAN interface, which Docker plugs back in under a new name (eth0 -> eth3)
# when a partitioned node is reconnected; the node fault's revert then restarts this container.
LB_IFACE=$(ip -4 -o addr show | awk -v ip="$LB_SELF_IP" '{ split($4, a, "/") } a[1] == ip { print $2; exit }')
if [ -z "$LB_IFACE" ]; then
  echo "LB_SELF_IP $LB_SELF_IP is on none of this machine's interfaces:" >&2; ip -4 -o addr show >&2; exit 2
fi

# The failover knobs (@HALAB_...@) come from the profile, profiles/<name>.env, as environment.
render-profile /etc/keepalived/keepalived.conf.tmpl |
  sed -e "s/@LB_NAME@/$LB_NAME/g" -e "s/@LB_PRIORITY@/$LB_PRIORITY/g" -e "s/@LB_IFACE@/$LB_IFACE/g" \
    -e "s/@LB_SELF_IP@/$LB_SELF_IP/g" -e "s/@LB_PEER_IP@/$LB_PEER_IP/g" \
    -e "s#@VIP@#$VIP/$VIP_PREFIX#g" > /etc/keepalived/keepalived.conf
render-profile /etc/haproxy/haproxy.cfg.tmpl > /etc/haproxy/haproxy.cfg
mkdir -p /run/haproxy
# A SIGKILLed container restarts with keepalived's pid files still in /run, and keepalived
# then refuses to start ("daemon is already running"): nothing of ours runs yet, so clear them.
rm -f /run/keepalived.pid /run/vrrp.pid /run/checkers.pid /run/haproxy/admin.sock
# On a Swarm node the load balancer shares the node's own network: a SIGKILLed keepalived never
# removed the VIP it held, so the node still carries it and two nodes answer for it. Starting as
# BACKUP, this one does not hold the VIP: drop it; keepalived adds it back if it becomes MASTER.
# (In the single-engine lab the container's network is new at each start: nothing to drop.)
if ip -4 -o addr show dev "$LB_IFACE" | grep -q " $VIP/"; then
  ip -4 addr del "$VIP/$VIP_PREFIX" dev "$LB_IFACE"
  echo "dropped the VIP $VIP that a killed keepalived left on $LB_IFACE" >&2
fi
# Announce this load balancer's own address: a Swarm node plugged back into the LAN has a new
# interface with a new MAC, and its peer's ARP entry still names the old one, so the peer's
# unicast adverts go nowhere, this one hears no MASTER and takes the VIP (seen after a healed
# partition). Unsolicited ARP updates the peer at once. Harmless on the single-engine lab.
arping -q -U -c 2 -w 2 -I "$LB_IFACE" "$LB_SELF_IP" || true

supervise_haproxy() {
  while true; do
    haproxy -W -db -f /etc/haproxy/haproxy.cfg || true
    echo "haproxy exited; restarting in ${HAPROXY_RESTART_DELAY}s" >&2
    sleep "$HAPROXY_RESTART_DELAY"
  done
}
supervise_haproxy &

exec keepalived --dont-fork --log-console --vrrp --no-syslog -f /etc/keepalived/keepalived.conf
