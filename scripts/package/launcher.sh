#!/bin/sh
# Outpost launcher (bin/outpost of a release bundle and of the container image): runs the app on the
# bundle's own Node runtime when it has one (else `node` on PATH), wherever it was unpacked
# (/opt/outpost for deploy/systemd/outpost.service). Symlinks to this file are followed, so
# /usr/local/bin/outpost -> /opt/outpost/bin/outpost works.
self=$(readlink -f -- "$0") || exit 1
root=$(dirname -- "$(dirname -- "$self")")
node=node
[ -x "$root/node/bin/node" ] && node="$root/node/bin/node"
app="$root/app/dist/main.js"
[ -f "$app" ] || app="$root/dist/main.js"

# V8 flags (README "Footprint"): garbage collection on the main thread only and a 2 MiB young
# generation; at 10,000 series/s they measured about 30 MiB less memory than V8's defaults.
semi=2
old=
# OUTPOST_MEMORY_LIMIT (e.g. 96MiB) caps the old generation at half of it, leaving the rest to the
# runtime's code, SQLite and buffers, and halves the young generation. A value this cannot read is
# left to Outpost, which names it in its config error.
limit=${OUTPOST_MEMORY_LIMIT:-}
unit=${limit##*[0-9]}
number=${limit%"$unit"}
case $number in '' | *[!0-9]*) number= ;; esac
case $unit in
  GiB) scale=1073741824 ;; MiB) scale=1048576 ;; KiB) scale=1024 ;;
  GB) scale=1000000000 ;; MB) scale=1000000 ;; KB) scale=1000 ;; '') scale=1 ;;
  *) number= ;;
esac
mib=
[ -n "$number" ] && mib=$(( number * scale / 1048576 ))
if [ -n "$mib" ] && [ "$mib" -ge 32 ]; then
  semi=1
  old="--max-old-space-size=$(( mib / 2 ))"
fi
# shellcheck disable=SC2086 # $old is one flag or none
exec "$node" --single-threaded-gc --max-semi-space-size=$semi $old "$app" "$@"
