#!/usr/bin/env bash
# Client loops, a few per store, each as a user would write it in a shell: one write, print when
# it started and ended (wall clock, seconds since the epoch) and whether it succeeded, pause,
# again. One line per attempt on stdout:   <client> <start> <end> ok|fail <detail>
# A single loop is blind while its attempt hangs and between attempts, so the cheap clients run
# two staggered loops; more would load a 2-core machine enough to change what is measured.
# `halab chaos crosscheck` reads these lines beside a journal. Runs until stopped.
set -u
VIP=${VIP:-10.77.0.10}
SENTINELS=${SENTINELS:-"10.77.0.41 10.77.0.42 10.77.0.43"}
PAUSE=${PAUSE:-0.1}   # between attempts of one loop
LOOPS=${LOOPS:-2}     # loops per client
RUN=${RUN:-$(date +%s)}

# Each client gives up after GIVE_UP_S, a plain user's few seconds. Not the probes' 1-2 s bound:
# every attempt here opens a new connection, and after a Patroni failover on 2 cores psql took
# 1-2 s just to connect to the new primary for several seconds, while pooled writes were fast.
GIVE_UP_S=${GIVE_UP_S:-4}
# Redis answers in well under a millisecond, and its clients wait far less than a database's (the
# app's and the probe's socket timeout is 1 s). With 4 s, every SET sent to the dead master before
# the Sentinels promote a replica hung 4 s, and the witness measured its own patience.
REDIS_GIVE_UP_S=${REDIS_GIVE_UP_S:-1}
report() { printf '%s %s %s %s %s\n' "$1" "$2" "$EPOCHREALTIME" "$3" "${4//[$'\n ']/_}"; }

http_loop() {
  local id=$1 seq=0 start code
  while :; do
    seq=$((seq + 1)); start=$EPOCHREALTIME
    code=$(curl -s -o /dev/null -w '%{http_code}' --connect-timeout 1 --max-time "$GIVE_UP_S" \
      -H "Idempotency-Key: witness-$RUN-$id-$seq" -H 'Content-Type: application/json' \
      -d '{"customer":"witness","item":"witness","quantity":1}' "http://$VIP/orders")
    [[ $code == 200 || $code == 201 ]] && report curl "$start" ok "$code" || report curl "$start" fail "http_$code"
    sleep "$PAUSE"
  done
}

psql_loop() {
  local id=$1 seq=0 start out
  local conn="host=$VIP port=5432 dbname=probes user=app password=app connect_timeout=2 options='-c statement_timeout=3000'"
  while :; do
    seq=$((seq + 1)); start=$EPOCHREALTIME
    # psql has no client-side limit on a statement (a frozen primary would hold it forever):
    # `timeout` is its limit.
    if out=$(timeout "$GIVE_UP_S" psql "$conn" -qtA -v ON_ERROR_STOP=1 \
        -c "INSERT INTO witness_writes (run, seq) VALUES ('$RUN', $((id * 1000000 + seq)))" 2>&1); then
      report psql "$start" ok -
    else
      # The table is made on first use (and again if a test dropped the database).
      [[ $out == *witness_writes*"does not exist"* ]] &&
        psql "$conn" -qtA -c "CREATE TABLE IF NOT EXISTS witness_writes (run text, seq int, at timestamptz DEFAULT now())" >/dev/null 2>&1
      report psql "$start" fail "${out:0:80}"
    fi
    sleep "$PAUSE"
  done
}

# The master as a Sentinel sees it, "<ip>", or nothing while that Sentinel flags it down. This is
# how redis-py, the app's client, asks (SENTINEL MASTERS, then skips a master flagged s_down or
# o_down): with get-master-addr-by-name alone, which names the dead master until the failover is
# done, every attempt then hung its full give-up on the dead address, and the witness measured that
# wait, 0.15-0.7 s later than the probe in four of four runs (README, "the witness").
sentinel_master() {
  # redis-cli 7.0 has no connect timeout of its own: `timeout` bounds each call.
  timeout 1 redis-cli -h "$1" -p 26379 --raw SENTINEL master halab 2>/dev/null |
    awk 'NR % 2 == 1 { key = $0; next } key == "ip" { ip = $0 } key == "flags" { flags = $0 }
         END { if (ip != "" && flags !~ /(^|,)(s_down|o_down)(,|$)/) print ip }'
}

redis_loop() {
  local id=$1 seq=0 start master out s
  while :; do
    seq=$((seq + 1)); start=$EPOCHREALTIME; master=""
    for s in $SENTINELS; do   # ask the Sentinels for the master, as any Sentinel client does
      master=$(sentinel_master "$s")
      [[ -n $master ]] && break
    done
    if [[ -z $master ]]; then
      report redis-cli "$start" fail no_master
    else
      out=$(timeout "$REDIS_GIVE_UP_S" redis-cli -h "$master" --raw SET "witness:$RUN:$id:$seq" "$seq" EX 3600 2>&1)
      [[ $out == OK ]] && report redis-cli "$start" ok "$master" || report redis-cli "$start" fail "${out:0:80}"
    fi
    sleep "$PAUSE"
  done
}

trap 'kill 0; exit 0' TERM INT
for id in $(seq "$LOOPS"); do
  http_loop "$id" & psql_loop "$id" & redis_loop "$id" &
  sleep 0.03   # stagger the loops
done
wait
