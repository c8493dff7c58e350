"""Lead scoring against the real server: a stratified split of a CSV of leads, the import and
training through the API (timed), the held-out leads scored through POST /api/v1/leads/score
(timed, with and without explanations), and a logistic-regression baseline on the same split
(numpy; one-hot categories, standardised numbers, L2 as scikit-learn's default C=1).

Used by bench/eval_leads.py (the evaluation in docs/sales.md) and by bench/run.py's load (f)
(the rates in docs/performance.md)."""
import csv
import io
import json
import math
import os
import random
import time
import urllib.request

BATCH = 10000  # the most leads POST /api/v1/leads/score takes at once
# The shared data folder lies beside the repository (the work tree's or CI's clone).
BANK = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "shared", "data",
                    "bank-marketing")
BANK_FULL = os.path.join(BANK, "bank-full.csv")


def read_csv(path):
    with open(path, newline="", encoding="utf-8-sig") as f:
        text = f.read()
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    return rows[0], [r for r in rows[1:] if r], delimiter


def stratified_split(rows, label_at, positive, seed, test_fraction=0.2):
    rnd = random.Random(seed)
    train, test = [], []
    for group in ([r for r in rows if r[label_at] == positive], [r for r in rows if r[label_at] != positive]):
        rnd.shuffle(group)
        cut = round(len(group) * test_fraction)
        test += group[:cut]
        train += group[cut:]
    return train, test


def roc_auc(scores, labels):
    order = sorted(range(len(scores)), key=lambda i: scores[i])
    rank_sum, positives, i = 0.0, 0, 0
    while i < len(order):
        j = i
        while j < len(order) and scores[order[j]] == scores[order[i]]:
            j += 1
        mean_rank = (i + j - 1) / 2 + 1
        for k in range(i, j):
            if labels[order[k]]:
                rank_sum += mean_rank
                positives += 1
        i = j
    negatives = len(order) - positives
    return (rank_sum - positives * (positives + 1) / 2) / (positives * negatives)


def _number(text):
    try:
        value = float(text)
        return value if math.isfinite(value) else None
    except ValueError:
        return None


def logistic_baseline(header, train, test, label_at, positive, exclude):
    """Probabilities for `test` from a logistic regression fitted on `train`."""
    import numpy as np  # Debian's python3-numpy; only the evaluation needs it
    columns = [i for i, h in enumerate(header) if i != label_at and h not in exclude]
    encoders = []
    for i in columns:
        values = [r[i] for r in train]
        numbers = [_number(v) for v in values]
        if all(n is not None for n in numbers):
            mean, std = float(np.mean(numbers)), float(np.std(numbers)) or 1.0
            encoders.append(lambda r, i=i, mean=mean, std=std: [((_number(r[i]) or mean) - mean) / std])
        else:
            levels = sorted(set(values))
            index = {level: k for k, level in enumerate(levels)}
            def one_hot(r, i=i, index=index, n=len(levels)):
                out = [0.0] * n
                if r[i] in index:
                    out[index[r[i]]] = 1.0
                return out
            encoders.append(one_hot)

    def matrix(rows):
        return np.array([[1.0] + [x for e in encoders for x in e(r)] for r in rows])

    x, y = matrix(train), np.array([1.0 if r[label_at] == positive else 0.0 for r in train])
    w = np.zeros(x.shape[1])
    penalty = np.eye(x.shape[1])
    penalty[0, 0] = 0  # the intercept is not penalised
    for _ in range(50):  # Newton's method on the log-loss + |w|^2 / 2
        p = 1 / (1 + np.exp(-x @ w))
        gradient = x.T @ (p - y) + penalty @ w
        hessian = (x * (p * (1 - p))[:, None]).T @ x + penalty
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if np.max(np.abs(step)) < 1e-8:
            break
    return list(1 / (1 + np.exp(-matrix(test) @ w)))


def post(url, token, body, content_type="application/json", timeout=600):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(url, method="POST", data=data)
    request.add_header("Content-Type", content_type)
    request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.load(response)


def get(url, token):
    request = urllib.request.Request(url)
    request.add_header("Authorization", f"Bearer {token}")
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.load(response)


def to_csv(header, rows, delimiter):
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\n").writerows([header] + rows)
    return out.getvalue().encode()


def train_and_score(base, token, header, train, test, label, positive, delimiter, exclude, explain_too=True):
    """Imports `train` (the label column as the outcome), trains a model (timed, from the request
    to status ready), scores `test` through the API. Returns the figures and the probabilities."""
    label_at = header.index(label)
    started = time.monotonic()
    imported = post(f"{base}/api/v1/leads/import?outcome_column={label}", token, to_csv(header, train, delimiter),
                    "text/csv")
    import_seconds = time.monotonic() - started
    started = time.monotonic()
    model = post(f"{base}/api/v1/lead-models", token, {"exclude": sorted(exclude), "activate": True})
    while model["status"] == "training":
        time.sleep(0.1)
        model = get(f"{base}/api/v1/lead-models/{model['id']}", token)
    train_seconds = time.monotonic() - started
    if model["status"] != "ready":
        raise SystemExit(f"training failed: {model['error']}")
    leads = [{"attributes": {h: v for h, v in zip(header, r) if h != label and h not in exclude}} for r in test]

    def score(explain):
        probabilities, started = [], time.monotonic()
        for start in range(0, len(leads), BATCH):
            answer = post(f"{base}/api/v1/leads/score", token, {"leads": leads[start:start + BATCH], "explain": explain})
            probabilities += [item["probability"] for item in answer["items"]]
        return probabilities, len(leads) / (time.monotonic() - started)

    probabilities, rate = score(False)
    explained_rate = score(True)[1] if explain_too else None
    return {"imported": imported["imported"], "import_seconds": round(import_seconds, 2),
            "train_seconds": round(train_seconds, 2), "trees": model["trees"],
            "model_holdout_auc": round(model["evaluation"]["roc_auc"], 4),
            "scored_per_second": round(rate), "scored_per_second_explained": explained_rate and round(explained_rate),
            "model": model}, probabilities, [1 if r[label_at] == positive else 0 for r in test]
