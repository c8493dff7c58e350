"""Two runs of bench/run.py side by side (script/bench --db both): each load's throughput on
SQLite and on PostgreSQL, and PostgreSQL's share of SQLite's (issue 22's target: at least 0.5
for loads a, b and c).

    python3 bench/compare.py bench/results/<date>-pair-sqlite.json bench/results/<date>-pair-postgres.json
"""
import json
import sys


def rows(path):
    with open(path) as f:
        run = json.load(f)
    return run, {(r["load"], r["label"]): r for r in run["results"]}


def main(sqlite_path, postgres_path):
    sqlite, on_sqlite = rows(sqlite_path)
    postgres, on_postgres = rows(postgres_path)
    if sqlite["database"] != "sqlite" or postgres["database"] != "postgres":
        raise SystemExit("compare: give the SQLite run first, then the PostgreSQL run")
    print(f"\n{'load':<4} {'what':<44} {'SQLite':>12} {'PostgreSQL':>12} {'unit':<8} {'PG/SQLite':>9}")
    for key, lite in on_sqlite.items():
        pg = on_postgres.get(key)
        if not pg:
            continue
        ratio = pg["throughput"] / lite["throughput"] if lite["throughput"] else 0
        print(f"{key[0]:<4} {key[1]:<44} {lite['throughput']:>12,.0f} {pg['throughput']:>12,.0f} {lite['unit']:<8} "
              f"{ratio:>9.2f}")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    main(*sys.argv[1:])
