#!/bin/sh
# keepalived's track script: the node may hold the VIP only while its HAProxy runs.
exec pidof haproxy >/dev/null
