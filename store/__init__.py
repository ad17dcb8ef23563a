"""ShopSentinel's store: the one SQLite database every stage reads, and the only module that writes SQL.

    from store import open_store, ProductRecord, PriceObservation, ReviewRecord

    with open_store("var/shopsentinel.db") as store:
        run_id = store.begin_run("product", platform="shangcheng")
        with store.transaction():              # one crawled item: all of it or none of it
            product_id = store.upsert_product(ProductRecord(platform="shangcheng", url=url, item_id="1001"))
            store.add_price_observation(product_id, PriceObservation(price=59.9), run_id=run_id)
            store.add_reviews(product_id, reviews, run_id=run_id)
        store.finish_run(run_id, "ok", stats={"items": 1})
"""

from store.db import DEFAULT_PATH, Store, open_store
from store.deliveries import DeliveryRecord, DeliveryRow
from store.errors import (
    AlertStateError,
    ConstraintError,
    ForeignDatabaseError,
    InvalidRecordError,
    MigrationError,
    NotADatabaseError,
    NotFoundError,
    ProductConflictError,
    RunStateError,
    SchemaTooNewError,
    StoreBusyError,
    StoreDatabaseError,
    StoreError,
    StoreOpenError,
    StoredMessageError,
)
from store.jobs import JobRunRow
from store.users import USER_ROLES, UserRecord, UserRow
from store.migrations import LATEST_VERSION
from store.records import (
    AlertEventRow,
    AlertRecord,
    AlertRow,
    HotTermRecord,
    HotTermRow,
    InsightRow,
    PriceObservation,
    PriceRow,
    ProductRecord,
    ProductRow,
    ReviewRecord,
    ReviewRow,
    ReviewThemeRecord,
    ReviewThemeRow,
    RunRow,
    SearchHit,
    SearchResultRow,
)

__all__ = [
    "DEFAULT_PATH",
    "LATEST_VERSION",
    "USER_ROLES",
    "AlertEventRow",
    "AlertRecord",
    "AlertRow",
    "AlertStateError",
    "ConstraintError",
    "DeliveryRecord",
    "DeliveryRow",
    "ForeignDatabaseError",
    "HotTermRecord",
    "HotTermRow",
    "InsightRow",
    "InvalidRecordError",
    "JobRunRow",
    "MigrationError",
    "NotADatabaseError",
    "NotFoundError",
    "PriceObservation",
    "PriceRow",
    "ProductConflictError",
    "ProductRecord",
    "ProductRow",
    "ReviewRecord",
    "ReviewRow",
    "ReviewThemeRecord",
    "ReviewThemeRow",
    "RunRow",
    "RunStateError",
    "SchemaTooNewError",
    "SearchHit",
    "SearchResultRow",
    "Store",
    "StoreBusyError",
    "StoreDatabaseError",
    "StoreError",
    "StoreOpenError",
    "StoredMessageError",
    "UserRecord",
    "UserRow",
    "open_store",
]
