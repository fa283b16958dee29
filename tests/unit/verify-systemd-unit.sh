#!/usr/bin/env bash
# verify-systemd-unit.sh UNIT IMSD: systemd-analyze verify of systemd/imsd.service
# with its ExecStart pointed at the imsd just built (the shipped path,
# /usr/local/bin/imsd, exists only once installed), and a check that the
# options the unit relies on are there.  Exit 77 (skipped) without systemd-analyze.
set -euo pipefail
unit=$1 imsd=$2
command -v systemd-analyze >/dev/null || { echo "no systemd-analyze: skipped"; exit 77; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
sed "s|/usr/local/bin/imsd|$imsd|" "$unit" >"$dir/imsd.service"
out=$(systemd-analyze verify "$dir/imsd.service" 2>&1) || { echo "$out"; exit 1; }
# verify prints problems without failing on some of them
if [ -n "$out" ]; then echo "$out"; exit 1; fi
for option in Type=notify NotifyAccess=main WatchdogSec= NoNewPrivileges=yes ProtectSystem=strict \
    ReadWritePaths= PrivateTmp=yes ProtectHome=yes CapabilityBoundingSet= \
    "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX AF_NETLINK" SystemCallFilter=@system-service; do
  grep -q "^$option" "$unit" || { echo "$unit lacks $option"; exit 1; }
done
echo "systemd-analyze verify: ok"
