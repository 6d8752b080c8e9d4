#!/bin/sh
# Runs the go test benchmarks of docs/PERFORMANCE.md, one after another, and
# writes their raw outputs to docs/perf/raw (or the directory given), then
# the medians and the plot (scripts/perfplot). About 20 minutes on 2 cores;
# nothing else should run meanwhile. The HTTP figures against a running
# roster serve (cmd/roster-load) and the memory readings are
# scripts/perf-serve.sh's.
set -eu
cd "$(dirname "$0")/.."
raw=${1:-docs/perf/raw}
mkdir -p "$raw"
export ROSTER_REQUIRE_ALL=1 # PostgreSQL benchmarks fail rather than skip
bench() { # bench FILE PACKAGE PATTERN [BENCHTIME]
	echo "== $2 $3 -> $raw/$1" >&2
	go test -run '^$' -bench "$3" -benchtime "${4:-1s}" -benchmem -count=5 -timeout 120m "$2" >"$raw/$1"
}
bench check.txt ./internal/app/ '^BenchmarkCheck$|^BenchmarkMapLookupFloor$'
bench check-batch-cold.txt ./internal/app/ CheckBatchCold
bench policy.txt ./policy/ CheckSubject
bench cache-memory.txt ./internal/app/ CacheMemory 1x
# Three bulks a run: with the default 1 s, a run was one bulk when the
# first took more than 1 s and otherwise the mean of two, so a figure near
# the 1 s target depended on which.
bench bulk.txt ./internal/app/ BulkInvite 3x
# The HTTP cases are compared with each other, on a machine whose speed
# drifts over tens of seconds: five rounds of one run each, so that the
# trivial handler, the check and the batch of a round are measured within
# seconds of each other (-count=5 would run each case five times in a row).
echo "== ./internal/api/ HTTPCheck (5 rounds) -> $raw/http.txt" >&2
: >"$raw/http.txt"
for round in 1 2 3 4 5; do
	go test -run '^$' -bench HTTPCheck -benchmem -count=1 -timeout 30m ./internal/api/ >>"$raw/http.txt"
done
bench sqlite-list.txt ./internal/sqlite/ ListMembers
bench postgres-list.txt ./internal/postgres/ ListMembers
go run ./scripts/perfplot -raw "$raw"
