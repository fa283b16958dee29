#!/usr/bin/env bash
# kafka.sh: the local Kafka broker for imsd development and tests
# (imsd-kafka-mock: librdkafka's mock cluster, 3 brokers, the contract's
# topics; see docs/kafka.md).
#
#   scripts/kafka.sh start       start it (if not running), wait until kcat lists
#                                the topics, print the bootstrap servers list
#   scripts/kafka.sh stop        stop it (every message is lost: the mock keeps
#                                them in memory only)
#   scripts/kafka.sh status      exit 0 and print the bootstrap and the brokers'
#                                state if it runs, exit 3 otherwise
#   scripts/kafka.sh bootstrap   print the bootstrap servers list
#   scripts/kafka.sh down N|all  take broker N (1..3) / every broker down
#   scripts/kafka.sh up N|all    bring it / them back
#
# Lifecycle: stopped -> running -> stopped ...; each start gets new ports, so
# read the bootstrap list after start.  Files live in $IMSD_RUN_DIR/kafka
# (default <repo>/.run/kafka): kafka-mock.pid, bootstrap, control.sock,
# kafka-mock.log.  The program is $IMSD_KAFKA_MOCK if set, else
# $IMSD_BUILD_DIR/events/mock/imsd-kafka-mock (built here if missing).
set -euo pipefail
source "$(dirname "$0")/env.sh"

kafka_dir=$IMSD_RUN_DIR/kafka
pid_file=$kafka_dir/kafka-mock.pid
bootstrap_file=$kafka_dir/bootstrap
log_file=$kafka_dir/kafka-mock.log
control_socket=$kafka_dir/control.sock
mock=${IMSD_KAFKA_MOCK:-$IMSD_BUILD_DIR/events/mock/imsd-kafka-mock}
brokers=${IMSD_KAFKA_BROKERS:-3}
# A unix socket path must fit in sun_path (108 bytes): fall back to /tmp for a
# deep run directory, keyed by the run directory so two trees never collide.
if [ ${#control_socket} -gt 100 ]; then
  control_socket=/tmp/imsd-kafka-$(printf '%s' "$kafka_dir" | md5sum | cut -c1-12).sock
fi

die() {
  echo "kafka.sh: $*" >&2
  exit 1
}

is_running() {
  [ -f "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null
}

# answers: TRUE once the bootstrap file exists and kcat lists our topics.
answers() {
  [ -s "$bootstrap_file" ] || return 1
  kcat -L -b "$(cat "$bootstrap_file")" -m 5 2>/dev/null | grep -q 'topic "user-events" with'
}

ensure_program() {
  [ -x "$mock" ] && return 0
  [ -z "${IMSD_KAFKA_MOCK:-}" ] || die "IMSD_KAFKA_MOCK=$mock is not executable"
  echo "kafka.sh: building imsd-kafka-mock in $IMSD_BUILD_DIR" >&2
  if [ ! -f "$IMSD_BUILD_DIR/build.ninja" ]; then
    meson setup "$IMSD_BUILD_DIR" "$IMSD_ROOT" >&2
  fi
  ninja -C "$IMSD_BUILD_DIR" events/mock/imsd-kafka-mock >&2
}

# control LINE: sends LINE to the running mock, prints its answer; fails on
# an "error ..." answer.
control() {
  is_running || die "not running (scripts/kafka.sh start)"
  "$mock" --control-socket "$control_socket" --command "$*"
}

start() {
  command -v kcat >/dev/null || die "kcat is missing (scripts/install-deps.sh installs it)"
  ensure_program
  mkdir -p "$kafka_dir"
  if ! is_running; then
    rm -f "$bootstrap_file"
    # setsid: out of the caller's process group, so a ^C there leaves it running.
    setsid "$mock" --brokers "$brokers" --bootstrap-file "$bootstrap_file" \
      --control-socket "$control_socket" >"$log_file" 2>&1 </dev/null &
    echo $! >"$pid_file"
  fi
  local i=0
  until answers; do
    i=$((i + 1))
    if ! is_running || [ $i -ge 100 ]; then
      echo "kafka.sh: imsd-kafka-mock did not start, see $log_file" >&2
      tail -n 20 "$log_file" >&2 || true
      exit 1
    fi
    sleep 0.2
  done
  cat "$bootstrap_file"
  echo
}

stop() {
  if is_running; then
    local pid i=0
    pid=$(cat "$pid_file")
    kill "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do
      i=$((i + 1))
      if [ $i -ge 50 ]; then kill -9 "$pid" 2>/dev/null || true; fi
      sleep 0.1
    done
  fi
  rm -f "$pid_file" "$bootstrap_file"
  echo "stopped"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status)
    if is_running; then
      echo "running: $(cat "$bootstrap_file" 2>/dev/null)"
      control status
    else
      echo "not running"
      exit 3
    fi
    ;;
  bootstrap)
    is_running || die "not running (scripts/kafka.sh start)"
    cat "$bootstrap_file"
    echo
    ;;
  down | up)
    [ $# -eq 2 ] || die "usage: $0 $1 N|all"
    control "$1" "$2"
    ;;
  *)
    echo "usage: $0 start|stop|status|bootstrap|down N|all|up N|all" >&2
    exit 2
    ;;
esac
