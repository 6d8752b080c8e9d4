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
bench() { # bench FILE PACKAGE PATTERN
	echo "== $2 $3 -> $raw/$1" >&2
	go test -run '^$' -bench "$3" -benchmem -count=5 -timeout 120m "$2" >"$raw/$1"
}
bench check.txt ./internal/app/ 'BenchmarkCheck|BenchmarkMapLookupFloor'
bench policy.txt ./policy/ CheckSubject
bench bulk.txt ./internal/app/ BulkInvite
bench http.txt ./internal/api/ HTTPCheck
bench sqlite-list.txt ./internal/sqlite/ ListMembers
bench postgres-list.txt ./internal/postgres/ ListMembers
go run ./scripts/perfplot -raw "$raw"
