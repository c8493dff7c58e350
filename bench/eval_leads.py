#!/usr/bin/env python3
"""The lead model's evaluation (docs/sales.md): a stratified 80/20 split of a CSV of leads; the
80 % imported and trained on through the API of the real binary, the 20 % scored through
POST /api/v1/leads/score; ROC-AUC against a logistic regression fitted on the same 80 % and
tested on the same 20 %. Prints a table; --json writes the figures.

  python3 bench/eval_leads.py                       # both bank-marketing files, without duration
  python3 bench/eval_leads.py --data leads.csv --label Converted --positive 1 --exclude "Lead Number"
"""
import argparse
import datetime
import json
import os
import platform
import sys
import tempfile
import types

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import leads  # noqa: E402
from run import ROOT, OurServer  # noqa: E402

DEFAULTS = [leads.BANK_FULL, os.path.join(leads.BANK, "bank-additional-full.csv")]


def evaluate(path, args):
    header, rows, delimiter = leads.read_csv(path)
    label_at = header.index(args.label)
    train, test = leads.stratified_split(rows, label_at, args.positive, args.seed)
    with tempfile.TemporaryDirectory() as work:
        server = OurServer(types.SimpleNamespace(database_url=None, threads=2), work)
        try:
            figures, probabilities, labels = leads.train_and_score(
                server.url, server.token, header, train, test, args.label, args.positive, delimiter, set(args.exclude))
        finally:
            server.stop()
    baseline = leads.logistic_baseline(header, train, test, label_at, args.positive, set(args.exclude))
    figures.pop("model")
    figures.update(data=os.path.basename(path), rows=len(rows), train_rows=len(train), test_rows=len(test),
                   excluded=args.exclude, seed=args.seed,
                   auc=round(leads.roc_auc(probabilities, labels), 4),
                   baseline_auc=round(leads.roc_auc(baseline, labels), 4))
    figures["auc_over_baseline"] = round(figures["auc"] - figures["baseline_auc"], 4)
    return figures


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", action="append", help="a CSV of leads (repeatable); default: the bank-marketing files")
    p.add_argument("--label", default="y", help="the outcome column (default y)")
    p.add_argument("--positive", default="yes", help="the outcome value that means converted (default yes)")
    p.add_argument("--exclude", action="append", default=None, help="a column to leave out (default: duration)")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--json", help="write the figures here (default bench/results/<date>-eval-leads.json)")
    args = p.parse_args()
    args.exclude = args.exclude if args.exclude is not None else ["duration"]
    results = [evaluate(path, args) for path in (args.data or DEFAULTS)]
    print(f"{'data':<28}{'rows':>8}{'AUC':>8}{'LR AUC':>8}{'+':>8}{'train s':>9}{'scored/s':>10}{'explained/s':>12}")
    for r in results:
        print(f"{r['data']:<28}{r['rows']:>8}{r['auc']:>8.4f}{r['baseline_auc']:>8.4f}{r['auc_over_baseline']:>8.4f}"
              f"{r['train_seconds']:>9.2f}{r['scored_per_second']:>10}{r['scored_per_second_explained']:>12}")
    out = args.json or os.path.join(ROOT, "bench", "results", f"{datetime.date.today()}-eval-leads.json")
    with open(out, "w") as f:
        json.dump({"machine": {"cpus": os.cpu_count(), "platform": platform.platform()}, "results": results}, f, indent=1)
    print("written to", os.path.relpath(out, ROOT))


if __name__ == "__main__":
    main()
