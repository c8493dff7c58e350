#!/usr/bin/python3
"""Makes campaigns.csv, the demo campaigns (README.md here), from two public data sets:
/usr/bin/python3 src/app/demo/make_campaigns.py <KAG_conversion_data.csv> <olist folder>

- Facebook ads (KAG_conversion_data.csv): one campaign per company campaign (916, 936, 1178) and
  gender; the data set has no dates, so each of its ads, in ad_id order, is one day of its
  campaign: the last 45 ads of each make its last 45 days. Conversions are Total_Conversion;
  revenue is Approved_Conversion at a stated value of 100.00 USD per approved sale (the data
  set has no revenue). The budget is the mean daily spend of the sample, in whole dollars.
- Olist's marketing funnel: one campaign per lead origin (the four largest), a day per first
  contact date in 2018: clicks are the marketing qualified leads of the day, conversions those of
  them that later became sellers (closed deals). There is no spend: these campaigns are paused
  and the optimiser leaves them out.
Dates are those of the Olist data; the loader shifts them so that 2018-05-31 becomes yesterday."""
import csv
import sys
from collections import defaultdict
from datetime import date, timedelta

LAST = date(2018, 5, 31)
DAYS = 45
VALUE_PER_SALE = 100


def facebook(path):
    groups = defaultdict(list)
    with open(path, encoding="utf-8-sig") as f:
        for row in csv.DictReader(f):
            groups[(row["xyz_campaign_id"], row["gender"])].append(row)
    rows = []
    for (campaign, gender), ads in sorted(groups.items()):
        ads = sorted(ads, key=lambda r: int(r["ad_id"]))[-DAYS:]
        name = f"Facebook {campaign} ({'men' if gender == 'M' else 'women'})"
        budget = round(sum(float(a["Spent"]) for a in ads) / len(ads))
        for i, ad in enumerate(ads):
            day = LAST - timedelta(days=len(ads) - 1 - i)
            rows.append([name, "facebook", "active", f"{budget}.00", day.isoformat(), f"{float(ad['Spent']):.2f}",
                         ad["Impressions"], ad["Clicks"], ad["Total_Conversion"],
                         f"{int(ad['Approved_Conversion']) * VALUE_PER_SALE}.00"])
    return rows


def olist(folder):
    with open(f"{folder}/olist_closed_deals_dataset.csv") as f:
        closed = {row["mql_id"] for row in csv.DictReader(f)}
    leads = defaultdict(lambda: [0, 0])
    origins = defaultdict(int)
    with open(f"{folder}/olist_marketing_qualified_leads_dataset.csv") as f:
        for row in csv.DictReader(f):
            origins[row["origin"]] += 1
            if row["first_contact_date"] >= "2018-01-01":
                day = leads[(row["origin"], row["first_contact_date"])]
                day[0] += 1
                day[1] += row["mql_id"] in closed
    top = [o for o, _ in sorted(origins.items(), key=lambda kv: -kv[1]) if o not in ("", "unknown")][:4]
    rows = []
    for (origin, day), (mqls, won) in sorted(leads.items()):
        if origin in top:
            rows.append([f"Olist leads: {origin.replace('_', ' ')}", origin, "paused", "0.00", day, "0.00", 0, mqls, won,
                         "0.00"])
    return rows


def main():
    rows = facebook(sys.argv[1]) + olist(sys.argv[2])
    out = csv.writer(open("campaigns.csv", "w", newline=""), lineterminator="\n")
    out.writerow(["campaign", "channel", "status", "budget", "date", "spend", "impressions", "clicks", "conversions",
                  "revenue"])
    out.writerows(rows)


if __name__ == "__main__":
    main()
