#!/usr/bin/env bash
# Latency at a fixed rate below saturation (open loop, 3,000 req/s): p50/p99 direct vs through the edge.
set -u
cd "$(dirname "$0")/../.."
S=$(mktemp -d); UP=${UP:-50962}; EP=${EP:-18082}
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
curl -s --http2-prior-knowledge -o /dev/null -D - --data-binary @$S/frame -H 'content-type: application/grpc' -H 'te: trailers' -H "authorization: Bearer $TOKEN" http://127.0.0.1:$UP/trellis.user.v1.UserService/GetUser | grep -i "grpc-status\|HTTP/2"
direct() { h2load -D $1 -c 4 -m 16 -t 1 --rps 750 --log-file=$2 -d $S/frame -H 'content-type: application/grpc' -H 'te: trailers' -H "authorization: Bearer $TOKEN" http://127.0.0.1:$UP/trellis.user.v1.UserService/GetUser; }
edge() { h2load -D $1 -c 4 -m 16 -t 1 --rps 750 --log-file=$2 -H "authorization: Bearer $TOKEN" http://127.0.0.1:$EP/v1/users/$ID; }
echo "== warm-up"
for i in 1 2 3; do direct 10 /dev/null > /dev/null; edge 10 /dev/null > /dev/null; done
for round in 1 2 3 4; do
  direct 20 $S/direct-$round.log | grep "finished in"
  edge 20 $S/edge-$round.log | grep "finished in"
done
python3 - $S <<'PY'
import sys, glob
d = sys.argv[1]
def pct(xs, p): xs = sorted(xs); return xs[min(len(xs)-1, int(p/100*len(xs)))]
for r in range(1,5):
    out = []
    for side in ('direct','edge'):
        xs = [int(l.split('\t')[2])/1000 for l in open(f'{d}/{side}-{r}.log') if l.strip()]
        out.append((side, len(xs), pct(xs,50), pct(xs,99)))
    (s1,n1,a50,a99),(s2,n2,b50,b99) = out
    print(f'round {r}: direct n={n1} p50={a50:.3f}ms p99={a99:.3f}ms | edge n={n2} p50={b50:.3f}ms p99={b99:.3f}ms | added p50={b50-a50:.3f}ms p99={b99-a99:.3f}ms')
PY
kill -TERM $(pgrep -f "state-dir $S")
sleep 8
