#!/usr/bin/env python3
"""Learns the Indonesian sentiment lexicon (lexicons/id/sentiment.tsv) from labelled rows.

usage (from the repository root):
    python3 lexicons/tools/build_id_lexicon.py ../shared/eval/train/sentiment_id_train.jsonl \
        > lexicons/id/sentiment.tsv
    python3 lexicons/tools/build_id_lexicon.py TRAIN --check ../shared/eval/dev/sentiment_id.jsonl

Input: JSON lines {"text", "label": positive|neutral|negative} (SmSA, IndoNLU; Apache-2.0).
Output: `word<TAB>valence<TAB>neutral lean`, plus one `__bias__` line with the two
intercepts; comments say how it was made. Plain Python, no dependencies, deterministic.

How. hearken scores a post by summing word valences after VADER-style rules (negation
within three words flips and weakens a word by -0.74, "tapi"-style contrast weights the
words before it by 0.5 and after it by 1.5, boosters and dampeners). So the valences are
learned *through* those rules: each occurrence of a word contributes its rule factor to the
word's feature, and an L2-regularized logistic regression (positive vs negative) fits one
weight per word — the weights are then exactly what the Rust rules need to reproduce the
fit. A second logistic regression (neutral vs not, on word counts) gives each word a
"neutral lean": news headlines, announcements and questions lean neutral. Words seen in
fewer than MIN_DF rows get no entry; tiny weights are dropped. The tables of negators,
boosters and contrast words are read from lexicons/id/*, and the slang table from
src/core/normalize.rs, so training sees the words as hearken's normalizer folds them.
"""
import json
import math
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MIN_DF = 5
L2_VALENCE = 0.05
L2_NEUTRAL = 0.05
EPOCHS = 20
N_SCALAR = -0.74
MIN_WEIGHT = 0.05


def table(path):
    rows = []
    for line in open(os.path.join(ROOT, path), encoding='utf-8'):
        line = line.rstrip('\n')
        if line.strip() and not line.startswith('#'):
            rows.append(line.split('\t'))
    return rows


NEGATORS = {r[0] for r in table('lexicons/id/negators.txt') if ' ' not in r[0]}
BOOSTERS = {r[0] for r in table('lexicons/id/boosters.tsv') if ' ' not in r[0]}
CONTRAST = {r[0]: (float(r[1]), float(r[2])) for r in table('lexicons/id/contrast.tsv')}


def slang_table():
    src = open(os.path.join(ROOT, 'src/core/normalize.rs'), encoding='utf-8').read()
    body = src[src.index('fn slang('):]
    body = body[:body.index('\n}\n')]
    out = {}
    for lhs, rhs in re.findall(r'^\s*((?:"[^"]+"\s*\|\s*)*"[^"]+")\s*=>\s*"([^"]+)"', body, re.M):
        for w in re.findall(r'"([^"]+)"', lhs):
            out[w] = rhs
    return out


SLANG = slang_table()
TOKEN = re.compile(r"[^\W_]+(?:['\-][^\W_]+)*|[.,!?;:]+")


def tokens(text):
    """Words and sentence punctuation, folded roughly as hearken's normalizer does."""
    out = []
    for t in TOKEN.findall(text.lower()):
        t = re.sub(r'([a-z])\1\1+', r'\1\1', t)
        out.extend(SLANG.get(t, t).split(' '))
    return out


def occurrences(text):
    """(word, rule factor) for every word that can carry a valence, as the Rust rules
    weight it: negation flips, contrast reweights its sentence."""
    sentences, cur = [], []
    for t in tokens(text):
        if t[0] in '.,!?;:':
            if any(c in t for c in '.!?;'):
                sentences.append(cur)
                cur = []
            continue
        cur.append(t)
    sentences.append(cur)
    out = []
    for s in sentences:
        cpos = max((i for i, w in enumerate(s) if w in CONTRAST), default=None)
        for i, w in enumerate(s):
            if w in NEGATORS or w in BOOSTERS or w in CONTRAST:
                continue
            f = 1.0
            for k in (1, 2, 3):
                if i - k >= 0 and s[i - k] in NEGATORS:
                    f *= N_SCALAR
            if cpos is not None:
                f *= CONTRAST[s[cpos]][0] if i < cpos else CONTRAST[s[cpos]][1] if i > cpos else 1.0
            out.append((w, f))
    return out


def features(text, vocab, negated):
    x = {}
    for w, f in occurrences(text):
        if w in vocab:
            x[w] = x.get(w, 0.0) + (f if negated else 1.0)
    return x


def fit(xs, ys, l2, epochs):
    """Logistic regression by AdaGrad; returns (weights, bias). The L2 penalty is applied
    to every weight once per epoch (not only when its word occurs), so that a rare word
    cannot take an extreme weight from a handful of rows."""
    w, g2 = {}, {}
    b, gb = 0.0, 1e-8
    eta = 0.5
    order = list(range(len(xs)))
    for epoch in range(epochs):
        # deterministic shuffle
        order.sort(key=lambda i: (i * 2654435761 + epoch * 97) % 4294967291)
        for i in order:
            x, y = xs[i], ys[i]
            z = b + sum(w.get(k, 0.0) * v for k, v in x.items())
            p = 1 / (1 + math.exp(-max(-30, min(30, z))))
            g = p - y
            for k, v in x.items():
                gk = g * v
                g2[k] = g2.get(k, 1e-8) + gk * gk
                w[k] = w.get(k, 0.0) - eta * gk / math.sqrt(g2[k])
            gb += g * g
            b -= eta * g / math.sqrt(gb)
        for k in w:
            w[k] *= 1.0 - l2
    return w, b


def train(rows):
    df = {}
    for r in rows:
        for w in {w for w, _ in occurrences(r['text'])}:
            df[w] = df.get(w, 0) + 1
    vocab = {w for w, n in df.items() if n >= MIN_DF}
    polar = [r for r in rows if r['label'] != 'neutral']
    wv, bv = fit([features(r['text'], vocab, True) for r in polar],
                 [1 if r['label'] == 'positive' else 0 for r in polar], L2_VALENCE, EPOCHS)
    wn, bn = fit([features(r['text'], vocab, False) for r in rows],
                 [1 if r['label'] == 'neutral' else 0 for r in rows], L2_NEUTRAL, EPOCHS)
    lex = {}
    for w in vocab:
        v, n = wv.get(w, 0.0), wn.get(w, 0.0)
        if abs(v) >= MIN_WEIGHT or abs(n) >= MIN_WEIGHT:
            lex[w] = (round(v, 3) if abs(v) >= MIN_WEIGHT else 0.0, round(n, 3) if abs(n) >= MIN_WEIGHT else 0.0)
    return lex, (round(bv, 3), round(bn, 3))


def predict(lex, bias, text):
    v = sum(f * lex[w][0] for w, f in occurrences(text) if w in lex)
    n = sum(lex[w][1] for w, _ in occurrences(text) if w in lex) + bias[1]
    if n > 0:
        return 'neutral'
    return 'positive' if v + bias[0] > 0 else 'negative'


def macro_f1(pairs):
    s = 0.0
    for c in ('positive', 'neutral', 'negative'):
        tp = sum(1 for p, g in pairs if p == c == g)
        pp = sum(1 for p, _ in pairs if p == c)
        gg = sum(1 for _, g in pairs if g == c)
        if tp:
            s += 2 * tp / (pp + gg)
    return s / 3


def load(path):
    return [json.loads(l) for l in open(path, encoding='utf-8') if l.strip()]


def main():
    args = sys.argv[1:]
    if not args:
        sys.exit(__doc__)
    rows = load(args[0])
    lex, bias = train(rows)
    if '--check' in args:
        dev = load(args[args.index('--check') + 1])
        pairs = [(predict(lex, bias, r['text']), r['label']) for r in dev]
        print(f'entries={len(lex)} bias={bias} dev macro-F1 (Python mimic of the rules)={macro_f1(pairs):.3f}')
        return
    print('# Indonesian word valences learned by lexicons/tools/build_id_lexicon.py from SmSA')
    print('# (IndoNLU, Purwarianti & Crisdayanti 2019, Apache-2.0): logistic regressions through')
    print("# hearken's rules. Do not edit: put hand-made entries in curated.tsv, which wins.")
    print(f'# rows={len(rows)} min_df={MIN_DF} l2={L2_VALENCE}/{L2_NEUTRAL} epochs={EPOCHS}')
    print('# word\tvalence (positive > 0)\tneutral lean (news-like > 0)')
    print(f'__bias__\t{bias[0]}\t{bias[1]}')
    for w in sorted(lex):
        print(f'{w}\t{lex[w][0]}\t{lex[w][1]}')


if __name__ == '__main__':
    main()
