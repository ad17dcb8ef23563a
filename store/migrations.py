"""Schema migrations: an ordered list of small steps, each applied in its own transaction and recorded.

`schema_migrations` holds one row per applied step, so a file's version is its highest recorded step. A step
and its record commit together: a crash leaves the file at the previous version, never half-migrated. Steps
are append-only: once released, a step is never edited; a change to the schema is a new step at the end.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlite_utils import Database

from store.base import write_transaction
from store.errors import ForeignDatabaseError, MigrationError, SchemaTooNewError
from store.timestamps import to_db_time, utc_now


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    apply: Callable[[Database], None]


def _run(db: Database, *statements: str) -> None:
    for statement in statements:
        db.execute(statement)


def _create_runs_and_products(db: Database) -> None:
    _run(
        db,
        """CREATE TABLE crawl_runs (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            platform TEXT,
            started_at TEXT NOT NULL,
            ended_at TEXT,
            status TEXT NOT NULL CHECK (status IN ('running', 'ok', 'failed', 'interrupted')),
            pid INTEGER,
            stats TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(stats)),
            errors TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(errors))
        ) STRICT""",
        "CREATE INDEX crawl_runs_status ON crawl_runs (status)",
        "CREATE INDEX crawl_runs_kind_started ON crawl_runs (kind, started_at)",
        """CREATE TABLE products (
            id INTEGER PRIMARY KEY,
            platform TEXT NOT NULL,
            item_id TEXT,
            url TEXT NOT NULL UNIQUE,
            title TEXT,
            shop TEXT,
            category TEXT,
            own INTEGER NOT NULL DEFAULT 0 CHECK (own IN (0, 1)),
            cost REAL CHECK (cost >= 0),
            band_min REAL CHECK (band_min >= 0),
            band_max REAL CHECK (band_max >= 0),
            safety_stock INTEGER CHECK (safety_stock >= 0),
            first_seen TEXT NOT NULL,
            last_seen TEXT NOT NULL,
            UNIQUE (platform, item_id)
        ) STRICT""",
        "CREATE INDEX products_own ON products (own)",
        "CREATE INDEX products_category ON products (platform, category)",
    )


def _create_price_observations(db: Database) -> None:
    _run(
        db,
        """CREATE TABLE price_observations (
            id INTEGER PRIMARY KEY,
            product_id INTEGER NOT NULL REFERENCES products (id),
            run_id INTEGER REFERENCES crawl_runs (id),
            observed_at TEXT NOT NULL,
            price REAL NOT NULL CHECK (price >= 0),
            price_max REAL CHECK (price_max >= price),
            list_price REAL CHECK (list_price >= 0),
            promo_price REAL CHECK (promo_price >= 0),
            currency TEXT NOT NULL DEFAULT 'CNY',
            stock INTEGER CHECK (stock >= 0),
            availability TEXT CHECK (availability IN ('InStock', 'OutOfStock')),
            monthly_sales INTEGER CHECK (monthly_sales >= 0),
            rating REAL CHECK (rating >= 0),
            review_count INTEGER CHECK (review_count >= 0),
            rule TEXT
        ) STRICT""",
        "CREATE INDEX price_observations_product_time ON price_observations (product_id, observed_at)",
        "CREATE INDEX price_observations_run ON price_observations (run_id)",
    )


def _create_reviews(db: Database) -> None:
    _run(
        db,
        """CREATE TABLE reviews (
            id INTEGER PRIMARY KEY,
            product_id INTEGER NOT NULL REFERENCES products (id),
            platform TEXT NOT NULL,
            review_key TEXT NOT NULL UNIQUE,
            review_id TEXT,
            text TEXT NOT NULL,
            rating REAL CHECK (rating >= 0),
            sku TEXT,
            posted_at TEXT,
            crawled_at TEXT NOT NULL,
            run_id INTEGER REFERENCES crawl_runs (id)
        ) STRICT""",
        "CREATE INDEX reviews_product_crawled ON reviews (product_id, crawled_at)",
        "CREATE INDEX reviews_run ON reviews (run_id)",
    )


def _create_hot_terms_and_search_results(db: Database) -> None:
    _run(
        db,
        """CREATE TABLE hot_term_snapshots (
            id INTEGER PRIMARY KEY,
            platform TEXT NOT NULL,
            run_id INTEGER REFERENCES crawl_runs (id),
            observed_at TEXT NOT NULL,
            rank INTEGER NOT NULL CHECK (rank >= 1),
            term TEXT NOT NULL,
            heat REAL CHECK (heat >= 0),
            rising INTEGER CHECK (rising IN (0, 1)),
            UNIQUE (platform, observed_at, rank)
        ) STRICT""",
        "CREATE INDEX hot_term_snapshots_term ON hot_term_snapshots (term, observed_at)",
        "CREATE INDEX hot_term_snapshots_run ON hot_term_snapshots (run_id)",
        """CREATE TABLE search_results (
            id INTEGER PRIMARY KEY,
            run_id INTEGER REFERENCES crawl_runs (id),
            platform TEXT NOT NULL,
            keyword TEXT NOT NULL,
            rank INTEGER NOT NULL CHECK (rank >= 1),
            product_id INTEGER NOT NULL REFERENCES products (id),
            observed_at TEXT NOT NULL,
            UNIQUE (platform, keyword, observed_at, rank)
        ) STRICT""",
        "CREATE INDEX search_results_product ON search_results (product_id)",
        "CREATE INDEX search_results_run ON search_results (run_id)",
    )


def _create_alerts(db: Database) -> None:
    _run(
        db,
        """CREATE TABLE alerts (
            id INTEGER PRIMARY KEY,
            dedup_key TEXT NOT NULL,
            kind TEXT NOT NULL,
            category TEXT,
            severity TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'new'
                CHECK (state IN ('new', 'sent', 'acknowledged', 'resolved')),
            subject TEXT,
            title TEXT NOT NULL,
            body TEXT NOT NULL DEFAULT '',
            evidence TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(evidence)),
            suggestion TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            delivery_attempts INTEGER NOT NULL DEFAULT 0 CHECK (delivery_attempts >= 0),
            next_attempt_at TEXT,
            delivered_at TEXT,
            last_error TEXT
        ) STRICT""",
        "CREATE INDEX alerts_dedup_key ON alerts (dedup_key, state)",
        "CREATE INDEX alerts_outbox ON alerts (state, next_attempt_at)",
    )


def _create_review_analysis(db: Database) -> None:
    _run(
        db,
        "ALTER TABLE reviews ADD COLUMN sentiment_score REAL CHECK (sentiment_score BETWEEN 0 AND 1)",
        "ALTER TABLE reviews ADD COLUMN sentiment_label TEXT CHECK (sentiment_label IN ('pos', 'neg'))",
        "ALTER TABLE reviews ADD COLUMN sentiment_model TEXT",
        "CREATE INDEX reviews_sentiment_model ON reviews (sentiment_model)",
        """CREATE TABLE review_themes (
            id INTEGER PRIMARY KEY,
            review_id INTEGER NOT NULL REFERENCES reviews (id) ON DELETE CASCADE,
            theme TEXT NOT NULL,
            aspect TEXT,
            opinion TEXT,
            clause TEXT,
            analysed_at TEXT NOT NULL
        ) STRICT""",
        "CREATE INDEX review_themes_review ON review_themes (review_id)",
        "CREATE INDEX review_themes_theme ON review_themes (theme)",
        """CREATE TABLE insights (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL,
            subject TEXT NOT NULL,
            platform TEXT,
            keyword TEXT,
            product_id INTEGER REFERENCES products (id),
            detail TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(detail)),
            first_seen TEXT NOT NULL,
            last_seen TEXT NOT NULL,
            UNIQUE (kind, subject)
        ) STRICT""",
    )


def _add_product_descriptions(db: Database) -> None:
    # The Advertising Law applies to detail pages as much as to titles, so compliance needs the description.
    _run(db, "ALTER TABLE products ADD COLUMN description TEXT")


def _create_deliveries(db: Database) -> None:
    # One row per (alert, destination, message kind): the outbox. Each destination is delivered and retried on its
    # own, so a recipient whose server refuses mail cannot hold back, or cause a resend to, the others.
    # `channel` is in the unique key because a webhook name and an e-mail address live in different namespaces.
    # alerts.delivery_planned_at marks an alert as routed, also when no route matched it (nothing to deliver).
    _run(
        db,
        "ALTER TABLE alerts ADD COLUMN delivery_planned_at TEXT",
        """CREATE TABLE deliveries (
            id INTEGER PRIMARY KEY,
            alert_id INTEGER NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
            channel TEXT NOT NULL CHECK (channel IN ('email', 'webhook')),
            destination TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('immediate', 'digest')),
            state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent')),
            attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
            created_at TEXT NOT NULL,
            next_attempt_at TEXT NOT NULL,
            last_attempt_at TEXT,
            last_error TEXT,
            sent_at TEXT,
            message_id TEXT,
            UNIQUE (alert_id, channel, destination, kind)
        ) STRICT""",
        "CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at)",
        "CREATE INDEX deliveries_message ON deliveries (message_id)",
    )


def _create_job_runs(db: Database) -> None:
    # The daemon's scheduled jobs; crawl_runs cannot tell them apart (both review jobs run the reviews spider,
    # the digest crawls nothing).
    _run(
        db,
        """CREATE TABLE job_runs (
            id INTEGER PRIMARY KEY,
            job TEXT NOT NULL,
            started_at TEXT NOT NULL,
            ended_at TEXT,
            status TEXT NOT NULL CHECK (status IN ('running', 'ok', 'failed', 'interrupted')),
            pid INTEGER,
            stats TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(stats)),
            error TEXT
        ) STRICT""",
        "CREATE INDEX job_runs_job_started ON job_runs (job, started_at)",
    )


def _create_monitor_watermarks(db: Database) -> None:
    # How far each monitor has evaluated one table of facts: the id of the last row it evaluated. Row ids grow in
    # commit order (writers are serialised), so every row above a watermark is one the monitor has not seen yet.
    # Facts stored before this step were evaluated by the monitors of the version that stored them, as far as
    # anything can tell: the watermarks start at the newest of them, so an upgrade does not replay months of
    # history as alerts about old moves.
    _run(
        db,
        """CREATE TABLE monitor_watermarks (
            monitor TEXT NOT NULL,
            facts TEXT NOT NULL,
            evaluated_to INTEGER NOT NULL,
            updated_at TEXT NOT NULL,
            PRIMARY KEY (monitor, facts)
        ) STRICT""",
    )
    now = to_db_time(utc_now())
    for monitor, facts in (("price", "price_observations"), ("price", "search_results"),
                           ("stock", "price_observations")):
        db.execute(
            f"INSERT INTO monitor_watermarks (monitor, facts, evaluated_to, updated_at)"
            f" SELECT ?, ?, MAX(id), ? FROM {facts} HAVING MAX(id) IS NOT NULL",
            (monitor, facts, now),
        )


def _add_review_appends(db: Database) -> None:
    # The buyer's follow-up review (追评) arrives days after the review it belongs to, usually on a re-crawl that
    # finds the review already stored: it gets its own crawl time and run, so a monitor can tell a new follow-up
    # on an old review, and its own sentiment score, because a 5-star review that turns sour later keeps its stars.
    _run(
        db,
        "ALTER TABLE reviews ADD COLUMN append TEXT",
        "ALTER TABLE reviews ADD COLUMN append_crawled_at TEXT",
        "ALTER TABLE reviews ADD COLUMN append_run_id INTEGER REFERENCES crawl_runs (id)",
        "ALTER TABLE reviews ADD COLUMN append_sentiment_score REAL"
        " CHECK (append_sentiment_score BETWEEN 0 AND 1)",
    )


def _group_deliveries(db: Database) -> None:
    # Alert grouping (issue 17): an immediate delivery carries the key of its group (the route's group_by values),
    # so the outbox sends one message per group; a delivery the outbox decided not to send (inhibited by a
    # critical alert of the same cause, or a repeat within the route's repeat_interval) becomes 'suppressed' with
    # a note saying why, instead of being deleted or called sent. SQLite cannot change a CHECK constraint, so the
    # table is rebuilt; nothing references deliveries, and the copy keeps every id (Message-IDs derive from them).
    _run(
        db,
        """CREATE TABLE deliveries_grouped (
            id INTEGER PRIMARY KEY,
            alert_id INTEGER NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
            channel TEXT NOT NULL CHECK (channel IN ('email', 'webhook')),
            destination TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('immediate', 'digest')),
            state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'sent', 'suppressed')),
            attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
            created_at TEXT NOT NULL,
            next_attempt_at TEXT NOT NULL,
            last_attempt_at TEXT,
            last_error TEXT,
            sent_at TEXT,
            message_id TEXT,
            group_key TEXT NOT NULL DEFAULT '',
            note TEXT,
            UNIQUE (alert_id, channel, destination, kind)
        ) STRICT""",
        # Deliveries planned before grouping keep a message each: their group key is their own id.
        "INSERT INTO deliveries_grouped (id, alert_id, channel, destination, kind, state, attempts, created_at,"
        " next_attempt_at, last_attempt_at, last_error, sent_at, message_id, group_key)"
        " SELECT id, alert_id, channel, destination, kind, state, attempts, created_at, next_attempt_at,"
        " last_attempt_at, last_error, sent_at, message_id, 'delivery:' || id FROM deliveries",
        "DROP TABLE deliveries",
        "ALTER TABLE deliveries_grouped RENAME TO deliveries",
        "CREATE INDEX deliveries_due ON deliveries (state, next_attempt_at)",
        "CREATE INDEX deliveries_message ON deliveries (message_id)",
        "CREATE INDEX deliveries_group ON deliveries (channel, destination, kind, group_key, state)",
    )


def _add_alert_messages(db: Database) -> None:
    # Alerts in the operator's language (issue 17): the monitors' title, body and suggestion as translatable
    # messages (i18n.Message JSON), rendered in whichever language an alert is shown in. The text columns keep
    # the text in the default language for SQL readers; rows written before have no messages and keep their text.
    _run(
        db,
        *(f"ALTER TABLE alerts ADD COLUMN {name}_message TEXT CHECK ({name}_message IS NULL OR json_valid({name}_message))"
          for name in ("title", "body", "suggestion")),
    )


def _create_users_and_alert_events(db: Database) -> None:
    # The console's accounts, and what people did to each alert (acknowledged, resolved, a note) and who: the
    # alert row keeps only its current state. `actor` is NULL for a change made on the command line, and is a
    # name, not a key: the history outlives a removed account.
    _run(
        db,
        """CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            role TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
            password_hash TEXT NOT NULL,
            created_at TEXT NOT NULL
        ) STRICT""",
        """CREATE TABLE alert_events (
            id INTEGER PRIMARY KEY,
            alert_id INTEGER NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
            action TEXT NOT NULL CHECK (action IN ('acknowledged', 'resolved', 'note')),
            actor TEXT,
            note TEXT,
            at TEXT NOT NULL
        ) STRICT""",
        "CREATE INDEX alert_events_alert ON alert_events (alert_id, at)",
    )


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "crawl runs and products", _create_runs_and_products),
    Migration(2, "price observations", _create_price_observations),
    Migration(3, "reviews", _create_reviews),
    Migration(4, "hot term snapshots and search results", _create_hot_terms_and_search_results),
    Migration(5, "alerts", _create_alerts),
    Migration(6, "review analysis: sentiment, pain-point themes, insights", _create_review_analysis),
    Migration(7, "product descriptions", _add_product_descriptions),
    Migration(8, "alert deliveries (the outbox)", _create_deliveries),
    Migration(9, "daemon job runs", _create_job_runs),
    Migration(10, "monitor watermarks", _create_monitor_watermarks),
    Migration(11, "review appends (追评)", _add_review_appends),
    Migration(12, "grouped and suppressed alert deliveries", _group_deliveries),
    Migration(13, "alert messages in the operator's language", _add_alert_messages),
    Migration(14, "console users and alert history", _create_users_and_alert_events),
)
LATEST_VERSION = MIGRATIONS[-1].version

_VERSION_TABLE = """CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL
) STRICT"""


def schema_version(db: Database) -> int:
    """The file's schema version: its highest applied migration, 0 for a new file."""
    if not db["schema_migrations"].exists():
        return 0
    return int(db.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").fetchone()[0])


def _refuse_foreign_database(db: Database, path: Path) -> None:
    """A file with tables but no version table belongs to something else: leave it alone."""
    if db["schema_migrations"].exists():
        return
    tables = db.table_names()
    if tables:
        raise ForeignDatabaseError(path, tables)


def migrate(db: Database, path: Path, target: int | None = None) -> int:
    """Bring the file up to `target` (default: the latest version) and return the version it ends at.

    Each step runs in its own write transaction and re-reads the version inside it, so two processes opening
    the same new file at once apply each step exactly once. A file newer than this code is refused.
    """
    _refuse_foreign_database(db, path)
    found = schema_version(db)
    if found > LATEST_VERSION:
        raise SchemaTooNewError(path, found, LATEST_VERSION)
    goal = LATEST_VERSION if target is None else target
    for migration in MIGRATIONS:
        if found < migration.version <= goal:
            _apply(db, path, migration)
            found = migration.version
    return found


def _apply(db: Database, path: Path, migration: Migration) -> None:
    try:
        with write_transaction(db, path):
            db.execute(_VERSION_TABLE)
            if schema_version(db) >= migration.version:
                return
            migration.apply(db)
            db.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                (migration.version, migration.name, to_db_time(utc_now())),
            )
    except sqlite3.Error as error:
        raise MigrationError(
            f"{path}: migration {migration.version} ({migration.name}) failed and was rolled back: {error}"
        ) from error
