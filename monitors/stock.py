"""Stock monitor (thresholds.stock): own stock below its warning line, and competitors selling out.

The playbook's warning line is 50 % of the safety stock (`safety_ratio`): below it, replenish. An own product that
is out of stock is critical (every hour loses sales and search rank). A competitor selling out is an opportunity
(its buyers look elsewhere), so it is a notice, raised once per sell-out: the dedup key carries the observation
where the sell-out began.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from config import Config
from formats import moment
from i18n import N_
from monitors.findings import UNKNOWN_SHOP, Findings, histories_to_judge
from store import AlertRecord, PriceRow, ProductRow, Store

MONITOR = "stock"
OBSERVATIONS = "price_observations"  # the facts it judges, with its watermark
HISTORY = 200  # observations read per product to find where a sell-out began (100 h at the 30-min default)

SUGGEST_LOW = N_("Replenish now: stock is below the warning line. If the supplier is slow, switch to pre-sale (ship "
                 "within 3 days) rather than overselling.")
SUGGEST_OUT = N_("Out of stock: switch the listing to pre-sale or restock today; check that real-time stock sync "
                 "did not oversell.")
SUGGEST_COMPETITOR_OUT = N_("A competitor is out of stock: its buyers are looking elsewhere. Make sure your own "
                            "stock covers the extra demand and consider more traffic on the keyword while it lasts.")


def sold_out(row: PriceRow) -> bool:
    return row.availability == "OutOfStock" or row.stock == 0


def _own_alert(product: ProductRow, latest: PriceRow, safety_ratio: float) -> AlertRecord | None:
    name = product.title or product.url
    evidence = {"product_id": product.id, "platform": product.platform, "url": product.url, "title": product.title,
                "stock": latest.stock, "availability": latest.availability, "safety_stock": product.safety_stock,
                "observed_at": latest.observed_at.isoformat()}
    if sold_out(latest):
        return AlertRecord(dedup_key=f"stock:own_out:{product.id}", kind="own_out_of_stock", category="stock",
                           severity="critical", subject=str(product.id),
                           title=N_("Own product out of stock: {name}", name=name),
                           body=N_("{name} ({platform}) shows no stock.\n{url}", name=name,
                                   platform=product.platform, url=product.url), evidence=evidence,
                           suggestion=SUGGEST_OUT)
    if latest.stock is None or not product.safety_stock:
        return None
    line = product.safety_stock * safety_ratio
    if latest.stock >= line:
        return None
    return AlertRecord(
        dedup_key=f"stock:own_low:{product.id}", kind="own_low_stock", category="stock", severity="warning",
        subject=str(product.id),
        title=N_("Own stock low: {name} has {stock} left (warning line {line})", name=name, stock=latest.stock,
                 line=format(line, "g")),
        body=N_("{name} ({platform}) has {stock} in stock, below {ratio} of its safety stock of {safety_stock}.\n{url}",
                name=name, platform=product.platform, stock=latest.stock, ratio=format(safety_ratio, ".0%"),
                safety_stock=product.safety_stock, url=product.url),
        evidence={**evidence, "warning_line": line}, suggestion=SUGGEST_LOW)


def _sell_out_start(history: Sequence[PriceRow]) -> PriceRow | None:
    """The oldest observation of the sell-out the newest one shows (history newest first); None if in stock."""
    start = None
    for row in history:
        if not sold_out(row):
            break
        start = row
    return start


def _competitor_notice(product: ProductRow, history: Sequence[PriceRow], config: Config) -> AlertRecord | None:
    start = _sell_out_start(history)
    if start is None:
        return None
    name = product.title or product.url
    was = next((row for row in history if not sold_out(row)), None)
    return AlertRecord(
        dedup_key=f"stock:competitor_out:{product.id}:{start.observed_at.isoformat()}", kind="competitor_out_of_stock",
        category="stock", severity="info", subject=str(product.id),
        title=N_("Competitor out of stock: {name} ({shop})", name=name, shop=product.shop or product.platform),
        body=N_("{name} ({shop}, {platform}) is out of stock since {since}.\n{url}", name=name,
                shop=product.shop or UNKNOWN_SHOP, platform=product.platform,
                since=moment(start.observed_at, config.schedule.tzinfo), url=product.url),
        evidence={"product_id": product.id, "platform": product.platform, "url": product.url, "title": product.title,
                  "shop": product.shop, "since": start.observed_at.isoformat(),
                  "last_in_stock": None if was is None else was.observed_at.isoformat(),
                  "last_stock": None if was is None else was.stock},
        suggestion=SUGGEST_COMPETITOR_OUT)


def run(store: Store, config: Config, *, now: datetime) -> Findings:
    """Stock alerts at each observation stored since the watermark (`now` is unused: observations carry their
    own times)."""
    rules = config.thresholds.stock
    findings = Findings()
    products = {product.id: product for product in store.products()}
    judged = store.watermark(MONITOR, OBSERVATIONS)
    recent = store.recent_prices(limit=1, after=judged)
    selling_out = []
    for product_id, rows in recent.items():
        for (seen,) in histories_to_judge(rows, judged, 1):
            if products[product_id].own:
                alert = _own_alert(products[product_id], seen, rules.safety_ratio)
                if alert is not None:
                    findings.alerts.append(alert)
            elif sold_out(seen) and product_id not in selling_out:
                selling_out.append(product_id)
    if rules.competitor_stockout and selling_out:
        for product_id, history in store.recent_prices(selling_out, limit=HISTORY, after=judged).items():
            for seen in histories_to_judge(history, judged, HISTORY):
                notice = _competitor_notice(products[product_id], seen, config)
                if notice is not None:
                    findings.events.append(notice)
    findings.judged(MONITOR, OBSERVATIONS, recent)
    return findings.first_per_key()
