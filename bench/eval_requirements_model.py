#!/usr/bin/env python3
"""The requirement classification with a configured model (docs/product.md, "With a model"):
every PROMISE NFR requirement sent, project by project, to POST /api/v1/requirements/analyze of
the real binary, started here with the model settings of this shell (DE_AI_PROVIDERS,
DE_OPENAI_API_KEY, DE_ANTHROPIC_API_KEY, ... as `serve` reads them). A model is given no PROMISE
example, so every project is unseen by it (it may have read the public data set in its own
training: say so with the figures). Scores the requirements the model classified (kind, and the
NFR class on the gold non-functional ones), macro-averaged as script/eval-requirements does, and
how many it classified. Without a model configured it says so and exits 2.

  DE_AI_PROVIDERS=openai DE_OPENAI_API_KEY=sk-... python3 bench/eval_requirements_model.py
"""
import argparse
import collections
import csv
import datetime
import json
import os
import sys
import tempfile
import types

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import ROOT, OurServer, http_json  # noqa: E402

DATA = os.path.join(ROOT, "src", "agents", "product", "data", "promise_nfr.csv")
CODES = {"A": "availability", "FT": "fault tolerance", "L": "legal", "LF": "look and feel", "MN": "maintainability",
         "O": "operational", "PE": "performance", "PO": "portability", "SC": "scalability", "SE": "security",
         "US": "usability"}


def macro(pairs, classes):
    """Per-class precision, recall and F1 over (gold, predicted) pairs, and their unweighted mean
    over every class (as de-requirements-eval's tables: a class without a requirement the model
    classified counts 0)."""
    rows = {}
    for c in classes:
        tp = sum(g == c and p == c for g, p in pairs)
        fp = sum(g != c and p == c for g, p in pairs)
        fn = sum(g == c and p != c for g, p in pairs)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        rows[c] = {"precision": round(precision, 3), "recall": round(recall, 3), "f1": round(f1, 3), "support": tp + fn}
    rows["macro"] = {k: round(sum(rows[c][k] for c in classes) / len(classes), 3) for k in ("precision", "recall", "f1")}
    return rows


def classify(url, token, rows):
    """The analyser's answer for every requirement, one request per project."""
    by_project = collections.defaultdict(list)
    for i, (project, text, _) in enumerate(rows):
        by_project[project].append({"id": str(i), "text": text})
    answers, errors = {}, []
    for project, requirements in sorted(by_project.items()):
        # A model classifies 40 requirements a call, one call after another: minutes for a large project.
        body = http_json("POST", url + "/api/v1/requirements/analyze", {"requirements": requirements}, token=token,
                         timeout=900)
        if body.get("model_error"):
            errors.append(f"project {project}: {body['model_error']}")
        for item in body["items"]:
            answers[int(item["id"])] = item
    return answers, errors


def table(title, scores):
    lines = [f"{title}", f"{'class':<18}{'P':>7}{'R':>7}{'F1':>7}{'n':>6}"]
    for c, s in scores.items():
        lines.append(f"{c:<18}{s['precision']:>7.3f}{s['recall']:>7.3f}{s['f1']:>7.3f}{s.get('support', ''):>6}")
    return "\n".join(lines)


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default=DATA, help="project_id,requirement_text,label CSV (default: the embedded PROMISE NFR copy)")
    p.add_argument("--json", help="write the figures here (default bench/results/<date>-eval-requirements-model.json)")
    args = p.parse_args()
    with open(args.data, newline="", encoding="utf-8") as f:
        rows = [(r[0], r[1], r[2]) for r in list(csv.reader(f))[1:] if len(r) == 3 and r[1].strip()]
    with tempfile.TemporaryDirectory() as work:
        server = OurServer(types.SimpleNamespace(database_url=None, threads=2), work)
        try:
            answers, errors = classify(server.url, server.token, rows)
        finally:
            server.stop()
    by_model = {i: a for i, a in answers.items() if a["classified_by"]["method"] == "model"}
    for e in errors[:5]:
        print("model error:", e, file=sys.stderr)
    if not by_model:
        print("no requirement was classified by a model: configure one (docs/ai.md) and run again", file=sys.stderr)
        return 2
    models = sorted({a["classified_by"]["model"] for a in by_model.values()})
    kinds = [("F" if rows[i][2] == "F" else "NFR", "F" if a["kind"] == "functional" else "NFR") for i, a in by_model.items()]
    categories = [(CODES[rows[i][2]], a["category"] or "(functional)") for i, a in by_model.items() if rows[i][2] != "F"]
    figures = {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"), "data": args.data,
               "models": models, "requirements": len(rows), "classified_by_model": len(by_model), "model_errors": errors,
               "kind": macro(kinds, ["F", "NFR"]), "category": macro(categories, list(CODES.values()))}
    print(f"{len(by_model)} of {len(rows)} requirements classified by {', '.join(models)}")
    print(table("Functional vs non-functional", figures["kind"]))
    print(table("NFR class, on the gold non-functional requirements the model classified", figures["category"]))
    out = args.json or os.path.join(ROOT, "bench", "results",
                                    datetime.date.today().isoformat() + "-eval-requirements-model.json")
    with open(out, "w") as f:
        json.dump(figures, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
