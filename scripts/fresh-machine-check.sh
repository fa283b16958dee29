#!/usr/bin/env bash
# fresh-machine-check.sh: does the README work on a fresh Debian 12?
#
#   scripts/fresh-machine-check.sh      (root; .ci/run runs it after the normal suite)
#
# Builds a new minbase bookworm chroot with debootstrap (from scratch every
# run: nothing is cached between runs), copies a clean clone of the current
# HEAD into it (committed files only), then runs the README's two commands
# in it, as root, the way a newcomer would:
#
#   1. scripts/dev.sh   until it prints the candidate URL, then stops it
#                       (SIGTERM: imsd ends) and the services it started;
#   2. scripts/test.sh  to its end: its last line "N passed, N failed".
#
# Lifecycle: prepare (debootstrap, apt sources, CA bundle, clone) -> mount
# (/proc, /sys, /dev, /dev/pts, /dev/shm as a tmpfs) -> dev.sh -> test.sh ->
# teardown.  Teardown always runs (EXIT trap): it stops the chroot's
# services, ends every process whose root is the chroot (by pid), unmounts
# everything, and removes the chroot unless IMSD_FRESH_KEEP=1.
#
# What the chroot gets from the host, and why it changes nothing a fresh
# machine would not have: the network (chroots share it), /etc/resolv.conf,
# the host's CA bundle (so package clients pass the host's TLS egress exactly
# as they do on the host; update-ca-certificates keeps it once the
# ca-certificates package is installed), the CA variables of the host's
# environment that point at that bundle, and the host's apt Check-Valid-Until
# / Check-Date settings (a mirror's Release dates, not a package choice).
# apt sources are a fresh Debian 12's: deb.debian.org bookworm,
# bookworm-updates, bookworm-security.  A policy-rc.d forbids package scripts
# to start services (a chroot has no init; a postgresql package would start
# its cluster on the host's network on 5432).
#
# Ports: the chroot shares the host's network, and the normal suite (.ci/run)
# leaves PostgreSQL and s3rver running on the default ports, so the chroot
# uses its own: IMSD_FRESH_PG_PORT (55632), IMSD_FRESH_S3_PORT (4769),
# IMSD_FRESH_SERVER_PORT (8380); the browser tests pick free ports themselves
# and the Kafka mock gets new ports every start.
#
# Files: IMSD_FRESH_DIR (default /var/tmp/imsd-fresh-check): root/ the chroot,
# dev.log and test.log the two commands' output (kept after the run), lock
# (one run at a time: a second run waits; a run that finds mounts or
# processes under root/ once it holds the lock clears them, they are a killed
# run's: tests/unit/test-fresh-check-leftovers.sh).
# Exit status: 0 iff both commands did what the README says; a summary of the
# phases' timings and test.sh's final line is printed either way.
set -uo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
work=${IMSD_FRESH_DIR:-/var/tmp/imsd-fresh-check}
root=$work/root
mirror=${IMSD_FRESH_MIRROR:-http://deb.debian.org/debian}
security_mirror=${IMSD_FRESH_SECURITY_MIRROR:-http://deb.debian.org/debian-security}
pg_port=${IMSD_FRESH_PG_PORT:-55632}
s3_port=${IMSD_FRESH_S3_PORT:-4769}
server_port=${IMSD_FRESH_SERVER_PORT:-8380}
dev_timeout=${IMSD_FRESH_DEV_TIMEOUT:-2400}   # s: install + build + start, on 2 cores
project=/root/imsd                            # where the clone lives in the chroot

started=$(date +%s)
summary=()
mounted=()
dev_pid=""
status=0
owner=0   # 1 once this run holds $work/lock
waiter=""  # the flock that waits for it

log() { echo "fresh-machine-check: $*" >&2; }
die() { log "$*"; status=1; exit 1; }

# phase NAME START: records how long NAME took (seconds since START).
phase() { summary+=("$(printf '%-12s %5ss  %s' "$1" $(($(date +%s) - $2)) "$3")"); }

# chroot_env: sets chroot_env_vars to what a root login on a fresh machine
# has, the chroot's ports, and the host's CA variables (they name the bundle
# copied in).
chroot_env() {
  chroot_env_vars=(HOME=/root USER=root LOGNAME=root SHELL=/bin/bash TERM=dumb LANG=C.UTF-8
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
    IMSD_PG_PORT="$pg_port" IMSD_S3_PORT="$s3_port" IMSD_SERVER_PORT="$server_port")
  local v
  for v in SSL_CERT_FILE NODE_EXTRA_CA_CERTS CURL_CA_BUNDLE GIT_SSL_CAINFO; do
    if [ -n "${!v:-}" ] && [ -f "$root${!v}" ]; then chroot_env_vars+=("$v=${!v}"); fi
  done
}

# in_chroot CMD: runs bash -c CMD in the chroot, in the project, in that
# environment; returns its exit status.
in_chroot() {
  chroot_env
  chroot "$root" /usr/bin/env -i "${chroot_env_vars[@]}" /bin/bash -c "cd $project && $1"
}

# chroot_pids: the pids of every process whose root directory is the chroot.
chroot_pids() {
  local p r
  for p in /proc/[0-9]*; do
    r=$(readlink "$p/root" 2>/dev/null) || continue
    [ "$r" = "$root" ] && echo "${p#/proc/}"
  done
}

# release_root: ends every process whose root is the chroot (TERM, then
# KILL, pid by pid) and unmounts everything under it, deepest first: what a
# run leaves behind, whether its teardown is running now or it was killed
# before its teardown could run.
release_root() {
  local signal pids pid i m
  for signal in TERM KILL; do
    pids=$(chroot_pids)
    [ -n "$pids" ] || break
    for pid in $pids; do kill -s $signal "$pid" 2>/dev/null || true; done
    for i in $(seq 50); do [ -n "$(chroot_pids)" ] || break; sleep 0.1; done
  done
  for m in $(mounts_under_root | sort -r); do
    grep -q " $m " /proc/mounts || continue   # went with an -R of its parent
    umount -R "$m" 2>/dev/null || umount -R -l "$m" || log "cannot unmount $m"
  done
}

# mounts_under_root: the mount points under the chroot, one per line.
mounts_under_root() { awk -v d="$root/" 'index($2, d) == 1 { print $2 }' /proc/mounts; }

teardown() {
  local rc=$?
  [ $status -ne 0 ] || status=$rc
  # a run still waiting for the lock owns nothing under $work yet
  [ -z "$waiter" ] || kill "$waiter" 2>/dev/null
  if [ $owner = 1 ]; then
    if [ -d "$root$project/scripts" ] && [ ${#mounted[@]} -gt 0 ]; then
      in_chroot 'scripts/pg.sh stop; scripts/s3.sh stop; scripts/kafka.sh stop' >/dev/null 2>&1 || true
    fi
    release_root
    # never remove through a mount that is still there (it would reach the host's /dev)
    if [ "${IMSD_FRESH_KEEP:-0}" != 1 ] && [ -z "$(mounts_under_root)" ]; then
      rm -rf --one-file-system "$root"
    fi
  fi
  echo
  echo "== fresh-machine-check summary (chroot $root, HEAD $(git -C "$repo" rev-parse --short HEAD))"
  printf '  %s\n' "${summary[@]}"
  printf '  %-12s %5ss\n' total $(($(date +%s) - started))
  echo "  result: $([ $status -eq 0 ] && echo OK || echo FAILED) (logs: $work/dev.log, $work/test.log)"
  exit $status
}
trap teardown EXIT
trap 'status=1; exit 1' INT TERM

[ "$(id -u)" -eq 0 ] || die "needs root (debootstrap, chroot, mount)"
install_debootstrap() {
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -q \
    --no-install-recommends debootstrap >/dev/null
}
if ! command -v debootstrap >/dev/null; then
  log "installing debootstrap"
  install_debootstrap || { apt-get -o DPkg::Lock::Timeout=600 update -q >/dev/null && install_debootstrap; } ||
    die "cannot install debootstrap"
fi
# One run at a time: $work/lock (flock) is held for the whole run.  A second
# run waits for it (in the background, so INT and TERM still end the wait).
# Once this run has the lock, whatever is under $root is a killed run's.
mkdir -p "$work"
exec 9>"$work/lock"
if ! flock -n 9; then
  log "waiting for the run that holds $work/lock"
  flock 9 &
  waiter=$!
  wait $waiter || die "cannot lock $work/lock"
  waiter=""
fi
owner=1
if [ -n "$(mounts_under_root)" ] || [ -n "$(chroot_pids)" ]; then
  log "a killed run left processes or mounts under $root: ending and unmounting them"
  release_root
  [ -z "$(mounts_under_root)" ] || die "something is still mounted under $root"
fi
rm -rf --one-file-system "$root"

# ---- prepare: a new minbase bookworm, as `debootstrap --variant=minbase bookworm` makes it
t=$(date +%s)
debootstrap --variant=minbase bookworm "$root" "$mirror" >"$work/debootstrap.log" 2>&1 ||
  { tail -n 20 "$work/debootstrap.log" >&2; die "debootstrap failed (see $work/debootstrap.log)"; }
phase debootstrap $t "minbase bookworm, $(du -sm "$root" | cut -f1) MB"

t=$(date +%s)
cat >"$root/etc/apt/sources.list" <<EOF
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb $security_mirror bookworm-security main
EOF
apt-config dump | grep -E '^Acquire::Check-(Valid-Until|Date) ' >"$root/etc/apt/apt.conf.d/99host-mirror" || true
cp /etc/resolv.conf "$root/etc/resolv.conf"
mkdir -p "$root/etc/ssl/certs" "$root/usr/local/share/ca-certificates"
cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"
if compgen -G '/usr/local/share/ca-certificates/*.crt' >/dev/null; then
  cp /usr/local/share/ca-certificates/*.crt "$root/usr/local/share/ca-certificates/"
fi
printf '#!/bin/sh\n# a chroot: package scripts start no services\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 755 "$root/usr/sbin/policy-rc.d"
git clone -q --no-hardlinks "$repo" "$root$project" || die "git clone failed"
git -C "$root$project" checkout -q --detach "$(git -C "$repo" rev-parse HEAD)" || die "checkout of HEAD failed"
phase prepare $t "apt sources, CA bundle, clone of $(git -C "$root$project" rev-parse --short HEAD)"

# ---- mount what programs expect
mount -t proc proc "$root/proc" && mounted+=("$root/proc") || die "mount /proc"
mount --rbind /sys "$root/sys" && mount --make-rslave "$root/sys" && mounted+=("$root/sys") || die "mount /sys"
mount --bind /dev "$root/dev" && mount --make-private "$root/dev" && mounted+=("$root/dev") || die "mount /dev"
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts "$root/dev/pts" && mounted+=("$root/dev/pts") ||
  die "mount /dev/pts"
mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs "$root/dev/shm" && mounted+=("$root/dev/shm") || die "mount /dev/shm"

# ICE ignores loopback: the browser tests need a non-loopback address, which
# the chroot sees because it shares the host's network.
addresses=$(awk '/32 host/ { print f } { f = $2 }' "$root/proc/net/fib_trie" | grep -v '^127\.' | sort -u | tr '\n' ' ')
[ -n "$addresses" ] || die "no non-loopback IPv4 address in the chroot (ICE needs one)"
log "non-loopback addresses seen in the chroot: $addresses"

# ---- the README's first command: scripts/dev.sh, until it prints the candidate URL
t=$(date +%s)
: >"$work/dev.log"
chroot_env
# a simple command in the background: $! is chroot's pid, which execs env,
# bash and dev.sh in turn, so the TERM below reaches dev.sh itself.
chroot "$root" /usr/bin/env -i "${chroot_env_vars[@]}" /bin/bash -c "cd $project && exec scripts/dev.sh" \
  >"$work/dev.log" 2>&1 </dev/null &
dev_pid=$!
url=""
while [ -z "$url" ]; do
  url=$(grep -A1 '^  Candidate' "$work/dev.log" | grep -o "http://127.0.0.1:$server_port/[^ ]*" | head -n 1)
  [ -n "$url" ] && break
  if ! kill -0 $dev_pid 2>/dev/null; then
    tail -n 30 "$work/dev.log" >&2
    phase dev.sh $t "FAILED: exited before printing the candidate URL"
    die "scripts/dev.sh exited before printing the candidate URL (see $work/dev.log)"
  fi
  if [ $(($(date +%s) - t)) -ge "$dev_timeout" ]; then
    tail -n 30 "$work/dev.log" >&2
    phase dev.sh $t "FAILED: no candidate URL after ${dev_timeout}s"
    die "scripts/dev.sh printed no candidate URL in ${dev_timeout}s"
  fi
  sleep 1
done
# the page the URL names must answer, as a browser opening it would see
if ! in_chroot "curl -fsS -o /dev/null '$url'"; then
  phase dev.sh $t "FAILED: $url does not answer"
  die "the candidate URL does not answer: $url"
fi
kill -TERM $dev_pid 2>/dev/null
wait $dev_pid
dev_rc=$?
in_chroot 'scripts/pg.sh stop && scripts/s3.sh stop && scripts/kafka.sh stop' >>"$work/dev.log" 2>&1 ||
  die "stopping dev.sh's services failed (see $work/dev.log)"
phase dev.sh $t "printed $url; stopped (exit $dev_rc) with its services"

# ---- the README's second command: scripts/test.sh
t=$(date +%s)
in_chroot 'scripts/test.sh' >"$work/test.log" 2>&1 </dev/null
test_rc=$?
final=$(grep -E '^[0-9]+ passed, [0-9]+ failed$' "$work/test.log" | tail -n 1)
phase test.sh $t "exit $test_rc: ${final:-no final line}"
if [ $test_rc -ne 0 ]; then
  grep -E '^not ok|^-- .*: pass|^ *[0-9]+/[0-9]+ .*(FAIL|TIMEOUT)' "$work/test.log" | tail -n 40 >&2
  die "scripts/test.sh failed in the chroot (see $work/test.log)"
fi
[ -n "$final" ] || die "scripts/test.sh printed no \"N passed, N failed\" line"
echo "$final"
# the chroot's screenshots (test.sh names the folder inside the chroot; kept
# with the chroot when IMSD_FRESH_KEEP=1)
shots=$(sed -n 's/^screenshots: //p' "$work/test.log" | tail -n 1)
[ -z "$shots" ] || echo "screenshots: $root$shots"
