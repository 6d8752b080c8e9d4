#!/bin/bash
# The figures of docs/PERFORMANCE.md measured against a running roster serve
# (sections 2 and 5): idle memory, an account of 100,001 members loaded
# through the bulk invitation endpoint, then five rounds of cmd/roster-load
# against the check endpoint, beside the trivial-handler ceiling, with the
# server's memory sampled throughout, then five rounds of both at fixed
# rates. Writes http-load.jsonl, http-rate.jsonl, memory.log and
# bulk-http.log to the directory given (default docs/perf/raw). Needs curl,
# jq, sqlite3 and python3; takes about 10 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
raw=$(realpath -m "${1:-docs/perf/raw}")
mkdir -p "$raw"
work=$(mktemp -d)
go build -o "$work/roster" ./cmd/roster
go build -o "$work/roster-load" ./cmd/roster-load
cd "$work"
export PATH=$work:$PATH ROSTER_DB=$work/roster.db ROSTER_ADDR=127.0.0.1:28480 ROSTER_LOG_LEVEL=warn
BASE=http://$ROSTER_ADDR
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$work"' EXIT
mem() { echo "$(date +%T) $1 $(grep -E 'VmRSS|VmHWM' /proc/"$2"/status | tr -s ' \t\n' ' ')" >>"$raw/memory.log"; }
serve() { roster serve >>serve.log 2>&1 & pid=$!; pids+=("$pid"); sleep 5; }

: >"$raw/memory.log"; : >"$raw/http-load.jsonl"; : >"$raw/http-rate.jsonl"; : >"$raw/bulk-http.log"
roster account create --name Perf --owner-email owner@perf.test >account.json
serve
mem "idle, empty database, 5 s after start" "$pid"
sleep 25
mem "idle, empty database, 30 s after start" "$pid"

ACC=$(jq -r .account account.json)
LINK=$(jq -r .activation_url account.json)
curl -sf -c cookies.txt -H 'Content-Type: application/json' \
	-d "{\"token\":\"${LINK#*token=}\",\"name\":\"Olive Owner\",\"password\":\"a perfectly fine password\"}" \
	"$BASE/api/v1/invitations/accept" >/dev/null
T=$(curl -sf -b cookies.txt -H 'Content-Type: application/json' \
	-d "{\"name\":\"load\",\"account\":\"$ACC\"}" "$BASE/api/v1/tokens" | jq -r .token)
python3 - <<'PY'
import random
random.seed(7)
first = ["Dana","Alex","Sam","Robin","Kim","Lee","Chris","Pat","Jo","Max","Zed","Ann","Bob","Eve"]
last = ["Dev","Smith","Jones","Brown","Miller","Davis","Garcia","Wilson","Moore","Taylor"]
roles = ["Architect","Developer","DevOps","SRE","Telemetry Operator","Business Administrator","Monitoring User","Quality Assurance"]
for f in range(10):
    with open(f"members-{f}.csv", "w") as out:
        out.write("email,role,name\n")
        for r in range(10000):
            out.write(f"person{f*10000+r:06d}@perf.test,{random.choice(roles)},{random.choice(first)} {random.choice(last)}{random.randrange(1000)}\n")
PY
for f in 0 1 2 3 4 5 6 7 8 9; do
	curl -s -o /dev/null -w "bulk $f: %{http_code} %{time_total} s\n" -H "Authorization: Bearer $T" -H 'Content-Type: text/csv' \
		--data-binary @members-$f.csv "$BASE/api/v1/accounts/$ACC/invitations/bulk" >>"$raw/bulk-http.log"
done
mem "after loading 100,000 members through the API" "$pid"
# The log mailer works through 100,000 invitation emails at its own pace;
# mark them delivered while the server is stopped rather than wait.
kill "$pid"; wait "$pid" 2>/dev/null || true
sqlite3 roster.db "UPDATE outbox SET status = 'sent', link = '', sent_at = next_attempt_at WHERE status = 'pending'"
serve
mem "idle, 100,001 members, 5 s after start" "$pid"

roster-load -serve-trivial 127.0.0.1:28490 & pids+=("$!")
(while kill -0 "$pid" 2>/dev/null; do mem "under load" "$pid"; sleep 0.5; done) & pids+=("$!")
for round in 1 2 3 4 5; do
	echo "{\"round\":$round,\"loadavg\":\"$(cut -d' ' -f1-3 /proc/loadavg)\"}" >>"$raw/http-load.jsonl"
	roster-load -mode trivial -c 64 -d 10s -o json >>"$raw/http-load.jsonl"
	roster-load -mode trivial -trivial-url http://127.0.0.1:28490 -c 64 -d 10s -o json | jq -c '.mode = "trivial-separate"' >>"$raw/http-load.jsonl"
	roster-load -url "$BASE" -token "$T" -account "$ACC" -mode check -c 64 -d 10s -o json >>"$raw/http-load.jsonl"
	roster-load -url "$BASE" -token "$T" -account "$ACC" -mode batch -c 64 -d 10s -o json >>"$raw/http-load.jsonl"
done
# The same two servers asked the same number of requests a second (an open
# loop, -rate) at a quarter, a half and three quarters of what the check
# answered flat out in the rounds above (the median of their five): the
# latency of each at the same load. (Fixed rates of 4,000, 8,000 and
# 12,000 were that on this machine once, and a tenth to a third of it
# later.)
capacity=$(jq -s '[.[] | select(.mode == "check" and (.statuses | keys) == ["200"]) | .rps] | sort | .[length / 2 | floor] // 0 | floor' "$raw/http-load.jsonl")
if [ "$capacity" -lt 100 ]; then
	echo "perf-serve: no flat-out check round answered only 200s; no rate to scale to" >&2
	exit 1
fi
for round in 1 2 3 4 5; do
	echo "{\"round\":$round,\"loadavg\":\"$(cut -d' ' -f1-3 /proc/loadavg)\",\"check_capacity\":$capacity}" >>"$raw/http-rate.jsonl"
	for rate in $((capacity / 4)) $((capacity / 2)) $((capacity * 3 / 4)); do
		roster-load -mode trivial -trivial-url http://127.0.0.1:28490 -c 64 -d 10s -rate $rate -o json | jq -c '.mode = "trivial-separate"' >>"$raw/http-rate.jsonl"
		roster-load -url "$BASE" -token "$T" -account "$ACC" -mode check -c 64 -d 10s -rate $rate -o json >>"$raw/http-rate.jsonl"
	done
done
mem "after the rounds" "$pid"
