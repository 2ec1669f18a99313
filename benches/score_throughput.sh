#!/usr/bin/env bash
# Throughput of `hearken score` against Python VADER on the same corpus, in the same run.
#
#   bash benches/score_throughput.sh [POSTS] [RUNS]
#
# Corpus: the dev tweets of ../shared/eval repeated under new ids up to POSTS (default
# 100000). Each run times both programs back to back (hearken, then VADER) with
# /usr/bin/time, so machine noise hits both alike; the script prints each run, then the
# medians of posts/s and peak memory and the median of the per-run ratios.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

POSTS=${1:-100000}
RUNS=${2:-5}
EVAL=../shared/eval/dev/sentiment_tweets_en.jsonl
WORK=target/bench
mkdir -p "$WORK"
CORPUS=$WORK/tweets_${POSTS}.jsonl

[[ -f $EVAL ]] || { echo "missing $EVAL (the shared evaluation data)" >&2; exit 1; }
python3 -c 'import vaderSentiment' 2>/dev/null || pip install --quiet vaderSentiment
cargo build --release --quiet

if [[ ! -f $CORPUS ]]; then
    python3 - "$EVAL" "$CORPUS" "$POSTS" <<'PY'
import json, sys
src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
rows = [json.loads(l) for l in open(src, encoding='utf-8') if l.strip()]
with open(dst, 'w', encoding='utf-8') as out:
    for i in range(n):
        r = rows[i % len(rows)]
        out.write(json.dumps({'id': f"{r['id']}-{i // len(rows)}", 'text': r['text']}, ensure_ascii=False) + '\n')
PY
fi

measure() { # COMMAND... -> "seconds peak_kib"
    /usr/bin/time -f '%e %M' -o "$WORK/time.txt" "$@" < "$CORPUS" > /dev/null
    cat "$WORK/time.txt"
}

echo "corpus: $CORPUS ($POSTS posts); $RUNS runs; machine: $(nproc) cores"
printf '%-4s %12s %10s %12s %10s %7s\n' run hearken/s hearken_MB vader/s vader_MB ratio
results=()
for run in $(seq 1 "$RUNS"); do
    read -r hs hk < <(measure target/release/hearken score --quiet)
    read -r vs vk < <(measure python3 benches/vader_reference.py)
    line=$(python3 -c "n=$POSTS; print(f'{n/$hs:.0f} {$hk/1024:.1f} {n/$vs:.0f} {$vk/1024:.1f} {$vs/$hs:.1f}')")
    results+=("$line")
    printf '%-4s %12s %10s %12s %10s %7s\n' "$run" $line
done
printf '%s\n' "${results[@]}" | python3 -c '
import sys, statistics as st
rows = [list(map(float, l.split())) for l in sys.stdin if l.strip()]
med = [st.median(c) for c in zip(*rows)]
print(f"median: hearken {med[0]:.0f} posts/s, peak {med[1]:.1f} MB; VADER {med[2]:.0f} posts/s, peak {med[3]:.1f} MB; ratio {med[4]:.1f}x")
'
