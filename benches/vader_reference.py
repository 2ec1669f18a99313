#!/usr/bin/env python3
"""The reference for the throughput benchmark: Python VADER over the same JSONL posts.

Reads posts as JSON lines on stdin and writes one JSON line per post with VADER's
polarity scores, so it does the same I/O work as `hearken score`.
"""
import json
import sys

from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

analyzer = SentimentIntensityAnalyzer()
out = sys.stdout
for line in sys.stdin:
    if not line.strip():
        continue
    post = json.loads(line)
    scores = analyzer.polarity_scores(post["text"])
    out.write(json.dumps({"id": post["id"], "sentiment": scores}) + "\n")
