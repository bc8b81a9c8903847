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
# curl and redis-cli open a new connection per attempt (psql keeps a session until it breaks),
# and after a Patroni failover on 2 cores a new psql connection took 1-2 s to the new primary
# for several seconds, while pooled writes were fast.
GIVE_UP_S=${GIVE_UP_S:-4}
# Redis answers in well under a millisecond, and its clients wait far less than a database's (the
# app's and the probe's socket timeout is 1 s). With 4 s, every SET sent to the dead master before
# the Sentinels promote a replica hung 4 s, and the witness measured its own patience.
REDIS_GIVE_UP_S=${REDIS_GIVE_UP_S:-1}
report() { printf '%s %s %s %s %s\n' "$1" "$2" "$EPOCHREALTIME" "$3" "${4//[$'\n ']/_}"; }

# The write halab's orders service takes, unless the app slots run another service: then its
# contract's write (halab.lab.service puts it here), @KEY@ and @SEQ@ filled in per attempt.
HTTP_WRITE_METHOD=${HTTP_WRITE_METHOD:-POST}
HTTP_WRITE_PATH=${HTTP_WRITE_PATH:-/orders}
HTTP_WRITE_BODY=${HTTP_WRITE_BODY-'{"customer":"witness","item":"witness","quantity":1}'}
HTTP_WRITE_SUCCESS=${HTTP_WRITE_SUCCESS:-200 201}

http_loop() {
  local id=$1 seq=0 start code key body path data
  while :; do
    seq=$((seq + 1)); start=$EPOCHREALTIME
    key="witness-$RUN-$id-$seq"
    body=${HTTP_WRITE_BODY//@KEY@/$key} path=${HTTP_WRITE_PATH//@KEY@/$key}
    body=${body//@SEQ@/$seq} path=${path//@SEQ@/$seq}
    data=(); [[ -n $body ]] && data=(-H 'Content-Type: application/json' -d "$body")
    code=$(curl -s -o /dev/null -w '%{http_code}' --connect-timeout 1 --max-time "$GIVE_UP_S" \
      -X "$HTTP_WRITE_METHOD" -H "Idempotency-Key: $key" "${data[@]}" "http://$VIP$path")
    [[ " $HTTP_WRITE_SUCCESS " == *" $code "* ]] && report curl "$start" ok "$code" || report curl "$start" fail "http_$code"
    sleep "$PAUSE"
  done
}

# psql keeps a session open, as an application keeps a pool, and writes through it one INSERT at
# a time. Before each write it checks the session with a round trip and opens a new one if the old
# is gone, as a pool checks a connection before lending it (psycopg_pool's `check`, the probe's),
# trying again until the give-up: the attempt then includes the reconnect, as a pooled request
# includes its wait for a connection. A write that fails or hangs past GIVE_UP_S ends its session.
# Until 2026-11-24 every attempt was a new psql process and connection: on this loaded 2-core
# machine that alone took 0.3-1.4 s (40 ms at rest), so after a failover the witness reported the
# end of its own next connect, not the database's return (docs/measurements.md).
psql_loop() {
  local id=$1 seq=0 start line status n pid="" to from fifo
  local conn="host=$VIP port=5432 dbname=probes user=app password=app connect_timeout=2 options='-c statement_timeout=3000'"
  fifo=$(mktemp -d)
  mkfifo "$fifo/in" "$fifo/out"
  trap '' PIPE   # a write to a session that died is an error to see, not a signal that ends the loop
  close_session() {
    [[ -n $pid ]] || return 0
    exec {to}>&- {from}<&-
    kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; pid=""
  }
  # ask STATEMENT: its one line of answer in $line; false if none came within GIVE_UP_S
  ask() { printf '%s\n' "$1" >&"$to" 2>/dev/null && read -r -t "$GIVE_UP_S" line <&"$from"; }
  open_session() {
    psql "$conn" -qtAX -v ON_ERROR_STOP=0 <"$fifo/in" >"$fifo/out" 2>&1 & pid=$!
    exec {to}>"$fifo/in" {from}<"$fifo/out"
    ask '\echo connected' && [[ $line == connected ]]   # psql connects before it reads a line
  }
  while :; do
    seq=$((seq + 1)); n=$((id * 1000000 + seq)); start=$EPOCHREALTIME; line=""
    if [[ -n $pid ]] && ! { ask "SELECT 'alive';" && [[ $line == alive ]]; }; then
      close_session
    fi
    # Like a pool's wait for a connection, reconnecting goes on until the give-up.
    while [[ -z $pid ]] && ! open_session; do
      close_session
      (( ${EPOCHREALTIME/./} - ${start/./} < GIVE_UP_S * 1000000 )) || break
      sleep 0.05
    done
    if [[ -z $pid ]]; then
      report psql "$start" fail "connect:${line:0:72}"
      sleep "$PAUSE"; continue
    fi
    if ask "WITH w AS (INSERT INTO witness_writes (run, seq) VALUES ('$RUN', $n) RETURNING seq) SELECT 'ok ' || seq FROM w;" &&
        [[ $line == "ok $n" ]]; then
      report psql "$start" ok -
    else
      line=${line:-no answer in $GIVE_UP_S s}
      report psql "$start" fail "${line:0:80}"
      # The table is made on first use (and again if a test dropped the database).
      [[ $line == *witness_writes*"does not exist"* ]] &&
        psql "$conn" -qtA -c "CREATE TABLE IF NOT EXISTS witness_writes (run text, seq int, at timestamptz DEFAULT now())" >/dev/null 2>&1
      close_session
    fi
    sleep "$PAUSE"
  done
}

# The master as a Sentinel sees it, "<ip>", or nothing while that Sentinel flags it down. This is
# how redis-py, the app's client, asks (SENTINEL MASTERS, then skips a master flagged s_down or
# o_down): with get-master-addr-by-name alone, which names the dead master until the failover is
# done, every attempt then hung its full give-up on the dead address, and the witness measured that
# wait, 0.15-0.7 s later than the probe in four of four runs (docs/measurements.md).
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
