#!/usr/bin/env bash
# Runs the reproductions of the hardening issue against one milvus-conn binary and prints, for
# each, the exit code, wall time and peak RSS (/usr/bin/time -v). Needs a Milvus (or any
# gRPC server that answers Connect) on $MILVUS_ADDR for the rows marked "server".
#   bench/hostile.sh BIN [MILVUS_ADDR]
set -u
bin=$1; addr=${2:-127.0.0.1:19530}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cd "$work"
mkfifo fifo
{ echo 'A=x'; for _ in $(seq 40); do echo 'A=$A$A'; done; echo 'MILVUS_URI=http://h/$A'; } > doubling.env
python3 - <<'PY'
open("spaces.env","w").write(" "*1_000_000 + '"' + "\n"*20_000)
line = b"this is not a valid line\n"
with open("bad50mb.env","wb") as f:
    f.write(line * (50_000_000 // len(line)))
with open("bad1mib.env","wb") as f:
    f.write(line * (1_000_000 // len(line)))
PY
label63=$(printf 'a%.0s' $(seq 64))
bighost=$(head -c 100000 /dev/zero | tr '\0' 'a')
run() { # name, then the command
  local name=$1; shift
  local out="$work/out.txt" tv="$work/time.txt"
  timeout -s KILL 60 /usr/bin/time -v -o "$tv" "$@" > "$out" 2>&1 < /dev/null
  local rc=$?
  local wall rss bytes
  wall=$(awk -F': ' '/Elapsed \(wall clock\)/{print $2}' "$tv" 2>/dev/null)
  rss=$(awk -F': ' '/Maximum resident set size/{printf "%.1f", $2/1024}' "$tv" 2>/dev/null)
  bytes=$(wc -c < "$out")
  [ -s "$tv" ] || { wall="killed@60s"; rss="?"; }
  grep -q 'Command terminated by signal\|Command exited with non-zero status' "$tv" 2>/dev/null && rc=$(awk '/Exit status/{print $3}' "$tv")
  printf '| %s | %s | %s | %s MiB | %s B | %s |\n' "$name" "$rc" "$wall" "$rss" "$bytes" "$(head -c 150 "$out" | tr '\n|' '  ' )"
}
echo "| item | exit | wall | peak RSS | output | first output |"
echo "|---|---|---|---|---|---|"
run "1 ping --timeout 2^64-1 (closed port)" "$bin" ping --uri http://127.0.0.1:1 --timeout 18446744073709551615
run "1 ping --timeout 1e12 (server)" "$bin" ping --uri "http://$addr" --user root --password Milvus --timeout 1e12
run "1 MILVUS_CONN_TIMEOUT=1e12 ping (server)" env MILVUS_CONN_TIMEOUT=1e12 "$bin" ping --uri "http://$addr" --user root --password Milvus
run "1 ping --timeout 86400, the limit (server)" "$bin" ping --uri "http://$addr" --user root --password Milvus --timeout 86400
run "2 ping --ca-pem-path /dev/zero" "$bin" ping --uri https://127.0.0.1:1 --ca-pem-path /dev/zero --timeout 3
run "2 ping --ca-pem-path FIFO" "$bin" ping --uri https://127.0.0.1:1 --ca-pem-path fifo --timeout 3
run "2 resolve --dotenv /dev/urandom" "$bin" resolve --dotenv /dev/urandom
run "2 resolve --dotenv FIFO" "$bin" resolve --dotenv fifo --timeout 3
run "3 resolve --dotenv A=\$A\$A x40" "$bin" resolve --dotenv doubling.env
run "3 resolve --dotenv 1e6 spaces+quote+20k newlines" "$bin" resolve --dotenv spaces.env
run "4 resolve --dotenv 50 MB of bad lines" "$bin" resolve --dotenv bad50mb.env
run "4 resolve --dotenv 1 MB of bad lines" "$bin" resolve --dotenv bad1mib.env
run "5 --uri http://uu:Secret@h:1 --user other" "$bin" resolve --uri http://uu:Secret@h:1 --user other --show-secrets
run "5 --uri http://uu:Secret@h:1 --password other" "$bin" resolve --uri http://uu:Secret@h:1 --password other
run "5 MILVUS_URI=http://uu@h:1 --token t" env MILVUS_URI=http://uu@h:1 "$bin" resolve --token t
run "6 MILVUS_TOKEN=\\xff" env MILVUS_TOKEN=$'\xff' "$bin" resolve
run "7 --host {}" "$bin" resolve --host '{}'
run "7 --uri http://a..b:19530" "$bin" resolve --uri http://a..b:19530
run "7 64-char label" "$bin" resolve --host "$label63.example"
run "7 100 kB host" "$bin" resolve --host "$bighost"
run "7 ping --server-name a..b" "$bin" ping --uri "https://$addr" --server-name a..b --timeout 3
run "7 resolve --server-name '*.example'" "$bin" resolve --server-name '*.example'
run "7 resolve --server-name h:19530" "$bin" resolve --server-name h:19530
run "8 resolve --ca-pem-path ''" "$bin" resolve --ca-pem-path ''
run "8 resolve --dotenv ''" "$bin" resolve --dotenv ''
