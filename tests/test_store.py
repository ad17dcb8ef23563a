"""Tests of the store: schema and migrations, the typed write/read API, transactions, and crash safety."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import i18n
from delivery.render import render_alert
from i18n import N_
from store import (
    LATEST_VERSION,
    AlertRecord,
    ConstraintError,
    ForeignDatabaseError,
    HotTermRecord,
    InvalidRecordError,
    NotADatabaseError,
    NotFoundError,
    PriceObservation,
    ProductConflictError,
    ProductRecord,
    ReviewRecord,
    ReviewThemeRecord,
    RunStateError,
    SchemaTooNewError,
    SearchHit,
    Store,
    StoreBusyError,
    StoreError,
    StoredMessageError,
    UserRecord,
    open_store,
)
from store.db import open_database
from store.migrations import MIGRATIONS, migrate

REPO_ROOT = Path(__file__).resolve().parents[1]
CRASH_WRITER = Path(__file__).with_name("store_crash_writer.py")
T0 = datetime(2025, 6, 1, 8, 0, tzinfo=timezone.utc)
ALL_TABLES = {
    "schema_migrations",
    "crawl_runs",
    "products",
    "price_observations",
    "reviews",
    "hot_term_snapshots",
    "search_results",
    "alerts",
    "review_themes",
    "insights",
    "deliveries",
    "job_runs",
    "monitor_watermarks",
    "users",
    "alert_events",
}


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "var" / "shop.db"


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    with open_store(db_path) as opened:
        yield opened


def raw(path: Path) -> sqlite3.Connection:
    """A plain sqlite3 connection, to check the file independently of the store's own code."""
    return sqlite3.connect(path, isolation_level=None)


def chair(item_id: str = "1001", **fields: Any) -> ProductRecord:
    return ProductRecord(platform="shangcheng", item_id=item_id, url=f"https://shop.test/item/{item_id}", **fields)


def count(path: Path, table: str) -> int:
    with raw(path) as conn:
        return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


# --- opening and migrating -------------------------------------------------------------------------------


def test_fresh_database_is_created_with_latest_schema_in_wal_mode(store: Store, db_path: Path) -> None:
    assert db_path.is_file()
    assert store.schema_version == LATEST_VERSION == 14
    with raw(db_path) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        versions = [row[0] for row in conn.execute("SELECT version FROM schema_migrations ORDER BY version")]
        journal_mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    assert tables == ALL_TABLES
    assert versions == list(range(1, LATEST_VERSION + 1))
    assert journal_mode == "wal"


def test_foreign_keys_are_enforced(store: Store) -> None:
    with pytest.raises(ConstraintError, match="FOREIGN KEY"):
        store.add_search_results("shangcheng", "露营椅", [SearchHit(rank=1, product_id=999)])
    assert store.search_results("shangcheng", "露营椅") == []


def test_migrating_a_version_1_database_keeps_its_data(db_path: Path) -> None:
    db = open_database(db_path)
    assert migrate(db, db_path, target=1) == 1
    db.table("products").insert(
        {
            "platform": "laodian",
            "item_id": "77",
            "url": "https://old.test/77",
            "title": "户外折叠椅",
            "own": 1,
            "first_seen": "2025-01-01T00:00:00.000000+00:00",
            "last_seen": "2025-01-02T00:00:00.000000+00:00",
        }
    )
    db.close()

    with open_store(db_path) as store:
        assert store.schema_version == LATEST_VERSION
        (product,) = store.products()
        assert (product.title, product.own, product.last_seen) == ("户外折叠椅", True, T0.replace(2025, 1, 2, 0))
        store.add_price_observation(product.id, PriceObservation(price=88.0, observed_at=T0))
        assert [row.price for row in store.price_history(product.id)] == [88.0]
    with raw(db_path) as conn:
        names = [row[0] for row in conn.execute("SELECT name FROM schema_migrations ORDER BY version")]
    assert names == [migration.name for migration in MIGRATIONS]


def test_reads_ignore_columns_a_later_migration_adds(store: Store, db_path: Path) -> None:
    product_id = store.upsert_product(chair())
    store.add_reviews(product_id, [ReviewRecord(text="漏电", review_id="r1")])
    with raw(db_path) as conn:
        conn.execute("ALTER TABLE reviews ADD COLUMN sentiment REAL")
        conn.execute("ALTER TABLE products ADD COLUMN brand TEXT")
        conn.execute("UPDATE reviews SET sentiment = 0.1")
    assert [r.text for r in store.reviews_for(product_id)] == ["漏电"]
    assert store.get_product(product_id).item_id == "1001"


def test_newer_schema_version_is_refused_naming_file_and_versions(db_path: Path) -> None:
    open_store(db_path).close()
    with raw(db_path) as conn:
        conn.execute("INSERT INTO schema_migrations VALUES (42, 'from the future', '2030-01-01T00:00:00+00:00')")
    with pytest.raises(SchemaTooNewError) as refused:
        open_store(db_path)
    message = str(refused.value)
    assert str(db_path) in message
    assert "version 42" in message and f"latest {LATEST_VERSION}" in message


def test_a_file_that_is_not_sqlite_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("products: chairs, tables\n" * 10, encoding="utf-8")
    with pytest.raises(NotADatabaseError, match="not a SQLite database") as refused:
        open_store(path)
    assert str(path) in str(refused.value)
    assert path.read_text(encoding="utf-8") == "products: chairs, tables\n" * 10


def test_another_applications_sqlite_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    with raw(path) as conn:
        conn.execute("CREATE TABLE notes (body TEXT)")
    with pytest.raises(ForeignDatabaseError, match="notes") as refused:
        open_store(path)
    assert str(path) in str(refused.value)
    with raw(path) as conn:
        assert [row[0] for row in conn.execute("SELECT name FROM sqlite_master")] == ["notes"]


# --- products and search results ---------------------------------------------------------------------------


def test_product_upsert_is_idempotent_by_url(store: Store, db_path: Path) -> None:
    first = store.upsert_product(ProductRecord(platform="kuaigou", url="https://k.test/p/5", title="折叠椅"))
    again = store.upsert_product(ProductRecord(platform="kuaigou", url="https://k.test/p/5", title="折叠椅"))
    with_id = store.upsert_product(ProductRecord(platform="kuaigou", url="https://k.test/p/5", item_id="5"))
    assert first == again == with_id
    assert count(db_path, "products") == 1
    product = store.get_product(first)
    assert (product.item_id, product.title) == ("5", "折叠椅")


def test_product_upsert_is_idempotent_by_platform_and_item_id(store: Store, db_path: Path) -> None:
    first = store.upsert_product(chair(own=True, cost=40, band_min=55, band_max=80, seen_at=T0))
    moved = store.upsert_product(
        ProductRecord(platform="shangcheng", item_id="1001", url="https://shop.test/new-url", seen_at=T0 + timedelta(1))
    )
    assert moved == first
    assert count(db_path, "products") == 1
    product = store.get_product(first)
    assert product.url == "https://shop.test/new-url"
    assert (product.own, product.cost, product.band_min, product.band_max) == (True, 40.0, 55.0, 80.0)
    assert (product.first_seen, product.last_seen) == (T0, T0 + timedelta(1))
    other_platform = store.upsert_product(ProductRecord(platform="laodian", item_id="1001", url="https://l.test/1001"))
    assert other_platform != first


def test_product_matching_two_stored_products_is_a_conflict(store: Store) -> None:
    store.upsert_product(chair("1"))
    store.upsert_product(ProductRecord(platform="shangcheng", url="https://shop.test/other"))
    with pytest.raises(ProductConflictError, match="belongs to product 2"):
        store.upsert_product(ProductRecord(platform="shangcheng", item_id="1", url="https://shop.test/other"))
    assert [p.url for p in store.products()] == ["https://shop.test/item/1", "https://shop.test/other"]


def test_search_results_keep_each_page_and_return_the_latest(store: Store) -> None:
    a, b = store.upsert_product(chair("1")), store.upsert_product(chair("2"))
    run_id = store.begin_run("search", platform="shangcheng")
    store.add_search_results("shangcheng", "露营椅", [SearchHit(rank=1, product_id=a)], observed_at=T0)
    stored = store.add_search_results(
        "shangcheng",
        "露营椅",
        [SearchHit(rank=1, product_id=b), SearchHit(rank=2, product_id=a)],
        run_id=run_id,
        observed_at=T0 + timedelta(hours=1),
    )
    assert stored == 2
    assert [(hit.rank, hit.product_id) for hit in store.search_results("shangcheng", "露营椅")] == [(1, b), (2, a)]
    assert len(store.search_results("shangcheng", "露营椅", run_id=run_id)) == 2
    with pytest.raises(ConstraintError, match="UNIQUE"):
        store.add_search_results(
            "shangcheng", "折叠椅", [SearchHit(rank=1, product_id=a), SearchHit(rank=1, product_id=b)]
        )
    assert store.search_results("shangcheng", "折叠椅") == []


# --- prices --------------------------------------------------------------------------------------------


def test_price_observation_requires_a_price_and_never_stores_zero(store: Store, db_path: Path) -> None:
    product_id = store.upsert_product(chair())
    with pytest.raises(InvalidRecordError, match="price is None"):
        PriceObservation(price=None)  # type: ignore[arg-type]
    with pytest.raises(InvalidRecordError, match=">= 0"):
        PriceObservation(price=-1)
    unchecked = PriceObservation(price=1.0)
    object.__setattr__(unchecked, "price", None)  # as if validation were bypassed: the schema still refuses
    with pytest.raises(ConstraintError, match="NOT NULL"):
        store.add_price_observation(product_id, unchecked)
    assert count(db_path, "price_observations") == 0


def test_price_history_and_latest_prices(store: Store) -> None:
    a, b = store.upsert_product(chair("1")), store.upsert_product(chair("2"))
    for hours, price in ((2, 59.9), (0, 69.9), (1, Decimal("64.50"))):
        store.add_price_observation(a, PriceObservation(price=price, observed_at=T0 + timedelta(hours=hours)))
    store.add_price_observation(
        b, PriceObservation(price=30, stock=0, availability="OutOfStock", rule="jsonld", observed_at=T0)
    )
    assert [row.price for row in store.price_history(a)] == [69.9, 64.5, 59.9]
    assert [row.price for row in store.price_history(a, since=T0 + timedelta(hours=1))] == [64.5, 59.9]
    latest = store.latest_prices()
    assert {pid: row.price for pid, row in latest.items()} == {a: 59.9, b: 30.0}
    assert (latest[b].availability, latest[b].stock, latest[b].rule) == ("OutOfStock", 0, "jsonld")
    assert list(store.latest_prices([b])) == [b]
    with pytest.raises(NotFoundError, match="no product with id 999"):
        store.add_price_observation(999, PriceObservation(price=1))


def test_naive_timestamps_are_refused(store: Store) -> None:
    with pytest.raises(InvalidRecordError, match="timezone-aware"):
        PriceObservation(price=1, observed_at=datetime(2025, 1, 1))


# --- reviews -------------------------------------------------------------------------------------------


def test_reviews_dedup_by_platform_review_id(store: Store, db_path: Path) -> None:
    product_id = store.upsert_product(chair())
    first = [ReviewRecord(text="漏电，不敢用", review_id="r1", rating=1), ReviewRecord(text="很好", review_id="r2")]
    assert store.add_reviews(product_id, first) == 2
    edited = ReviewRecord(text="漏电，不敢用！追评：换货后好了", review_id="r1", rating=3)
    assert store.add_reviews(product_id, [edited, ReviewRecord(text="一般", review_id="r3")]) == 1
    assert count(db_path, "reviews") == 3
    stored = store.reviews_for(product_id)
    assert [(r.review_key, r.text) for r in stored] == [
        ("shangcheng:r1", "漏电，不敢用"),
        ("shangcheng:r2", "很好"),
        ("shangcheng:r3", "一般"),
    ]


def test_a_follow_up_review_is_stored_with_the_review_or_when_it_first_appears(store: Store) -> None:
    product_id = store.upsert_product(chair())
    first = store.begin_run("reviews")
    store.add_reviews(product_id, [ReviewRecord(text="很好用", review_id="r1", rating=5),
                                   ReviewRecord(text="不错", review_id="r2", rating=5, append="用了一个月还很好")],
                      run_id=first, crawled_at=T0)
    store.set_sentiments([(r.id, 0.9) for r in store.reviews_for(product_id)], "m1")
    later = store.begin_run("reviews")
    store.add_reviews(product_id, [ReviewRecord(text="很好用", review_id="r1", rating=5, append="一个月就坏了"),
                                   ReviewRecord(text="不错", review_id="r2", rating=5, append="改写的追评")],
                      run_id=later, crawled_at=T0 + timedelta(days=30))
    r1, r2 = store.reviews_for(product_id)
    assert (r1.append, r1.append_run_id, r1.append_crawled_at) == ("一个月就坏了", later, T0 + timedelta(days=30))
    assert (r2.append, r2.append_run_id, r2.append_crawled_at) == ("用了一个月还很好", first, T0), "written once"
    assert [review_id for review_id, _ in store.reviews_needing_sentiment("m1")] == [r1.id], \
        "a new follow-up is analysed again"
    store.set_append_sentiments([(r1.id, 0.05)])
    assert store.review_appends([r1.id, r2.id]) == {r1.id: "一个月就坏了", r2.id: "用了一个月还很好"}
    [judged] = store.reviews_judged_negative([product_id], max_stars=2, max_score=0.4)
    assert (judged.id, judged.append_sentiment_score) == (r1.id, 0.05)


def test_reviews_without_id_dedup_by_content_hash(store: Store, db_path: Path) -> None:
    a, b = store.upsert_product(chair("1")), store.upsert_product(chair("2"))
    review = ReviewRecord(text="噪音 很大", posted_at=date(2025, 5, 1))
    assert store.add_reviews(a, [review, review]) == 1
    same_after_normalising = ReviewRecord(text="  噪音\u3000很大 ", posted_at=date(2025, 5, 1))
    assert store.add_reviews(a, [same_after_normalising]) == 0
    assert store.add_reviews(a, [replace(review, posted_at=date(2025, 5, 2))]) == 1
    assert store.add_reviews(b, [review]) == 1
    assert count(db_path, "reviews") == 3
    (stored,) = store.reviews_for(b)
    assert stored.review_key.startswith("sha1:") and stored.posted_at == date(2025, 5, 1)


# --- hot terms -----------------------------------------------------------------------------------------


def test_hot_term_snapshots_round_trip(store: Store) -> None:
    terms = [HotTermRecord(rank=1, term="露营椅", heat=9800, rising=True), HotTermRecord(rank=2, term="天幕")]
    assert store.add_hot_terms("shangcheng", terms, observed_at=T0) == 2
    store.add_hot_terms("shangcheng", [HotTermRecord(rank=1, term="天幕")], observed_at=T0 + timedelta(days=1))
    store.add_hot_terms("laodian", [HotTermRecord(rank=1, term="钓鱼椅")], observed_at=T0)
    rows = store.hot_term_snapshots("shangcheng")
    assert [(r.observed_at, r.rank, r.term, r.heat, r.rising) for r in rows] == [
        (T0, 1, "露营椅", 9800.0, True),
        (T0, 2, "天幕", None, None),
        (T0 + timedelta(days=1), 1, "天幕", None, None),
    ]
    assert len(store.hot_term_snapshots("shangcheng", since=T0 + timedelta(hours=1))) == 1
    with pytest.raises(InvalidRecordError, match="rank"):
        HotTermRecord(rank=0, term="x")


# --- crawl runs ----------------------------------------------------------------------------------------


def test_run_lifecycle(store: Store) -> None:
    run_id = store.begin_run("product", platform="kuaigou")
    running = store.get_run(run_id)
    assert (running.status, running.pid, running.ended_at, running.stats) == ("running", os.getpid(), None, {})
    store.finish_run(run_id, "ok", stats={"items": 12, "incomplete_pages": 1}, errors=["timeout on p3"])
    finished = store.get_run(run_id)
    assert (finished.status, finished.stats, finished.errors) == (
        "ok",
        {"items": 12, "incomplete_pages": 1},
        ["timeout on p3"],
    )
    assert finished.ended_at is not None and finished.ended_at >= finished.started_at
    with pytest.raises(RunStateError, match="already 'ok'"):
        store.finish_run(run_id, "failed")
    with pytest.raises(InvalidRecordError, match="cannot finish as 'running'"):
        store.finish_run(store.begin_run("search"), "running")
    assert [run.kind for run in store.runs()] == ["search", "product"]
    assert [run.id for run in store.runs(status="ok")] == [run_id]


def test_recovery_marks_only_runs_of_dead_processes_interrupted(store: Store, db_path: Path) -> None:
    alive = store.begin_run("hot_terms")
    dead = store.begin_run("reviews")
    finished_child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True)
    dead_pid = int(finished_child.stdout)
    with raw(db_path) as conn:
        conn.execute("UPDATE crawl_runs SET pid = ? WHERE id = ?", (dead_pid, dead))
    assert store.recover_interrupted_runs() == [dead]
    assert store.recover_interrupted_runs() == []
    assert store.get_run(alive).status == "running"
    recovered = store.get_run(dead)
    assert recovered.status == "interrupted"
    assert recovered.errors == [recovered.errors[0]] and f"process {dead_pid}" in recovered.errors[0]


def test_a_run_of_a_zombie_process_is_recovered(store: Store, db_path: Path) -> None:
    """An ended process nobody has reaped yet (a crawl orphaned in a container whose init does not reap) still
    answers signal 0, but it can never close its run."""
    zombie = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        deadline = time.monotonic() + 10
        while open(f"/proc/{zombie.pid}/stat", "rb").read().rsplit(b")", 1)[1].split()[0] != b"Z":
            assert time.monotonic() < deadline, "the child did not end"
            time.sleep(0.05)
        run = store.begin_run("reviews")
        with raw(db_path) as conn:
            conn.execute("UPDATE crawl_runs SET pid = ? WHERE id = ?", (zombie.pid, run))
        assert store.recover_interrupted_runs() == [run]
    finally:
        zombie.wait()


# --- transactions and concurrency --------------------------------------------------------------------------


def test_failed_transaction_rolls_back_everything_inside_it(store: Store, db_path: Path) -> None:
    with pytest.raises(RuntimeError, match="spider crashed"):
        with store.transaction():
            product_id = store.upsert_product(chair())
            store.add_price_observation(product_id, PriceObservation(price=10))
            store.add_reviews(product_id, [ReviewRecord(text="好", review_id="1")])
            raise RuntimeError("spider crashed")
    assert [count(db_path, t) for t in ("products", "price_observations", "reviews")] == [0, 0, 0]


def test_nested_transactions_are_savepoints(store: Store, db_path: Path) -> None:
    with store.transaction():
        kept = store.upsert_product(chair("1"))
        with pytest.raises(ConstraintError):
            with store.transaction():
                store.upsert_product(chair("2"))
                store.add_hot_terms("shangcheng", [HotTermRecord(rank=1, term="a"), HotTermRecord(rank=1, term="b")])
        store.add_price_observation(kept, PriceObservation(price=12))
    assert [p.item_id for p in store.products()] == ["1"]
    assert count(db_path, "price_observations") == 1
    assert count(db_path, "hot_term_snapshots") == 0

    with pytest.raises(ConstraintError):
        with store.transaction():
            store.upsert_product(chair("3"))
            with store.transaction():
                store.add_search_results("shangcheng", "椅", [SearchHit(rank=1, product_id=12345)])
    assert [p.item_id for p in store.products()] == ["1"]


def test_savepoints_nest_three_deep_and_each_rollback_undoes_only_its_own_block(store: Store) -> None:
    with store.transaction():
        store.upsert_product(chair("1"))
        with store.transaction():
            store.upsert_product(chair("2"))
            with pytest.raises(RuntimeError):
                with store.transaction():
                    store.upsert_product(chair("3"))
                    raise RuntimeError("refused")
            store.upsert_product(chair("4"))
        with pytest.raises(RuntimeError):
            with store.transaction():
                store.upsert_product(chair("5"))
                with store.transaction():
                    store.upsert_product(chair("6"))
                raise RuntimeError("refused after an inner block was released")
    assert [p.item_id for p in store.products()] == ["1", "2", "4"]


def test_reader_sees_committed_data_while_a_writer_holds_a_transaction(store: Store, db_path: Path) -> None:
    store.upsert_product(chair("1"))
    with open_store(db_path, busy_timeout=0.2) as reader:
        with store.transaction():
            store.upsert_product(chair("2"))
            started = time.monotonic()
            assert [p.item_id for p in reader.products()] == ["1"]
            assert time.monotonic() - started < 0.2
        assert [p.item_id for p in reader.products()] == ["1", "2"]


def test_a_second_writer_gets_a_busy_error_naming_the_file(store: Store, db_path: Path) -> None:
    with open_store(db_path, busy_timeout=0.1) as second:
        with store.transaction():
            store.upsert_product(chair("1"))
            with pytest.raises(StoreBusyError, match=f"{db_path}: starting a write transaction"):
                second.upsert_product(chair("2"))
        assert second.upsert_product(chair("2")) == 2



def test_a_database_locked_before_it_is_opened_is_busy_not_broken(tmp_path: Path) -> None:
    """A rollback-journal file (not yet switched to WAL) under another connection's exclusive lock cannot even be
    read: that is the temporary StoreBusyError, not a StoreOpenError as for a file that is broken for good."""
    path = tmp_path / "old.db"
    with raw(path) as holder:
        holder.execute("CREATE TABLE t (x)")
        holder.execute("BEGIN EXCLUSIVE")
        with pytest.raises(StoreBusyError, match=f"{path}: .*database is locked"):
            open_store(path, busy_timeout=0.1)
        holder.execute("ROLLBACK")

# --- alerts --------------------------------------------------------------------------------------------


def test_alert_basics(store: Store) -> None:
    alert = AlertRecord(
        dedup_key="price_band:1001",
        kind="price_band",
        category="pricing",
        severity="critical",
        subject="1",
        title="价格低于成本",
        body="售价 35.0 < 成本 40.0",
        evidence={"price": 35.0, "cost": 40.0},
        suggestion="调回价格带 55–80",
    )
    alert_id = store.add_alert(alert, created_at=T0)
    stored = store.get_alert(alert_id)
    assert (stored.state, stored.evidence, stored.created_at, stored.delivery_attempts) == (
        "new",
        {"price": 35.0, "cost": 40.0},
        T0,
        0,
    )
    store.set_alert_state(alert_id, "sent")
    sent = store.get_alert(alert_id)
    assert sent.state == "sent" and sent.delivered_at is not None and sent.updated_at > T0
    assert [a.id for a in store.alerts(state="sent", dedup_key="price_band:1001")] == [alert_id]
    assert store.alerts(state="new") == []
    with pytest.raises(InvalidRecordError, match="alert state"):
        store.set_alert_state(alert_id, "lost")
    with pytest.raises(NotFoundError, match="no alert with id 99"):
        store.set_alert_state(99, "resolved")
    with pytest.raises(InvalidRecordError, match="severity"):
        replace(alert, severity="urgent")


def test_people_s_changes_and_notes_are_the_alert_s_history_with_who_made_them(store: Store) -> None:
    def alert(key: str, severity: str, subject: str) -> int:
        return store.add_alert(AlertRecord(dedup_key=key, kind="k", category="price", severity=severity,
                                           subject=subject, title=key), created_at=T0)

    info, critical, done = alert("a", "info", "1"), alert("b", "critical", "2"), alert("c", "critical", "1")
    store.resolve_alert(done, by="li")
    store.acknowledge_alert(critical, by="wang")
    note = store.add_alert_note(critical, "  called the supplier  ", by="wang")
    assert note.note == "called the supplier" and note.actor == "wang"
    assert [a.id for a in store.alerts_open_first()] == [info, critical, done]  # unacknowledged first
    store.resolve_alert(critical)
    history = store.alert_history(critical)
    assert [(e.action, e.actor, e.note) for e in history] == [
        ("acknowledged", "wang", None), ("note", "wang", "called the supplier"), ("resolved", None, None)]
    assert [a.id for a in store.alerts_open_first(subject="1", severity="critical")] == [done]
    assert [a.id for a in store.alerts_open_first(kind="k", open_only=True)] == [info]
    assert store.alert_facets() == (["price"], ["1", "2"])
    named = store.upsert_product(ProductRecord(platform="p", url="http://127.0.0.1:1/a", item_id="a", title="椅子"))
    unnamed = store.upsert_product(ProductRecord(platform="p", url="http://127.0.0.1:1/b", item_id="b"))
    assert store.product_names([named, unnamed, 999]) == {named: "椅子", unnamed: "http://127.0.0.1:1/b"}
    with pytest.raises(InvalidRecordError, match="note"):
        store.add_alert_note(info, "   ", by="wang")
    with pytest.raises(NotFoundError):
        store.add_alert_note(99, "note", by="wang")


def test_users_are_added_once_listed_and_removed(store: Store) -> None:
    added = store.add_user(UserRecord(name="wang", role="operator", password_hash="$argon2id$x"))
    assert added.may("viewer") and added.may("operator") and not added.may("admin")
    with pytest.raises(ConstraintError, match="exists already"):
        store.add_user(UserRecord(name="wang", role="viewer", password_hash="$argon2id$y"))
    with pytest.raises(InvalidRecordError, match="role"):
        UserRecord(name="li", role="root", password_hash="h")
    with pytest.raises(InvalidRecordError, match="without spaces"):
        UserRecord(name="li lei", role="viewer", password_hash="h")
    assert [u.name for u in store.users()] == ["wang"]
    assert store.remove_user("wang") and not store.remove_user("wang") and store.user("wang") is None


# --- crash safety --------------------------------------------------------------------------------------


def _start_writer(path: Path, tag: str, pause_at: int | None = None) -> subprocess.Popen[str]:
    args = [sys.executable, str(CRASH_WRITER), str(path), tag] + ([] if pause_at is None else [str(pause_at)])
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def _read_until(writer: subprocess.Popen[str], done: Callable[[list[list[str]]], bool]) -> list[list[str]]:
    """Read the writer's lines, split into words, until `done` says enough."""
    assert writer.stdout is not None and writer.stderr is not None
    lines: list[list[str]] = []
    while not lines or not done(lines):
        line = writer.stdout.readline()
        assert line, f"writer ended early: {writer.stderr.read()}"
        lines.append(line.split())
    return lines


def _kill(writer: subprocess.Popen[str]) -> list[list[str]]:
    """SIGKILL the writer and return the lines it printed that were not read yet."""
    assert writer.stdout is not None and writer.stderr is not None
    assert writer.poll() is None, "the writer must still be running when it is killed"
    writer.send_signal(signal.SIGKILL)
    rest = [line.split() for line in writer.stdout.read().splitlines()]
    assert writer.wait(timeout=10) == -signal.SIGKILL
    writer.stdout.close()
    writer.stderr.close()
    return rest


@pytest.mark.integration
@pytest.mark.timeout(60)
def test_sigkill_mid_run_leaves_only_whole_committed_blocks(tmp_path: Path) -> None:
    """Five writer processes in turn on one file, each killed with SIGKILL: two while paused in a block's
    transaction after all its writes (with uncommitted pages already spilled into the WAL), three at random
    moments; the file must hold exactly the blocks committed, each complete, and the runs must recover."""
    path = tmp_path / "crash.db"
    seed = random.randrange(10**6)
    rng = random.Random(seed)
    run_ids: list[int] = []
    reported: dict[str, int] = {}
    paused: dict[str, str] = {}
    for round_number in range(5):
        tag = f"w{round_number}"
        pause_at = rng.randint(1, 3) if round_number % 2 else None
        writer = _start_writer(path, tag, pause_at)
        if pause_at is None:
            wanted = rng.randint(1, 4)
            lines = _read_until(writer, lambda ls: sum(w[0] == "committed" for w in ls) >= wanted)
            time.sleep(rng.uniform(0, 0.12))  # a block takes about 0.1 s: land anywhere in the next one
        else:
            lines = _read_until(writer, lambda ls: ls[-1][0] == "paused")
            paused[tag] = lines[-1][1]
        lines += _kill(writer)
        run_ids.append(int(lines[0][1]))
        reported[tag] = sum(words[0] == "committed" for words in lines)

    with raw(path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        blocks = conn.execute(
            "SELECT p.item_id, p.id,"
            " (SELECT COUNT(*) FROM price_observations o WHERE o.product_id = p.id),"
            " (SELECT MAX(price) FROM price_observations o WHERE o.product_id = p.id),"
            " (SELECT COUNT(*) FROM reviews r WHERE r.product_id = p.id)"
            " FROM products p ORDER BY p.id"
        ).fetchall()
    context = f"seed {seed}, reported {reported}"
    for item_id, _, observations, price, review_count in blocks:
        n = int(item_id.split("-")[1])
        assert (observations, price, review_count) == (1, 10 + n % 90, 20), f"{item_id}: {context}"
    stored: dict[str, int] = {}
    for item_id, *_ in blocks:
        tag = item_id.split("-")[0]
        stored[tag] = stored.get(tag, 0) + 1
    for tag, committed in reported.items():
        assert committed >= 1, context
        expected_items = {f"{tag}-{n}" for n in range(stored.get(tag, 0))}
        assert {row[0] for row in blocks if row[0].startswith(f"{tag}-")} == expected_items, context
        if tag in paused:
            assert stored.get(tag, 0) == committed, context
            assert paused[tag] not in expected_items, context
        else:
            assert committed <= stored.get(tag, 0) <= committed + 1, context

    with open_store(path) as store:
        assert store.recover_interrupted_runs() == run_ids
        assert [store.get_run(run_id).status for run_id in run_ids] == ["interrupted"] * 5
        assert sum(len(store.reviews_for(pid)) for _, pid, *_ in blocks) == 20 * len(blocks)


# --- review analysis -----------------------------------------------------------------------------------


def test_sentiments_themes_and_insights_round_trip(store: Store) -> None:
    product = store.upsert_product(chair())
    store.add_reviews(product, [ReviewRecord(text="噪音太大", review_id="1", rating=1),
                                ReviewRecord(text="很好用", review_id="2", rating=5)])
    pending = store.reviews_needing_sentiment("m1")
    assert [text for _, text in pending] == ["噪音太大", "很好用"]
    store.set_sentiments([(pending[0][0], 0.08), (pending[1][0], 0.97)], "m1")
    assert store.reviews_needing_sentiment("m1") == []
    assert len(store.reviews_needing_sentiment("m2")) == 2, "a new model rescores everything"
    [negative] = store.negative_reviews([product])
    assert (negative.text, negative.sentiment_label, negative.sentiment_score) == ("噪音太大", "neg", 0.08)
    store.set_review_themes(negative.id, [ReviewThemeRecord(theme="噪音", aspect="噪音", opinion="大")])
    store.set_review_themes(negative.id, [ReviewThemeRecord(theme="噪音", aspect="噪音", opinion="太大")])
    [theme] = store.review_themes([negative.id])
    assert (theme.theme, theme.opinion) == ("噪音", "太大"), "re-analysis replaces, never piles up"
    first = store.upsert_insight("opportunity", "露营椅/质量", {"share": 0.31}, keyword="露营椅")
    again = store.upsert_insight("opportunity", "露营椅/质量", {"share": 0.35}, keyword="露营椅")
    [insight] = store.insights(kind="opportunity")
    assert first == again == insight.id and insight.detail == {"share": 0.35}


def test_a_sentiment_outside_zero_to_one_is_refused(store: Store) -> None:
    product = store.upsert_product(chair())
    store.add_reviews(product, [ReviewRecord(text="还行", review_id="1")])
    [(review_id, _)] = store.reviews_needing_sentiment("m1")
    with pytest.raises(StoreError):
        store.set_sentiments([(review_id, 1.5)], "m1")
    assert store.reviews_needing_sentiment("m1") == [(review_id, "还行")]


# --- monitor watermarks ---------------------------------------------------------------------------------


def test_a_watermark_starts_unset_and_only_moves_forward(store: Store) -> None:
    assert store.watermark("price", "price_observations") is None
    store.advance_watermark("price", "price_observations", 7)
    store.advance_watermark("price", "price_observations", 5)  # a run that read an older snapshot
    assert store.watermark("price", "price_observations") == 7
    assert store.watermark("stock", "price_observations") is None, "each monitor has its own"


def test_an_upgraded_store_starts_its_watermarks_at_the_facts_it_has(db_path: Path, tmp_path: Path) -> None:
    """Facts stored before watermarks existed were judged by the monitors of their day: judging them again would
    raise alerts about long-past moves."""
    db = open_database(db_path)
    migrate(db, db_path, target=9)
    when = "2025-01-01T00:00:00.000000+00:00"
    db["crawl_runs"].insert({"id": 1, "kind": "search", "started_at": when, "status": "ok"})
    db["products"].insert({"id": 1, "platform": "laodian", "url": "https://old.test/77", "first_seen": when,
                           "last_seen": when})
    db["price_observations"].insert_all([{"product_id": 1, "run_id": 1, "observed_at": when, "price": p}
                                         for p in (88.0, 79.0)])
    db["search_results"].insert({"run_id": 1, "platform": "laodian", "keyword": "露营椅", "rank": 1, "product_id": 1,
                                 "observed_at": when})
    db.close()
    with open_store(db_path) as store:
        assert store.watermark("price", "price_observations") == 2
        assert store.watermark("stock", "price_observations") == 2
        assert store.watermark("price", "search_results") == 1
    with open_store(tmp_path / "new.db") as fresh:
        assert fresh.watermark("price", "price_observations") is None, "no facts yet: nothing judged"


def test_recent_prices_after_a_watermark_reach_behind_the_unjudged(store: Store) -> None:
    product_id = store.upsert_product(chair())
    ids = [store.add_price_observation(product_id, PriceObservation(price=p, observed_at=T0 + timedelta(hours=i)))
           for i, p in enumerate([10.0, 11.0, 12.0, 13.0, 14.0])]
    assert [r.price for r in store.recent_prices(limit=2)[product_id]] == [14.0, 13.0]
    assert [r.price for r in store.recent_prices(limit=2, after=ids[1])[product_id]] == [14.0, 13.0, 12.0, 11.0, 10.0]
    assert [r.price for r in store.recent_prices(limit=1, after=ids[4])[product_id]] == [14.0]


def test_keywords_by_product_are_every_keyword_whose_results_ever_listed_it(store: Store) -> None:
    a, b, c = (store.upsert_product(chair(n)) for n in "123")
    store.add_search_results("shangcheng", "露营椅", [SearchHit(rank=1, product_id=a)], observed_at=T0)
    store.add_search_results("shangcheng", "折叠椅", [SearchHit(rank=1, product_id=b), SearchHit(rank=2, product_id=a)],
                             observed_at=T0)
    store.add_search_results("shangcheng", "露营椅", [SearchHit(rank=1, product_id=b)], observed_at=T0 + timedelta(1))
    assert store.keywords_by_product() == {a: {"露营椅", "折叠椅"}, b: {"露营椅", "折叠椅"}}
    assert c not in store.keywords_by_product()


def test_search_runs_after_a_watermark_start_at_the_run_they_are_compared_with(store: Store) -> None:
    product_id = store.upsert_product(chair())
    runs = [store.begin_run("search") for _ in range(4)]
    for i, run_id in enumerate(runs):
        store.add_search_results("shangcheng", "露营椅", [SearchHit(rank=1, product_id=product_id)], run_id=run_id,
                                 observed_at=T0 + timedelta(hours=i))
    every = store.search_runs("shangcheng", "露营椅")
    assert [run.run_id for run in every] == runs and every[0].observed_at == T0
    judged = every[1].last_result_id
    assert [run.run_id for run in store.search_runs("shangcheng", "露营椅", after=judged)] == runs[1:]
    assert store.search_runs("shangcheng", "露营椅", after=every[-1].last_result_id) == []


def test_migrating_deliveries_to_groups_keeps_every_row_and_message_alone(db_path: Path) -> None:
    """Migration 12 rebuilds deliveries (a new state); ids, claims and sent rows survive, and each delivery
    planned before grouping keeps a group of its own, so a message being resent is rebuilt as it was."""
    db = open_database(db_path)
    migrate(db, db_path, target=11)
    when = "2025-01-01T00:00:00.000000+00:00"
    db["alerts"].insert({"id": 1, "dedup_key": "k", "kind": "price_below_cost", "severity": "critical",
                         "title": "t", "created_at": when, "updated_at": when, "delivery_planned_at": when})
    db["deliveries"].insert_all([
        {"id": 5, "alert_id": 1, "channel": "email", "destination": "a@example.com", "kind": "immediate",
         "state": "sent", "attempts": 1, "created_at": when, "next_attempt_at": when, "sent_at": when,
         "message_id": "<m1@x>"},
        {"id": 6, "alert_id": 1, "channel": "email", "destination": "b@example.com", "kind": "immediate",
         "state": "pending", "attempts": 1, "created_at": when, "next_attempt_at": when, "sent_at": None,
         "message_id": "<m2@x>"}])
    db.close()
    with open_store(db_path) as store:
        sent, claimed = store.deliveries()
        assert (sent.id, sent.state, sent.message_id, sent.group_key, sent.note) == (5, "sent", "<m1@x>",
                                                                                   "delivery:5", None)
        assert (claimed.id, claimed.state, claimed.message_id, claimed.group_key) == (6, "pending", "<m2@x>",
                                                                                      "delivery:6")
        assert store.suppress_deliveries([6], "test", now=T0) == 0, "a claimed delivery is never suppressed"


def test_an_alerts_wording_is_stored_as_messages_and_as_text_in_the_default_language(store: Store,
                                                                                       db_path: Path) -> None:
    title = N_("Own price below cost: {name} at {price} (cost {cost})", name="户外折叠椅", price="¥39.90",
               cost="¥45.00")
    body = N_("{name} ({shop}, {platform}) drops from {old} to {new}.\n{url}", name="椅", shop=N_("unknown shop"),
              platform="sc", old="¥2.00", new="¥1.00", url="http://s/1")
    alert_id = store.add_alert(AlertRecord(dedup_key="k", kind="price_below_cost", severity="critical", title=title,
                                           body=body, suggestion="调回成本以上"), created_at=T0)
    stored = store.get_alert(alert_id)
    assert (stored.title, stored.body, stored.suggestion) == (title, body, "调回成本以上")
    with i18n.using("en"):
        assert str(stored.body) == "椅 (unknown shop, sc) drops from ¥2.00 to ¥1.00.\nhttp://s/1"
    with raw(db_path) as conn, i18n.using("en"):  # SQL readers get the default language whatever is current
        text, message = conn.execute("SELECT title, suggestion_message FROM alerts").fetchone()
    assert (text, message) == ("我方售价低于成本：户外折叠椅 售价 ¥39.90（成本 ¥45.00）", None)


def test_a_stored_message_that_does_not_parse_fails_loudly(store: Store, db_path: Path) -> None:
    alert_id = store.add_alert(AlertRecord(dedup_key="k", kind="x", severity="info", title=N_("Own stock low")))
    with raw(db_path) as conn:
        conn.execute("UPDATE alerts SET title_message = '{\"text\": \"Own stock low\"}' WHERE id = ?", (alert_id,))
    with pytest.raises(StoredMessageError, match=rf"shop\.db: alert {alert_id}: the stored title message"):
        store.get_alert(alert_id)
    with pytest.raises(InvalidRecordError, match="title"):
        AlertRecord(dedup_key="k", kind="x", severity="info", title=N_(" "))


def test_migrating_to_alert_messages_keeps_old_alerts_as_their_text(db_path: Path) -> None:
    """Migration 13 adds the message columns; an alert stored before reads back, and renders, as it was written."""
    db = open_database(db_path)
    migrate(db, db_path, target=12)
    when = "2025-01-01T00:00:00.000000+00:00"
    db["alerts"].insert({"id": 1, "dedup_key": "k", "kind": "price_below_cost", "severity": "critical",
                         "title": "Own price below cost: 椅 at ¥39.90 (cost ¥45.00)", "body": "旧告警正文",
                         "suggestion": "调回成本以上", "evidence": '{"title": "椅"}', "created_at": when,
                         "updated_at": when})
    db.close()
    with open_store(db_path) as store:
        assert store.schema_version == LATEST_VERSION
        old = store.get_alert(1)
    assert (old.title, old.body, old.suggestion) == ("Own price below cost: 椅 at ¥39.90 (cost ¥45.00)", "旧告警正文",
                                                     "调回成本以上")
    rendered = render_alert(old, timezone.utc)
    assert rendered.subject == "[ShopSentinel][严重] Own price below cost: 椅 at ¥39.90 (cost ¥45.00)"
    assert "建议：调回成本以上" in rendered.text and "旧告警正文" in rendered.text
