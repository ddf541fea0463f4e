#!/usr/bin/env bash
# Capacity benchmark: tickroom and the bare floor server on CPU 0, tickbot
# on CPU 1, at 400, 800 and 1600 players, then stepping up by 400 until a
# server delivers fewer than 99% of snapshots or its p99 tick lateness
# passes 2 ms. Prints a Markdown table; see docs/performance.md.
#
#   bench/capacity.sh                                   # the table
#   bench/capacity.sh -loads 800 -max 800 -tick-rate 60 -send-rate 20
#   bench/capacity.sh -loads 800 -max 800 -tickbot-args -input-on-change
#   bench/capacity.sh -mem 4000 -ramp 10s -settle 5s    # memory per idle connection
#   bench/capacity.sh -mem 4000 -ramp 10s -settle 5s -bots-per-room 64   # ... in rooms of 64 (default 8)
#   bench/capacity.sh -drop 4000 -ramp 60s -duration 80s -drop-watch 150s   # RSS after idle bots leave at once
#   bench/capacity.sh -drop 4000 -ramp 60s -duration 80s -drop-watch 150s -server-args "-release-memory-drop -1"
#   bench/capacity.sh -profile 800                      # where tickroom's CPU goes
#
# Flags are those of bench/capacity (go run ./bench/capacity -help).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v taskset >/dev/null || { echo "capacity.sh: taskset (util-linux) is required" >&2; exit 1; }
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
for cmd in ./cmd/tickroom ./cmd/tickbot ./bench/floor ./bench/capacity; do
	go build -o "$bin/" "$cmd"
done
"$bin/capacity" -bin "$bin" "$@"
