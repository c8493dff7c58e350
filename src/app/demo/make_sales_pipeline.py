#!/usr/bin/python3
"""Makes sales_pipeline.csv, the demo pipeline (README.md here), from Maven Analytics' "CRM + Sales
Opportunities" data set: /usr/bin/python3 src/app/demo/make_sales_pipeline.py <folder of its CSVs>.

Every won and lost deal is kept (the history the forecast learns from), every Prospecting deal, and
the Engaging deals engaged on or after 2017-07-22: the open pipeline is then $2,750,982 at list
prices. The 588 Engaging deals engaged earlier (idle 163 to 423 days when the data ends; no won deal
in the data took more than 138 days from engaging to closing) are left out."""
import csv
import sys
from pathlib import Path

OLDEST_OPEN = "2017-07-22"
STAGES = {"Prospecting": "prospecting", "Engaging": "engaging", "Won": "won", "Lost": "lost"}


def main(source):
    source = Path(source)
    prices = {r["product"]: r["sales_price"] for r in csv.DictReader(open(source / "products.csv", newline=""))}
    prices["GTXPro"] = prices["GTX Pro"]  # the pipeline's spelling of "GTX Pro"
    out = csv.writer(open(Path(__file__).with_name("sales_pipeline.csv"), "w", newline=""), lineterminator="\n")
    out.writerow(["id", "product", "account", "owner", "stage", "amount", "engaged", "closed"])
    total_open = 0
    for r in csv.DictReader(open(source / "sales_pipeline.csv", newline="")):
        stage = STAGES[r["deal_stage"]]
        if stage == "engaging" and r["engage_date"] < OLDEST_OPEN:
            continue
        # A won deal's amount is what it closed at; the others' the product's list price.
        amount = r["close_value"] if stage == "won" else prices[r["product"]]
        if stage in ("prospecting", "engaging"):
            total_open += int(amount)
        product = "GTX Pro" if r["product"] == "GTXPro" else r["product"]
        out.writerow([r["opportunity_id"], product, r["account"], r["sales_agent"], stage, amount,
                      r["engage_date"], r["close_date"]])
    print(f"open pipeline: ${total_open:,}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/work/shared/data/crm-sales-opportunities-maven")
