#!/usr/bin/env bash
# Independent agreement for the slowloris lab: Debian's slowhttptest (a tool we did not write)
# must reach the same verdict as the checker's available-under-attack probe.
#
#   checkers/bench/slowhttptest.sh            # starter and solution, each once
#   PORT=18090 checkers/bench/slowhttptest.sh
#
# For the starter and for the solution: build the lab, run it with an open-files limit of 128
# (as the checker does) on 127.0.0.1:$PORT, attack it for at most 15 s with
#   slowhttptest -H -c 400 -r 40 -i 1 -l 15 -p 2 -u http://127.0.0.1:$PORT/products
# and read its "service available" lines (one every 5 s). "Down" is a last line that says NO;
# "up" is YES on every line. Then run the checker on the same target and compare.
# Exit 0 when both targets agree, 1 when one disagrees, 2 when a tool is missing or a result
# is mixed (neither up nor down).
#
# Why -r 40 and not a faster rate: with ReadHeaderTimeout 2 s, a slow connection lives ~2 s, so
# a fixed server holds about rate x 2 s of them. At 40/s that is ~80, under the 128 limit;
# at 100/s it is ~200, and even the fixed server runs out of descriptors for a moment.
set -u -o pipefail

here=$(cd "$(dirname "$0")/../.." && pwd)
PORT=${PORT:-18080}
OPEN_FILES=128
ATTACK=(-H -c 400 -r 40 -i 1 -l 15 -p 2)

for tool in go prlimit slowhttptest node ss; do
  command -v "$tool" >/dev/null || { echo "slowhttptest.sh: $tool not found on PATH (apt-get install slowhttptest util-linux iproute2)"; exit 2; }
done
if [ -n "$(ss -Htln "( sport = :$PORT )")" ]; then
  echo "slowhttptest.sh: 127.0.0.1:$PORT is in use; pick another with PORT=..."
  exit 2
fi

work=$(mktemp -d /tmp/ghl-slowhttptest-XXXXXX)
server=""
cleanup() {
  if [ -n "$server" ]; then kill "$server" 2>/dev/null; wait "$server" 2>/dev/null; fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

build() { # target -> $work/<target>/catalog
  local target=$1 dir=$work/$1
  cp -r "$here/labs/slowloris" "$dir"
  if [ "$target" = solution ]; then cp -r "$here/solutions/slowloris/." "$dir"; fi
  (cd "$dir" && GOTOOLCHAIN=local CGO_ENABLED=0 go build -o catalog .) || { echo "slowhttptest.sh: go build failed for the $target"; exit 2; }
}

# Writes the "service available" answers to $work/<target>.answers, one word per line (YES / NO).
attack() { # target
  local target=$1
  ADDR=127.0.0.1:$PORT prlimit --nofile=$OPEN_FILES:$OPEN_FILES "$work/$target/catalog" >"$work/$target.log" 2>&1 &
  server=$!
  for _ in $(seq 50); do
    [ -n "$(ss -Htln "( sport = :$PORT )")" ] && break
    sleep 0.1
  done
  timeout --foreground 40 slowhttptest "${ATTACK[@]}" -u "http://127.0.0.1:$PORT/products" >"$work/$target.out" 2>&1
  kill "$server" 2>/dev/null
  wait "$server" 2>/dev/null
  server=""
  tr '\r' '\n' <"$work/$target.out" | sed 's/\x1b\[[0-9;]*[A-Za-z]//g' >"$work/$target.txt"
  grep -E 'status on|service available' "$work/$target.txt" | paste - - | sed -E 's/slow HTTP test status on ([0-9]+)th second:\s+service available:\s+/\1 s: /'
  grep -oE 'service available:\s+(YES|NO)' "$work/$target.txt" | awk '{print $3}' >"$work/$target.answers"
}

# up / down / mixed, from the YES/NO lines
judge() {
  local answers=$1
  if [ -z "$answers" ]; then echo none; return; fi
  if ! grep -q NO <<<"$answers"; then echo up; return; fi
  if [ "$(tail -1 <<<"$answers")" = NO ]; then echo down; return; fi
  echo mixed
}

checker() { # target -> up / down, from the available-under-attack probe
  local flag=()
  [ "$1" = solution ] && flag=(--solution)
  node "$here/bin/labs.mjs" check slowloris "${flag[@]}" --json 2>/dev/null |
    node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const p=JSON.parse(s).probes.find(p=>p.id==="available-under-attack");console.log(p?(p.passed?"up":"down"):"none")})'
}

status=0
for target in starter solution; do
  build "$target"
  echo "== $target: slowhttptest ${ATTACK[*]} -u http://127.0.0.1:$PORT/products (open files $OPEN_FILES)"
  attack "$target"
  tool=$(judge "$(cat "$work/$target.answers")")
  accept_errors=$(grep -c 'http: Accept error' "$work/$target.log")
  ours=$(checker "$target")
  echo "$target: slowhttptest says service ${tool} (accept errors in the server log: $accept_errors); checker available-under-attack says ${ours}"
  if [ "$tool" = mixed ] || [ "$tool" = none ] || [ "$ours" = none ]; then
    [ $status -eq 0 ] && status=2
  elif [ "$tool" != "$ours" ]; then
    status=1
  fi
done
case $status in
  0) echo "agreement: slowhttptest and the checker give the same verdict for the starter and the solution" ;;
  1) echo "DISAGREEMENT: slowhttptest and the checker differ (see above)" ;;
  2) echo "inconclusive: a mixed or missing result (see above)" ;;
esac
exit $status
