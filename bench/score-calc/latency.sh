#!/bin/sh
# Insert -> email-topic latency through cdc-relay + score-calc (release binaries).
# Usage: bench/score-calc/latency.sh KAFKA_HOST:PORT MONGO_HOST:PORT [N] [RATE_PER_S]
set -eu
brokers=$1; mongo=$2; n=${3:-600}; rate=${4:-10}
here=$(cd "$(dirname "$0")" && pwd)
py=${PYTHON:-$HOME/.cache/examfn/bench-venv/bin/python}
minutes=$(python3 -c "print($n / $rate / 60)")
exec "$py" "$here/../cdc-vs-polling/run.py" --brokers "$brokers" --mongo "$mongo" \
    --strategies cdc --n "$n" --minutes "$minutes" --compression 1 --base 0 \
    --out "$here/results"
