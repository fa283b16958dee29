#!/usr/bin/env bash
# Installs everything imsd needs to build, run and test on Debian 12.
# Idempotent: safe to run again. Needs root (or sudo).
# IMSD_INSTALL_BENCH=1 adds the benchmark-only packages (Janus, bench/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"

PACKAGES=(
  # build
  build-essential pkg-config meson ninja-build git
  # core libraries
  libglib2.0-dev libjson-glib-dev libssl-dev
  libwebsockets-dev libwebsockets-evlib-glib
  libjwt-dev libpq-dev libcmocka-dev
  # sd_notify for systemd/imsd.service (server/notify.c; optional at build time)
  libsystemd-dev
  libs3-dev libcurl4-openssl-dev
  # media
  libgstreamer1.0-dev libgstreamer-plugins-base1.0-dev libgstreamer-plugins-bad1.0-dev
  gstreamer1.0-tools gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav gstreamer1.0-nice
  # the receive path built for recording (pipelines/ingest/)
  libnice-dev libsrtp2-dev libavformat-dev libavcodec-dev libavutil-dev
  # services used locally and by the tests
  postgresql postgresql-client librdkafka-dev kcat
  # browser tests
  chromium
  # tests/browser/reach.test.mjs: a candidate whose UDP is blocked (a network
  # namespace joined by veth, nftables dropping its UDP) reaches imsd through
  # Debian's coturn (TURN/UDP, TURN/TCP) or ICE-TCP (no service is started:
  # the test runs its own turnserver)
  coturn nftables iproute2
  # tests/browser/tls.test.mjs: its own CA and certificates (openssl), trusted
  # by Chromium through an NSS database (certutil), and Debian's nginx
  # terminating TLS in front of imsd (the test runs its own nginx in the
  # foreground; where systemd runs, the package also starts its service on
  # port 80, which nothing here uses)
  openssl libnss3-tools nginx
  # tests/browser/metrics.test.mjs checks GET /metrics with promtool (in
  # Debian's prometheus package; no Prometheus server is started by the tests)
  prometheus
  # tests (ffprobe decodes renditions) and benchmarks (ffmpeg as the reference,
  # bc for bench/renditions.sh's ratios)
  ffmpeg bc
  # what the scripts and tests call: curl (s3.sh, dev.sh: readiness, the demo
  # session), ca-certificates (npm over https), procps (kill, ps)
  curl ca-certificates procps
  # the fidelity analyzer and its self-test (tests/fidelity/: standard library
  # only), and its second sender (tests/fidelity/sender.py: aiortc, and
  # websockets for imsd's signaling; python3-aiortc does not pull it in)
  python3 python3-aiortc python3-websockets
  # tests/docker/check-docker.py reads docker/compose.yaml
  python3-yaml
)
# IMSD_INSTALL_BENCH=1: also what only bench/vs-janus.mjs needs (Janus and its
# janus.js, see bench/README.md); never needed to build, run or test imsd
if [ "${IMSD_INSTALL_BENCH:-0}" = 1 ]; then
  PACKAGES+=(janus libjs-janus-gateway)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js: Debian 12's own (18) is enough for the browser tests and s3rver
# (tests/browser/package.json pins a playwright-core that runs on 18); a
# machine that already has a node with npm (e.g. a newer build) keeps it.
command -v npm >/dev/null 2>&1 || missing+=(nodejs npm)

if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  # wait for another apt (e.g. unattended-upgrades on a new machine) rather than fail
  $SUDO apt-get -o DPkg::Lock::Timeout=600 update
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get -o DPkg::Lock::Timeout=600 install -y \
    --no-install-recommends "${missing[@]}"
fi

# npm ls fails when a package is missing or not the version package.json asks
# for (e.g. a node_modules from before a version change).
if ! (cd tests/browser && npm ls --depth=0 >/dev/null 2>&1); then
  echo "install-deps: npm packages for the browser tests and s3rver"
  (cd tests/browser && npm install --no-audit --no-fund)
fi
