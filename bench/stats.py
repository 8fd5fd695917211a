"""Benchmark: the bureau's complete weekly statistics over a large generated ledger, on SQLite and PostgreSQL.

Generates consultations with a realistic spread (counties → towns → villages, A/B-post advisers, skewed
categories, every route, escalations, ratings, alerts, legal aid, on-site records) over many weeks by
bulk inserts into a schema made by the real migrations, then times ``build_stats`` (every breakdown of
issue 5) for a week, a month and a quarter, for the whole data set, one county and one town.
Prints figures; asserts nothing.

    .venv/bin/python bench/stats.py                                  # 1,000,000 rows on SQLite
    LEGALBOT_BENCH_PG_URL=postgresql+psycopg://postgres@127.0.0.1/bench .venv/bin/python bench/stats.py
    LEGALBOT_BENCH_PG_URL=… .venv/bin/python bench/stats.py --rows 10000000 --skip-sqlite   # a province
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, func, select, text  # noqa: E402
from sqlalchemy.exc import OperationalError, ProgrammingError  # noqa: E402

from bot.clock import SHANGHAI  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.ledger.tables import Consultation, Town  # noqa: E402
from bot.migrate import upgrade  # noqa: E402
from bot.stats.dashboard import weekly_trend  # noqa: E402
from bot.stats.periods import month_of, parse_week, quarter_of  # noqa: E402
from bot.stats.report import build_stats  # noqa: E402
from bot.stats.scope import Scope  # noqa: E402

LAST_WEEK = "2026-W47"  # the generated ledger ends with this ISO week (Asia/Shanghai)
CATEGORIES = [
    "land",
    "marriage_family",
    "labor",
    "debt_contract",
    "traffic",
    "tort_neighbor",
    "social_security",
    "criminal",
    "administrative",
    "other",
    None,
]
CATEGORY_WEIGHTS = [22, 20, 14, 12, 6, 12, 5, 2, 3, 3, 1]
TOWNS_PER_COUNTY, VILLAGES_PER_TOWN = 20, 15
COLUMNS = (
    "village_id",
    "villager_id",
    "adviser_id",
    "answered_by_id",
    "channel",
    "category",
    "route",
    "status",
    "question",
    "alert_kind",
    "created_at",
    "forwarded_at",
    "answered_at",
    "updated_at",
    "deadline_at",
    "escalation_level",
    "legal_aid_group",
    "rating",
    "reopened_count",
    "alert_acked_at",
    "answered_offline",
    "faq_candidate",
)


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def roster(conn, counties: int) -> list[tuple[int, int, int]]:
    """Towns, advisers (each the A post of two villages, B post of two others) and villages; returns
    (village id, A-post id, B-post id)."""
    villages = []
    adviser_id = village_id = town_id = 0
    per_county = TOWNS_PER_COUNTY * VILLAGES_PER_TOWN
    for county in range(counties):
        advisers = list(range(adviser_id + 1, adviser_id + per_county // 2 + 1))
        adviser_id += len(advisers)
        conn.execute(
            text("INSERT INTO advisers (id, name, phone) VALUES (:id, :name, :phone)"),
            [{"id": a, "name": f"顾问{a}", "phone": f"139{a:08d}"} for a in advisers],
        )
        for _town in range(TOWNS_PER_COUNTY):
            town_id += 1
            conn.execute(
                text("INSERT INTO towns (id, county, name) VALUES (:id, :county, :name)"),
                {"id": town_id, "county": f"县{county + 1:03d}", "name": f"镇{town_id:04d}"},
            )
            rows = []
            for _v in range(VILLAGES_PER_TOWN):
                village_id += 1
                local = village_id - county * per_county - 1
                a, b = advisers[local // 2], advisers[(local // 2 + 7) % len(advisers)]
                rows.append(
                    {
                        "id": village_id,
                        "code": f"{village_id:09d}",
                        "name": f"村{village_id}",
                        "town_id": town_id,
                        "a": a,
                        "b": b,
                    }
                )
                villages.append((village_id, a, b))
            conn.execute(
                text(
                    "INSERT INTO villages (id, code, name, town_id, adviser_a_id, adviser_b_id) "
                    "VALUES (:id, :code, :name, :town_id, :a, :b)"
                ),
                rows,
            )
    return villages


def consultations(rng: random.Random, villages, count: int, weeks: int, villagers: int):
    """Yield rows (tuples in COLUMNS order) with aware UTC times, spread over ``weeks`` weeks."""
    end = parse_week(LAST_WEEK).end.astimezone(dt.UTC)
    span = weeks * 7 * 86400
    # Village popularity is skewed: a few villages ask much more than others.
    weights = [rng.paretovariate(1.5) for _ in villages]
    picks = rng.choices(range(len(villages)), weights=weights, k=count)
    # A ledger is appended in time order, so rows are generated oldest first (recent weeks a little busier).
    ages = sorted((span * rng.random() ** 1.1 for _ in range(count)), reverse=True)
    for n in range(count):
        village_id, a_post, b_post = villages[picks[n]]
        created = end - dt.timedelta(seconds=ages[n])
        category = rng.choices(CATEGORIES, CATEGORY_WEIGHTS)[0]
        roll = rng.random()
        adviser, answered_by, forwarded, answered, deadline, level = a_post, None, None, None, None, 0
        status, route, rating, reopened, alert, acked, aid = "bot_answered", "bot", None, 0, None, None, None
        if roll < 0.42:
            answered = created
        else:
            route = "adviser"
            forwarded = created + dt.timedelta(seconds=rng.randint(0, 900))
            deadline = forwarded + dt.timedelta(hours=4)
            if rng.random() < 0.12:
                level, adviser, deadline = rng.choice((1, 1, 2)), b_post, forwarded + dt.timedelta(hours=8)
            if rng.random() < 0.03:
                alert = rng.choice(("self_harm", "violence", "petition"))
                if rng.random() < 0.9:
                    acked = created + dt.timedelta(minutes=rng.randint(1, 180))
            if rng.random() < 0.06:
                aid = rng.choice(("elderly", "migrant_wage", "disabled", "minor", "domestic_violence"))
            if roll < 0.95 or created < end - dt.timedelta(days=14):
                status, answered_by = "adviser_answered", adviser
                answered = forwarded + dt.timedelta(minutes=rng.lognormvariate(4.6, 1.0))
                if rng.random() < 0.5:
                    rating = rng.choices((1, 2, 3), (70, 22, 8))[0]
                reopened = 1 if rng.random() < 0.04 else 0
            else:
                status = "alert" if alert else "waiting_adviser"
        yield (
            village_id,
            1 + n % villagers,
            adviser,
            answered_by,
            "official",
            category,
            route,
            status,
            "问题",
            alert,
            created,
            forwarded,
            answered,
            answered or created,
            deadline,
            level,
            aid,
            rating,
            reopened,
            acked,
            False,
            False,
        )


def load_sqlite(engine, villages, args, rng) -> None:
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.execute("PRAGMA synchronous=OFF")
        cur.execute("BEGIN")
        cur.executemany(
            "INSERT INTO villagers (id, openid, pseudonym, village_id, subscribed, created_at) "
            "VALUES (?, ?, ?, ?, 1, '2025-01-01 00:00:00.000000')",
            ((i, f"o{i}", f"V{i}", villages[i % len(villages)][0]) for i in range(1, args.villagers + 1)),
        )
        placeholders = ", ".join("?" * len(COLUMNS))
        sql = f"INSERT INTO consultations ({', '.join(COLUMNS)}) VALUES ({placeholders})"

        def as_text(row):
            return tuple(
                v.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f") if isinstance(v, dt.datetime) else v for v in row
            )

        batch, done = [], 0
        for row in consultations(rng, villages, args.rows, args.weeks, args.villagers):
            batch.append(as_text(row))
            if len(batch) == 100_000:
                cur.executemany(sql, batch)
                done += len(batch)
                batch = []
                progress(f"  sqlite: {done:,} / {args.rows:,}")
        cur.executemany(sql, batch)
        cur.executemany(
            "INSERT INTO duty_records (adviser_id, village_id, kind, started_at, ended_at, created_at) "
            "VALUES (?, ?, 'onsite', ?, ?, ?)",
            duty_rows(rng, villages, as_text),
        )
        cur.execute("COMMIT")
        cur.execute("ANALYZE")
    finally:
        raw.close()


def load_postgres(engine, villages, args, rng) -> None:
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        with cur.copy("COPY villagers (id, openid, pseudonym, village_id, subscribed, created_at) FROM STDIN") as cp:
            for i in range(1, args.villagers + 1):
                cp.write_row(
                    (i, f"o{i}", f"V{i}", villages[i % len(villages)][0], True, dt.datetime(2025, 1, 1, tzinfo=dt.UTC))
                )
        done = 0
        with cur.copy(f"COPY consultations ({', '.join(COLUMNS)}) FROM STDIN") as cp:
            for row in consultations(rng, villages, args.rows, args.weeks, args.villagers):
                cp.write_row(row)
                done += 1
                if done % 500_000 == 0:
                    progress(f"  postgresql: {done:,} / {args.rows:,}")
        with cur.copy(
            "COPY duty_records (adviser_id, village_id, kind, started_at, ended_at, created_at) FROM STDIN"
        ) as cp:
            for adviser, village, started, ended, created in duty_rows(rng, villages, lambda r: r):
                cp.write_row((adviser, village, "onsite", started, ended, created))
        raw.commit()
        raw.driver_connection.autocommit = True  # VACUUM cannot run in a transaction
        cur.execute("VACUUM ANALYZE")
    finally:
        raw.close()


def duty_rows(rng, villages, convert):
    """A few on-site visits per A post per village per month over the last three months."""
    first = month_of(parse_week(LAST_WEEK).first_day).previous().previous()
    for village_id, a_post, _b in villages:
        month = first
        for _ in range(3):
            for _visit in range(rng.randint(0, 4)):
                start = month.start + dt.timedelta(days=rng.randint(0, 26), hours=rng.randint(8, 15))
                yield convert((a_post, village_id, start, start + dt.timedelta(hours=rng.choice((2, 3, 4))), start))
            month = month.next()


def timed(fn, repeat: int) -> tuple[float, float, float]:
    """Median and best wall time, and median CPU time of this process (SQLite runs in-process; with
    PostgreSQL it is only the client's share). Other work on the machine inflates wall times."""
    fn()  # warm the caches once, as a running server would have them
    walls, cpus = [], []
    for _ in range(repeat):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        walls.append((time.perf_counter() - t0) * 1000)
        cpus.append((time.process_time() - c0) * 1000)
    return statistics.median(walls), min(walls), statistics.median(cpus)


def report(label: str, figures: tuple[float, float, float]) -> None:
    median, best, cpu = figures
    print(f"  {label:<44} median {median:8.1f} ms   best {best:8.1f} ms   cpu {cpu:8.1f} ms")


def measure(name: str, url: str, args) -> None:
    settings = Settings.from_env(
        {"LEGALBOT_DATABASE_URL": url, "LEGALBOT_SECRET_KEY": "bench", "LEGALBOT_INSTANCE_DIR": tempfile.gettempdir()}
    )
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.scalar(select(func.count()).select_from(Consultation))
            county = conn.scalar(select(Town.county).order_by(Town.id).limit(1))
            town = conn.execute(select(Town.id, Town.name).order_by(Town.id).limit(1)).one()
        week = parse_week(LAST_WEEK)
        now = week.end.astimezone(dt.UTC) + dt.timedelta(hours=8)
        with engine.connect() as conn:
            in_week = conn.scalar(
                select(func.count())
                .select_from(Consultation)
                .where(Consultation.created_at >= week.start, Consultation.created_at < week.end)
            )
        load = os.getloadavg()[0]
        print(f"\n{name}: {rows:,} consultations; {in_week:,} in {LAST_WEEK} (all counties); load average {load:.1f}")
        cases = [
            ("week, everything", week, Scope()),
            ("week, one county", week, Scope(county)),
            ("week, one town", week, Scope(county, town.id, town.name)),
            ("month, one county", month_of(week.last_day), Scope(county)),
            ("quarter, one county", quarter_of(week.last_day), Scope(county)),
        ]
        from sqlalchemy.orm import Session

        for label, period, scope in cases:

            def run(period=period, scope=scope):
                with Session(engine) as session:
                    build_stats(session, period, scope, settings, now)

            report(f"complete statistics, {label}", timed(run, args.repeat))

        def trend():
            with Session(engine) as session:
                weekly_trend(session, week, Scope(county))

        report("dashboard: 12-week trend, one county", timed(trend, args.repeat))

        def dashboard_stats():
            with Session(engine) as session:
                build_stats(session, week, Scope(county), settings, now, histogram=True)

        report("dashboard: statistics + histogram, one county", timed(dashboard_stats, args.repeat))
        c = Consultation

        def one_group_by():
            with engine.connect() as conn:
                conn.execute(
                    select(c.category, c.village_id, c.adviser_id, func.count())
                    .where(c.created_at >= week.start, c.created_at < week.end)
                    .group_by(c.category, c.village_id, c.adviser_id)
                ).all()

        report("reference: one GROUP BY cat×village×adviser", timed(one_group_by, args.repeat))
    finally:
        engine.dispose()


def prepare(name: str, url: str, args) -> None:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            existing = conn.scalar(text("SELECT count(*) FROM consultations")) if args.reuse else None
    except (OperationalError, ProgrammingError):  # no schema yet: built below
        existing = None
    if existing == args.rows:
        progress(f"{name}: reusing {existing:,} generated rows")
        engine.dispose()
        return
    if url.startswith("postgresql"):
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    progress(f"{name}: migrating and generating {args.rows:,} consultations over {args.weeks} weeks …")
    upgrade(url)
    engine = create_engine(url)
    rng = random.Random(args.seed)
    counties = args.counties or max(1, round(args.rows / 1_000_000))
    t0 = time.perf_counter()
    with engine.begin() as conn:
        villages = roster(conn, counties)
    (load_postgres if url.startswith("postgresql") else load_sqlite)(engine, villages, args, rng)
    engine.dispose()
    progress(
        f"{name}: loaded {args.rows:,} rows for {counties} counties, {len(villages)} villages "
        f"in {time.perf_counter() - t0:.0f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--weeks", type=int, default=104, help="weeks of history (default two years)")
    parser.add_argument("--counties", type=int, default=0, help="default: one per million rows")
    parser.add_argument("--villagers", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--sqlite", type=Path, default=Path(tempfile.gettempdir()) / "legalbot-bench-stats.db")
    parser.add_argument("--skip-sqlite", action="store_true")
    parser.add_argument("--reuse", action="store_true", help="keep already generated data of the same size")
    args = parser.parse_args()
    targets = []
    if not args.skip_sqlite:
        if not args.reuse and args.sqlite.exists():
            args.sqlite.unlink()
        targets.append(("SQLite", f"sqlite:///{args.sqlite}"))
    pg = os.environ.get("LEGALBOT_BENCH_PG_URL", "")
    if pg:
        targets.append(("PostgreSQL", pg.replace("postgresql://", "postgresql+psycopg://", 1)))
    elif args.skip_sqlite:
        parser.error("--skip-sqlite needs LEGALBOT_BENCH_PG_URL")
    print(
        f"bench/stats.py: {args.rows:,} rows, {args.weeks} weeks ending {LAST_WEEK}, repeat {args.repeat}, "
        f"local time {dt.datetime.now(SHANGHAI):%Y-%m-%d %H:%M}"
    )
    for name, url in targets:
        prepare(name, url, args)
        measure(name, url, args)


if __name__ == "__main__":
    main()
