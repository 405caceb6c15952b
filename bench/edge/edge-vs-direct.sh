#!/usr/bin/env bash
# GET /v1/users/{id} through the edge vs GetUser direct, same mesh, same concurrency, alternating rounds.
set -u
cd "$(dirname "$0")/../.."
S=$(mktemp -d); UP=${UP:-50961}; EP=${EP:-18081}
TRELLIS_RATE_LIMIT_PEER=off TRELLIS_RATE_LIMIT_ADMIN=off setsid ./trellis up --state-dir $S --user-port $UP --edge-port $EP > $S/up.log 2>&1 &
for i in $(seq 1 90); do grep -q "Ctrl-C stops" $S/up.log && break; sleep 2; done
TOKEN=$(grep "export TOKEN" $S/up.log | sed 's/.*TOKEN=//')
ID=$(curl -s -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -d '{"email":"bench@example.com","name":"Bench"}' http://127.0.0.1:$EP/v1/users | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
python3 - "$ID" > $S/frame <<'PY'
import sys, struct
n = int(sys.argv[1]); v = bytearray()
while True:
    b = n & 0x7f; n >>= 7
    if n: v.append(b | 0x80)
    else: v.append(b); break
msg = b'\x08' + bytes(v)
sys.stdout.buffer.write(b'\x00' + struct.pack('>I', len(msg)) + msg)
PY
direct() { h2load -D $1 -c 4 -m 16 -t 1 -d $S/frame -H 'content-type: application/grpc' -H 'te: trailers' -H "authorization: Bearer $TOKEN" http://127.0.0.1:$UP/trellis.user.v1.UserService/GetUser; }
edge2() { h2load -D $1 -c 4 -m 16 -t 1 -H "authorization: Bearer $TOKEN" http://127.0.0.1:$EP/v1/users/$ID; }
edge1() { h2load --h1 -D $1 -c 64 -t 1 -H "authorization: Bearer $TOKEN" http://127.0.0.1:$EP/v1/users/$ID; }
curl -s -H "Authorization: Bearer $TOKEN" http://127.0.0.1:$EP/v1/users/$ID; echo
echo "== warm-up (about a minute, both sides)"
for i in 1 2; do direct 10 > /dev/null; edge2 10 > /dev/null; edge1 10 > /dev/null; done
for round in 1 2 3 4; do
  for side in direct edge2 edge1; do
    echo "== round $round $side"
    $side 15 | grep -E "requests:|finished in|status codes|time for request" 
  done
done
kill -TERM $(pgrep -f "state-dir $S")
sleep 8
