#!/usr/bin/env bash
# test-kafka-mock.sh: the development Kafka broker (imsd-kafka-mock driven by
# scripts/kafka.sh) against a real Kafka client, kcat.
#
#   usage: test-kafka-mock.sh IMSD_KAFKA_MOCK_BINARY KAFKA_SH
#
# Starts its own mock in a fresh run directory (own bootstrap file, own
# control socket), then checks: the contract's topics and partition counts;
# a keyed message with headers round-trips; a consumer group consumes and
# commits its offsets; with a partition's leader down a produce to it times
# out, and one waiting across "up" is delivered; with all brokers down
# metadata and produce fail, and after "up all" produce/consume work again.
# Stops the mock on exit.  Prints one "ok"/"FAIL" line per check and ends
# with "N passed, N failed".
set -uo pipefail

mock=${1:?usage: $0 IMSD_KAFKA_MOCK_BINARY KAFKA_SH}
kafka_sh=${2:?usage: $0 IMSD_KAFKA_MOCK_BINARY KAFKA_SH}
passed=0
failed=0

command -v kcat >/dev/null || { echo "FAIL: kcat is not installed (scripts/install-deps.sh)"; exit 1; }
[ -x "$mock" ] || { echo "FAIL: $mock is not an executable"; exit 1; }
mock=$(realpath "$mock") # kafka.sh may run from another directory

work=$(mktemp -d /tmp/imsd-kafka-test.XXXXXX)
export IMSD_RUN_DIR=$work IMSD_KAFKA_MOCK=$mock
cleanup() {
  bash "$kafka_sh" stop >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT

pass() { echo "ok: $*"; passed=$((passed + 1)); }
fail() { echo "FAIL: $*"; failed=$((failed + 1)); }
# expect NAME WANT GOT
expect() {
  if [ "$2" = "$3" ]; then pass "$1"; else fail "$1: want [$2], got [$3]"; fi
}
finish() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit
}

# A run id keeps this run's messages apart in the output.
run=r$$

bootstrap=$(bash "$kafka_sh" start | tail -n 1)
if [[ ! "$bootstrap" =~ ^127\.0\.0\.1:[0-9]+,127\.0\.0\.1:[0-9]+,127\.0\.0\.1:[0-9]+$ ]]; then
  fail "kafka.sh start printed no 3-broker bootstrap list: [$bootstrap]"
  finish
fi
pass "started: $bootstrap"
expect "bootstrap file" "$bootstrap" "$(cat "$work/kafka/bootstrap")"
expect "start is idempotent" "$bootstrap" "$(bash "$kafka_sh" start | tail -n 1)"

# --- topics -----------------------------------------------------------------
metadata=$(kcat -L -b "$bootstrap" -m 10 2>&1)
expect "3 brokers" "3" "$(grep -c '^  broker [0-9] at 127.0.0.1:' <<<"$metadata")"
for t in candidate-events media-events interview-events user-events auth-events; do
  expect "topic $t" "1" "$(grep -c "topic \"$t\" with 3 partitions" <<<"$metadata")"
  expect "topic $t-dlq" "1" "$(grep -c "topic \"$t-dlq\" with 1 partitions" <<<"$metadata")"
done

# --- keyed message with headers round-trips ----------------------------------
printf '{"run":"%s","type":"UserCreated"}' "$run" |
  kcat -P -b "$bootstrap" -t user-events -k u1 -H event-type=UserCreated -H "trace-id=$run" \
    -X message.timeout.ms=10000 2>/dev/null
expect "keyed produce exit status" "0" "$?"
got=$(timeout 30 kcat -C -b "$bootstrap" -t user-events -o beginning -e -q -f '%k|%h|%s\n' 2>/dev/null)
expect "keyed message consumed with headers" \
  "u1|event-type=UserCreated,trace-id=$run|{\"run\":\"$run\",\"type\":\"UserCreated\"}" "$got"

# --- consumer group: consumes, commits, resumes -------------------------------
# session.timeout.ms: the mock makes a member that joins a group which had a
# member wait one session timeout (default 45 s) before the rebalance.
group_consume() {
  timeout 60 kcat -G "media-server-group-$run" -b "$bootstrap" -X auto.offset.reset=earliest \
    -X session.timeout.ms=6000 -e -q -f '%s\n' media-events 2>/dev/null | sort
}
for i in 1 2 3; do echo "$run-m$i"; done |
  kcat -P -b "$bootstrap" -t media-events -K: -X message.timeout.ms=10000 2>/dev/null
expect "group consumes all" "$(printf '%s\n' "$run-m1" "$run-m2" "$run-m3")" "$(group_consume)"
echo "$run-m4" | kcat -P -b "$bootstrap" -t media-events -X message.timeout.ms=10000 2>/dev/null
expect "group resumes from its committed offsets" "$run-m4" "$(group_consume)"

# --- one broker down: the partitions it leads wait -----------------------------
leader=$(kcat -L -b "$bootstrap" -t auth-events -m 10 2>/dev/null |
  sed -n 's/^ *partition 0, leader \([0-9]*\),.*/\1/p')
[[ "$leader" =~ ^[1-3]$ ]] || fail "no leader found for auth-events [0]: [$leader]"
expect "down $leader" "ok" "$(bash "$kafka_sh" down "$leader")"
echo "$run-lost" | kcat -P -b "$bootstrap" -t auth-events -p 0 -X message.timeout.ms=2000 2>/dev/null
status=$?
if [ "$status" -ne 0 ]; then pass "produce to a down leader fails (exit $status)"
else fail "produce to a down leader succeeded"; fi
(echo "$run-waited" | kcat -P -b "$bootstrap" -t auth-events -p 0 -k w \
  -X message.timeout.ms=30000 >/dev/null 2>&1) &
waiter=$!
sleep 3
if kill -0 "$waiter" 2>/dev/null; then pass "produce waits while the leader is down"
else fail "produce did not wait while the leader was down"; fi
expect "up $leader" "ok" "$(bash "$kafka_sh" up "$leader")"
wait "$waiter"
expect "waiting produce delivered after up" "0" "$?"
got=$(timeout 30 kcat -C -b "$bootstrap" -t auth-events -p 0 -o beginning -e -q -f '%s\n' 2>/dev/null)
expect "auth-events [0] holds only the waited message" "$run-waited" "$got"

# --- all brokers down, then up ----------------------------------------------
expect "down all" "ok" "$(bash "$kafka_sh" down all)"
expect "status after down all" "ok up - down 1,2,3" "$(bash "$kafka_sh" status | tail -n 1)"
if timeout 30 kcat -L -b "$bootstrap" -m 3 >/dev/null 2>&1; then fail "metadata answered with all brokers down"
else pass "metadata fails with all brokers down"; fi
echo "$run-down" | timeout 30 kcat -P -b "$bootstrap" -t user-events -k u2 -X message.timeout.ms=3000 2>/dev/null
status=$?
if [ "$status" -ne 0 ]; then pass "produce fails with all brokers down (exit $status)"
else fail "produce succeeded with all brokers down"; fi
expect "up all" "ok" "$(bash "$kafka_sh" up all)"
expect "status after up all" "ok up 1,2,3 down -" "$(bash "$kafka_sh" status | tail -n 1)"
echo "$run-after" | kcat -P -b "$bootstrap" -t user-events -k u3 -H phase=after-up \
  -X message.timeout.ms=10000 2>/dev/null
expect "produce after up all" "0" "$?"
got=$(timeout 30 kcat -C -b "$bootstrap" -t user-events -o beginning -e -q -f '%k|%h|%s\n' 2>/dev/null | sort)
expect "user-events after up all" \
  "$(printf '%s\n' "u1|event-type=UserCreated,trace-id=$run|{\"run\":\"$run\",\"type\":\"UserCreated\"}" \
    "u3|phase=after-up|$run-after" | sort)" "$got"

# --- stop ---------------------------------------------------------------------
pid=$(cat "$work/kafka/kafka-mock.pid")
bash "$kafka_sh" stop >/dev/null
if kill -0 "$pid" 2>/dev/null; then fail "imsd-kafka-mock $pid still runs after stop"
else pass "stopped"; fi
bash "$kafka_sh" status >/dev/null
expect "status after stop" "3" "$?"

finish
