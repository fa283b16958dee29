#!/bin/sh
# s3.sh: a local S3 service (s3rver) for imsd development and tests.
#
#   scripts/s3.sh start    start s3rver (if not running) with bucket $IMSD_S3_BUCKET,
#                          wait until it answers, print the endpoint host:port
#   scripts/s3.sh stop     stop it (stored objects are kept on disk)
#   scripts/s3.sh status   exit 0 and say so if it runs, exit 3 otherwise
#   scripts/s3.sh url      print the endpoint host:port
#
# Lifecycle: stopped -> running -> stopped -> running ...; objects live in
# $IMSD_RUN_DIR/s3 (default <repo>/.run/s3) and survive a restart, which the
# fault tests rely on.  Listens on 127.0.0.1:$IMSD_S3_PORT (default 4569) only.
# Credentials are s3rver's fixed S3RVER / S3RVER; it checks AWS signature V2
# (what libs3 2.0 sends) and also accepts unsigned (anonymous) requests.
# s3rver comes from npm: tests/browser/package.json lists it, and this script
# runs `npm install` there if it is missing.
set -eu

repo=$(cd "$(dirname "$0")/.." && pwd)
run_dir=${IMSD_RUN_DIR:-$repo/.run}
s3_dir=$run_dir/s3
data_dir=$s3_dir/data
pid_file=$s3_dir/s3rver.pid
log_file=$s3_dir/s3rver.log
port=${IMSD_S3_PORT:-4569}
bucket=${IMSD_S3_BUCKET:-imsd}
node_dir=$repo/tests/browser
s3rver=$node_dir/node_modules/.bin/s3rver

url() {
  echo "127.0.0.1:$port"
}

is_running() {
  [ -f "$pid_file" ] && kill -0 "$(cat "$pid_file")" 2>/dev/null
}

# answers: TRUE once the bucket lists over HTTP (anonymous GET).
answers() {
  curl -fsS -o /dev/null --max-time 2 "http://127.0.0.1:$port/$bucket?max-keys=1" 2>/dev/null
}

start() {
  if [ ! -x "$s3rver" ]; then
    echo "s3.sh: installing s3rver (npm install in tests/browser)" >&2
    (cd "$node_dir" && npm install --no-audit --no-fund >&2)
  fi
  mkdir -p "$data_dir"
  if ! is_running; then
    # setsid: its own process group, so stop can end node and nothing else.
    setsid "$s3rver" --directory "$data_dir" --address 127.0.0.1 --port "$port" \
      --configure-bucket "$bucket" --no-vhost-buckets >"$log_file" 2>&1 </dev/null &
    echo $! >"$pid_file"
  fi
  i=0
  until answers; do
    i=$((i + 1))
    if ! is_running || [ $i -ge 100 ]; then
      echo "s3.sh: s3rver did not start, see $log_file" >&2
      tail -n 20 "$log_file" >&2 || true
      exit 1
    fi
    sleep 0.2
  done
  url
}

stop() {
  if is_running; then
    pid=$(cat "$pid_file")
    kill "$pid" 2>/dev/null || true
    i=0
    while kill -0 "$pid" 2>/dev/null; do
      i=$((i + 1))
      if [ $i -ge 50 ]; then kill -9 "$pid" 2>/dev/null || true; fi
      sleep 0.1
    done
  fi
  rm -f "$pid_file"
  echo "stopped"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status)
    if is_running; then echo "running: $(url)"; else echo "not running"; exit 3; fi ;;
  url) url ;;
  *) echo "usage: $0 start|stop|status|url" >&2; exit 2 ;;
esac
