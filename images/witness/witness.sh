#!/usr/bin/env bash
# Outside clients halab did not write (curl, psql, redis-cli, kcat), with the probes' connect
# timeouts and a give-up time near the journal's latency bound (3 s at most), a new process per
# write, writing through the same entry points. An attempt that gave up is a failure; a success is
# a success however long it took (the witness's own start-up is too noisy on 2 cores to judge). One line per attempt on stdout, wall clock in seconds since the epoch:
#   <client> <start> <end> ok|fail <detail>
# `halab chaos crosscheck` reads these lines beside a journal. Runs until stopped.
#
# Open-loop, like the probes: each client starts an attempt every 1/rate s whatever earlier ones
# are doing, so a hung attempt never hides the ones after it, and a short outage (a VIP move
# leaves a ~70 ms window of connects that hang a full second) still meets a few attempts.
# Up to a limit of attempts in flight per client: past it a due attempt is skipped, so that a
# machine slowed down by a fault is not buried under ever more processes (without the limit, a
# Postgres failover on 2 cores piled them up to a load average of 170).
set -u
VIP=${VIP:-10.77.0.10}
SENTINELS=${SENTINELS:-"10.77.0.41 10.77.0.42 10.77.0.43"}
KAFKA=${KAFKA:-10.77.0.71:9092,10.77.0.72:9092,10.77.0.73:9092}
RUN=${RUN:-$(date +%s)}
# Attempts per second, and the most in flight, per client. curl is cheap and the outages it must
# see are the shortest; psql (a server backend per attempt) and kcat (a Kafka client start-up)
# cost the most. Together about a third of one of the machine's two cores.
HTTP_RATE=${HTTP_RATE:-10} HTTP_MAX=${HTTP_MAX:-8}
REDIS_RATE=${REDIS_RATE:-4} REDIS_MAX=${REDIS_MAX:-4}
PSQL_RATE=${PSQL_RATE:-3} PSQL_MAX=${PSQL_MAX:-4}
KAFKA_RATE=${KAFKA_RATE:-2} KAFKA_MAX=${KAFKA_MAX:-3}

report() { printf '%s %s %s %s %s\n' "$1" "$2" "$EPOCHREALTIME" "$3" "${4//[$'\n ']/_}"; }

# As the HTTP probe: a new connection per request, connect timeout 1 s; gives up after 3 s.
http_attempt() {
  local seq=$1 start=$EPOCHREALTIME code
  code=$(curl -s -o /dev/null -w '%{http_code}' --connect-timeout 1 --max-time 3 \
    -H "Idempotency-Key: witness-$RUN-$seq" -H 'Content-Type: application/json' \
    -d '{"customer":"witness","item":"witness","quantity":1}' "http://$VIP/orders")
  if [[ $code == 200 || $code == 201 ]]; then report curl "$start" ok "$code"; else report curl "$start" fail "http_$code"; fi
}

# As the Postgres probe: connect timeout 2 s, statement timeout 3 s, through HAProxy's primary
# port. psql has no limit of its own on a frozen server: `timeout` ends it after 4 s in all.
PG_CONN="host=$VIP port=5432 dbname=probes user=app password=app connect_timeout=2 options='-c statement_timeout=3000'"
psql_attempt() {
  local seq=$1 start=$EPOCHREALTIME out
  if out=$(timeout 4 psql "$PG_CONN" -qtA -v ON_ERROR_STOP=1 \
      -c "INSERT INTO witness_writes (run, seq) VALUES ('$RUN', $seq)" 2>&1); then
    report psql "$start" ok -
  else
    # The table is made on first use (and again if a test dropped the database).
    [[ $out == *witness_writes*"does not exist"* ]] &&
      psql "$PG_CONN" -qtA -c "CREATE TABLE IF NOT EXISTS witness_writes (run text, seq int, at timestamptz DEFAULT now())" >/dev/null 2>&1
    report psql "$start" fail "${out:0:80}"
  fi
}

# Ask the Sentinels for the master, as a Sentinel client does, then SET with the probe's 1 s
# socket timeout. One try: redis-cli's start-up on a busy machine would make retries inside 1 s
# timeouts fail at rest.
redis_attempt() {
  local seq=$1 start=$EPOCHREALTIME master="" out s
  for s in $SENTINELS; do
    # redis-cli 7.0 has no timeout of its own: `timeout` bounds each call.
    master=$(timeout 1 redis-cli -h "$s" -p 26379 --raw SENTINEL get-master-addr-by-name halab 2>/dev/null)
    master=${master%%$'\n'*}   # the first line is the address
    [[ -n $master ]] && break
  done
  if [[ -z $master ]]; then
    report redis-cli "$start" fail no_master
    return
  fi
  out=$(timeout 1.5 redis-cli -h "$master" --raw SET "witness:$RUN:$seq" "$seq" EX 3600 2>&1)
  if [[ $out == OK ]]; then report redis-cli "$start" ok "$master"; else report redis-cli "$start" fail "${out:0:80}"; fi
}

# As the Kafka probe: acks=all, idempotent, 2 s per produce request; delivered within 3 s or failed.
kafka_attempt() {
  local seq=$1 start=$EPOCHREALTIME out
  if out=$(printf '%s\t{"witness": %s}\n' "$seq" "$seq" |
      timeout 5 kcat -P -b "$KAFKA" -t halab-probe -K $'\t' -X acks=all -X enable.idempotence=true \
        -X request.timeout.ms=2000 -X message.timeout.ms=3000 -X socket.timeout.ms=2000 2>&1) &&
      [[ $out != *"Delivery failed"* ]]; then
    report kcat "$start" ok -
  else
    report kcat "$start" fail "${out:0:80}"
  fi
}

# Starts `attempt seq` every 1/rate s on a fixed schedule (microseconds, as bash has no floats),
# unless `max` attempts are still in flight (`kill -0` is a builtin: no process to count them).
open_loop() {
  local rate=$1 max=$2 attempt=$3 seq=0 interval now next delay pid frac nothing
  local -a flight=() alive
  # `read -t` on a pipe nothing writes to is a sleep without starting a process each time.
  exec {nothing}<> <(:)
  interval=$((1000000 / rate)); next=${EPOCHREALTIME/./}
  while :; do
    seq=$((seq + 1)); alive=()
    for pid in "${flight[@]}"; do kill -0 "$pid" 2>/dev/null && alive+=("$pid"); done
    flight=("${alive[@]}")
    if ((${#flight[@]} < max)); then "$attempt" "$seq" & flight+=("$!"); fi
    next=$((next + interval)); now=${EPOCHREALTIME/./}; delay=$((next - now))
    if ((delay > 0)); then
      printf -v frac '%06d' $((delay % 1000000))
      read -r -t "$((delay / 1000000)).$frac" -u "$nothing" _ || true
    fi
  done
}

trap 'kill 0; exit 0' TERM INT
open_loop "$HTTP_RATE" "$HTTP_MAX" http_attempt & open_loop "$PSQL_RATE" "$PSQL_MAX" psql_attempt &
open_loop "$REDIS_RATE" "$REDIS_MAX" redis_attempt & open_loop "$KAFKA_RATE" "$KAFKA_MAX" kafka_attempt &
wait
