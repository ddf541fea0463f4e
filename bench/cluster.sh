#!/usr/bin/env bash
# Three tickroom nodes on this machine (the first running the embedded
# NATS server), a tickbot swarm with -rejoin against the second, and one
# node killed without cleanup mid-run: where the bots go, how fast the
# lobby forgets the dead node, join latency and directory traffic.
# See docs/cluster.md and docs/performance.md.
#
#   bench/cluster.sh
#   bench/cluster.sh -rooms 24 -bots-per-room 8 -duration 60s -kill-at 20s
#   bench/cluster.sh -victim a        # the node that runs NATS
#
# Flags are those of bench/cluster (go run ./bench/cluster -help).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT
for cmd in ./cmd/tickroom ./cmd/tickbot ./bench/cluster; do
	go build -o "$bin/" "$cmd"
done
"$bin/cluster" -bin "$bin" "$@"
