#!/usr/bin/env bash
# test-fresh-check-leftovers.sh SCRIPT: scripts/fresh-machine-check.sh after a
# run that was killed (SIGKILL: its EXIT trap never ran, its mounts are still
# there) and beside a run that is still going.
#
# debootstrap is replaced by a stub on PATH (the seam): the stub fails at
# once, so each run stops right after it has made its directory ready.
#   1. leftovers: a tmpfs mounted under root/ and no run holding the lock ->
#      the run unmounts it, removes the old root and reaches debootstrap;
#   2. a run in progress (it holds the lock) -> a second run waits for it and
#      touches nothing of it meanwhile.
# Needs root and mount(2); exit 77 (skipped) without them.
set -uo pipefail
script=$(realpath "$1")
[ "$(id -u)" -eq 0 ] || { echo "not root: skipped"; exit 77; }
dir=$(mktemp -d)
probe=$dir/probe
mkdir "$probe"
mount -t tmpfs tmpfs "$probe" 2>/dev/null || { rmdir "$probe"; rm -rf "$dir"; echo "cannot mount: skipped"; exit 77; }
umount "$probe"
cleanup() {
  local m
  for m in $(awk -v d="$dir/" 'index($2, d) == 1 { print $2 }' /proc/mounts | sort -r); do umount -l "$m"; done
  rm -rf --one-file-system "$dir"
}
trap cleanup EXIT
mkdir "$dir/bin"
printf '#!/bin/sh\necho "stub debootstrap: $*"\nexit 1\n' >"$dir/bin/debootstrap"
chmod 755 "$dir/bin/debootstrap"
fail() { echo "FAIL: $*"; exit 1; }
mounted_under() { awk -v d="$1/" 'index($2, d) == 1' /proc/mounts; }
run_check() { IMSD_FRESH_DIR=$dir/work PATH="$dir/bin:$PATH" bash "$script" >"$dir/out" 2>&1; }
# run_check_in_background: the same, $! the script's own pid
run_check_in_background() { IMSD_FRESH_DIR=$dir/work PATH="$dir/bin:$PATH" bash "$script" >"$dir/out" 2>&1 & }

# 1. a killed run's leftovers
mkdir -p "$dir/work/root/dev/shm" "$dir/work/root/etc"
mount -t tmpfs tmpfs "$dir/work/root/dev/shm" || fail "cannot mount the leftover"
echo old >"$dir/work/root/etc/marker"
run_check
rc=$?
cat "$dir/out"
[ $rc -ne 0 ] || fail "the run with a stub debootstrap exited 0"
grep -q "stub debootstrap: --variant=minbase bookworm" "$dir/out" || fail "the run did not reach debootstrap"
grep -q "still mounted" "$dir/out" && fail "the run gave up on the leftovers"
[ -z "$(mounted_under "$dir/work/root")" ] || fail "still mounted: $(mounted_under "$dir/work/root")"
[ ! -e "$dir/work/root/etc/marker" ] || fail "the old root was not removed"

# 2. a run in progress: it holds the lock and has a mount under root/
mkdir -p "$dir/work/root/dev/shm" "$dir/work/root/etc"
mount -t tmpfs tmpfs "$dir/work/root/dev/shm" || fail "cannot mount the running run's /dev/shm"
echo running >"$dir/work/root/etc/marker"
flock "$dir/work/lock" sleep 4 &
holder=$!
sleep 0.5
run_check_in_background
second=$!
sleep 2
kill -0 $second 2>/dev/null || { cat "$dir/out"; fail "the second run did not wait for the first"; }
grep -q "waiting" "$dir/out" || fail "the second run did not say it waits"
[ -n "$(mounted_under "$dir/work/root")" ] || fail "the second run unmounted the running run's mount"
[ "$(cat "$dir/work/root/etc/marker" 2>/dev/null)" = running ] || fail "the second run touched the running run's root"
# the first run ends and leaves its mount (as if killed): the second one goes on
wait $holder
wait $second
cat "$dir/out"
grep -q "stub debootstrap" "$dir/out" || fail "the second run did not go on once the first had ended"
[ -z "$(mounted_under "$dir/work/root")" ] || fail "still mounted after the second run"

# 3. a run killed while it waits leaves the running run alone
mkdir -p "$dir/work/root/dev/shm"
mount -t tmpfs tmpfs "$dir/work/root/dev/shm" || fail "cannot mount"
flock "$dir/work/lock" sleep 5 &
holder=$!
sleep 0.5
run_check_in_background
second=$!
sleep 1.5
kill -TERM $second
sleep 1
kill -0 $second 2>/dev/null && fail "a run killed while waiting for the lock is still there"
wait $second
[ -n "$(mounted_under "$dir/work/root")" ] || fail "a run killed while waiting unmounted the running run's mount"
kill $holder 2>/dev/null
wait $holder 2>/dev/null
echo "fresh-machine-check leftovers: ok"
