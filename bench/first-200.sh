#!/usr/bin/env bash
# Starts a server, waits for its first 200 from URL, then kills it. hyperfine times this script as a cold start.
# Usage: first-200.sh DIR URL COMMAND...    (DIR: the server's working directory, which is its content root)
set -euo pipefail
dir=$1 url=$2
shift 2
cd "$dir"
setsid "$@" >/dev/null 2>&1 & # a process group of its own, so that the kill below takes all of it
pid=$!
trap 'kill -KILL -- -$pid 2>/dev/null || true; wait $pid 2>/dev/null || true' EXIT

# At most 3000 polls, at least 10 ms apart: gives up after 30 s or more.
for _ in $(seq 3000); do
  if [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$url")" = 200 ]; then
    exit 0
  fi
  stat=$(cat /proc/$pid/stat 2>/dev/null) || stat=") Z " # gone, or a zombie not yet reaped: it exited
  if [[ $stat == *") Z "* ]]; then
    echo "first-200: '$*' exited before $url answered 200" >&2
    exit 1
  fi
  sleep 0.01
done
echo "first-200: $url did not answer 200 within the time limit" >&2
exit 1
