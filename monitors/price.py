"""Price-band monitor: own prices below cost or outside their band, competitors undercutting us or moving, and a
keyword's competitor band shifting (thresholds.price).

Flapping is debounced the playbook's way: a breach counts once it held for `debounce_observations` observations
in a row, or at once when it goes past the threshold by at least `min_abs_change` yuan. So ±0.01 jitter around a
threshold never alerts, while a real drop below cost alerts on the first observation that shows it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import datetime

from competitors import PriceBand, competitor_table
from config import Config, PriceThresholds
from formats import money
from i18n import N_, Message
from monitors.findings import UNKNOWN_SHOP, Findings, histories_to_judge
from store import AlertRecord, PriceRow, ProductRow, Store
from store.catalog import SearchRun

MONITOR = "price"
OBSERVATIONS, SEARCHES = "price_observations", "search_results"  # the facts it judges, each with its watermark

Margin = Callable[[float], float]  # how far a price is past a threshold, in yuan (> 0: breached)

SUGGEST_BELOW_COST = N_("Raise the price back above cost now: look for a mistyped price, stacked coupons or a "
                        "campaign price that outlived its campaign. The playbook's red line: a price never falls "
                        "below cost.")
SUGGEST_OUT_OF_BAND = N_("Bring the price back inside its band, or change the band in config.toml if the new price "
                         "is a deliberate decision.")
SUGGEST_MOVE = N_("Check whether the competitor runs a promotion or clears stock, and whether the keyword's band "
                  "moved.")
SUGGEST_BAND_SHIFT = N_("The keyword's market moved: review your price plan against the new band.")


def suggest_undercut(premium_pct: float) -> Message:
    return N_("Hold the band: do not follow below cost. Answer with penetration pricing (slightly below the "
              "competitor, still above cost) or with value pricing (up to {premium}% above the competitors' "
              "median) backed by a visible quality difference; read the competitor's negative reviews for the weak "
              "points to stress.", premium=format(premium_pct, ".0f"))


def confirmed(history: Sequence[PriceRow], margin: Margin, rules: PriceThresholds) -> bool:
    """Whether the newest observation's breach counts: past the threshold by `min_abs_change`, or breached in
    each of the last `debounce_observations` observations (`history` is newest first)."""
    if not history or margin(history[0].price) <= 0:
        return False
    if margin(history[0].price) >= rules.min_abs_change:
        return True
    streak = history[: rules.debounce_observations]
    return len(streak) == rules.debounce_observations and all(margin(row.price) > 0 for row in streak)


def started(history: Sequence[PriceRow], margin: Margin, rules: PriceThresholds) -> bool:
    """A confirmed breach that was not there before: some older observation was not breached. A competitor that
    sold below us since we first looked is in the competitor table; an alert is for one that moved there."""
    return confirmed(history, margin, rules) and any(margin(row.price) <= 0 for row in history[1:])


def _own_alerts(product: ProductRow, history: Sequence[PriceRow], rules: PriceThresholds) -> list[AlertRecord]:
    latest = history[0]
    evidence = {"product_id": product.id, "platform": product.platform, "url": product.url, "title": product.title,
                "price": latest.price, "observed_at": latest.observed_at.isoformat(), "cost": product.cost,
                "band": [product.band_min, product.band_max],
                "previous_price": history[1].price if len(history) > 1 else None}
    name = product.title or product.url
    if product.cost is not None and confirmed(history, lambda p: product.cost - p, rules):
        return [AlertRecord(
            dedup_key=f"price:below_cost:{product.id}", kind="price_below_cost", category="price",
            severity="critical", subject=str(product.id),
            title=N_("Own price below cost: {name} at {price} (cost {cost})", name=name, price=money(latest.price),
                     cost=money(product.cost)),
            body=N_("{name} ({platform}) sells at {price}, {gap} below its cost of {cost}.\n{url}", name=name,
                    platform=product.platform, price=money(latest.price), gap=money(product.cost - latest.price),
                    cost=money(product.cost), url=product.url),
            evidence=evidence, suggestion=SUGGEST_BELOW_COST)]
    low, high = product.band_min, product.band_max
    outside: list[tuple[Message, Margin]] = []
    if low is not None:
        outside.append((N_("below its band minimum {limit}", limit=money(low)), lambda p: low - p))
    if high is not None:
        outside.append((N_("above its band maximum {limit}", limit=money(high)), lambda p: p - high))
    for where, margin in outside:
        if confirmed(history, margin, rules):
            return [AlertRecord(
                dedup_key=f"price:out_of_band:{product.id}", kind="price_out_of_band", category="price",
                severity="warning", subject=str(product.id),
                title=N_("Own price outside its band: {name} at {price}", name=name, price=money(latest.price)),
                body=N_("{name} ({platform}) sells at {price}, {where}.\n{url}", name=name,
                        platform=product.platform, price=money(latest.price), where=where, url=product.url),
                evidence=evidence, suggestion=SUGGEST_OUT_OF_BAND)]
    return []


def _undercut_alerts(config: Config, keyword: str, table, histories: dict[int, list[PriceRow]],
                     judged: int | None, depth: int) -> list[AlertRecord]:
    rules = config.thresholds.price
    alerts = []
    for own in (item for item in table.listings if item.own and item.price is not None):
        line = own.price * (1 - rules.undercut_pct / 100)
        for rival in (item for item in table.listings if not item.own):
            for history in histories_to_judge(histories.get(rival.product_id, []), judged, depth):
                if started(history, lambda p, line=line: line - p, rules):
                    alerts.append(_undercut_alert(config, keyword, table, own, rival, history))
    return alerts


def _undercut_alert(config: Config, keyword: str, table, own, rival, history: Sequence[PriceRow]) -> AlertRecord:
    now = history[0].price
    gap = 1 - now / own.price
    return AlertRecord(
        dedup_key=f"price:undercut:{own.product_id}:{rival.product_id}", kind="competitor_undercut",
        category="price", severity="warning", subject=str(own.product_id),
        title=N_("Competitor undercuts us by {gap} on 「{keyword}」: {price} against our {own_price}",
                 gap=format(gap, ".0%"), keyword=keyword, price=money(now), own_price=money(own.price)),
        body=N_("{name} ({shop}, {platform}, rank {rank}) now sells at {price}{was}; our {own} sells at "
                "{own_price}.\n{url}", name=rival.title or rival.url, shop=rival.shop or UNKNOWN_SHOP,
                platform=table.platform, rank=rival.rank, price=money(now),
                was=N_(", down from {price}", price=money(history[1].price)) if len(history) > 1 else "",
                own=own.title or own.url, own_price=money(own.price), url=rival.url),
        evidence={"keyword": keyword, "platform": table.platform, "own_product_id": own.product_id,
                  "own_url": own.url, "own_price": own.price, "competitor_product_id": rival.product_id,
                  "competitor_url": rival.url, "competitor_title": rival.title, "competitor_shop": rival.shop,
                  "new_price": now, "old_price": history[1].price if len(history) > 1 else None,
                  "below_own": round(gap, 4), "rank": rival.rank},
        suggestion=suggest_undercut(config.thresholds.opportunity.value_premium_pct))


def _move_alert(product: ProductRow, history: Sequence[PriceRow], rules: PriceThresholds) -> AlertRecord | None:
    if len(history) < 2 or history[1].price <= 0:
        return None
    new, old = history[0].price, history[1].price
    change = new - old
    if abs(change) < rules.min_abs_change or abs(change) / old * 100 < rules.move_pct:
        return None
    name, share = product.title or product.url, f"{abs(change) / old:.0%}"
    facts = {"name": name, "old": money(old), "new": money(new), "shop": product.shop or UNKNOWN_SHOP,
             "platform": product.platform, "url": product.url}
    if change < 0:
        title = N_("Competitor price drops {share}: {name} {old} → {new}", share=share, **facts)
        body = N_("{name} ({shop}, {platform}) drops from {old} to {new}.\n{url}", **facts)
    else:
        title = N_("Competitor price rises {share}: {name} {old} → {new}", share=share, **facts)
        body = N_("{name} ({shop}, {platform}) rises from {old} to {new}.\n{url}", **facts)
    return AlertRecord(
        dedup_key=f"price:move:{product.id}", kind="competitor_price_move", category="price", severity="info",
        subject=str(product.id), title=title, body=body,
        evidence={"product_id": product.id, "platform": product.platform, "url": product.url,
                  "title": product.title, "old_price": old, "new_price": new,
                  "old_observed_at": history[1].observed_at.isoformat(),
                  "new_observed_at": history[0].observed_at.isoformat()},
        suggestion=SUGGEST_MOVE)


def _band_shift_alerts(store: Store, products: dict[int, ProductRow], platform: str, keyword: str,
                       rules: PriceThresholds, searched: int | None) -> tuple[list[AlertRecord], int | None]:
    """Band shifts in the searches stored after the watermark `searched`, and the last search-result id judged.

    Each search is compared with the one before it, not all of them at once with the last one judged: that is
    what the operator would have heard had no cycle been killed, a shift told once, at the search where it
    happened. Merging the searches would turn two small moves into one alert no uninterrupted run raises, and
    silence a shift that reverted within them."""
    runs = store.search_runs(platform, keyword, after=searched)
    alerts = []
    for previous, run, following in zip(runs, runs[1:], [*runs[2:], None]):
        shift = _band_shift_alert(store, products, platform, keyword, rules, previous, run, following)
        if shift is not None:
            alerts.append(shift)
    return alerts, max((run.last_result_id for run in runs), default=None)


def _band(store: Store, products: dict[int, ProductRow], platform: str, keyword: str, run: SearchRun,
          before: datetime | None) -> PriceBand | None:
    """The band of the competitors a search listed, priced as known at `before` (None: as known now)."""
    ids = [hit.product_id for hit in store.search_results(platform, keyword, run_id=run.run_id)]
    rivals = [pid for pid in ids if not products[pid].own]
    return PriceBand.of([row.price for row in store.latest_prices(rivals, before=before).values()])


def _band_shift_alert(store: Store, products: dict[int, ProductRow], platform: str, keyword: str,
                      rules: PriceThresholds, previous: SearchRun, run: SearchRun,
                      following: SearchRun | None) -> AlertRecord | None:
    # A search's listings are priced as they stood until the next search began, before that crawl re-priced them.
    before = _band(store, products, platform, keyword, previous, run.observed_at)
    after = _band(store, products, platform, keyword, run, None if following is None else following.observed_at)
    if before is None or after is None or before.median <= 0:
        return None
    change = after.median - before.median
    if abs(change) < rules.min_abs_change or abs(change) / before.median * 100 < rules.band_shift_pct:
        return None
    return AlertRecord(
        dedup_key=f"price:band_shift:{platform}:{keyword}", kind="band_shift", category="price", severity="info",
        subject=keyword,
        title=N_("「{keyword}」 band moved on {platform}: median {before} → {after}", keyword=keyword,
                 platform=platform, before=money(before.median), after=money(after.median)),
        body=N_("The competitors' prices for 「{keyword}」 on {platform} moved: p25-p75 {before_p25}-{before_p75} → "
                "{after_p25}-{after_p75}, median {before} → {after}.", keyword=keyword, platform=platform,
                before_p25=money(before.p25), before_p75=money(before.p75), after_p25=money(after.p25),
                after_p75=money(after.p75), before=money(before.median), after=money(after.median)),
        evidence={"keyword": keyword, "platform": platform, "before": asdict(before), "after": asdict(after)},
        suggestion=SUGGEST_BAND_SHIFT)


def run(store: Store, config: Config, *, now: datetime) -> Findings:
    """Price alerts from the stored observations and searches, judging each one stored since the watermarks
    (`now` is unused: prices carry their own times)."""
    rules = config.thresholds.price
    depth = max(rules.debounce_observations, 2) + 1
    findings = Findings()
    judged = store.watermark(MONITOR, OBSERVATIONS)
    searched = store.watermark(MONITOR, SEARCHES)
    histories = store.recent_prices(limit=depth, after=judged)
    products = {product.id: product for product in store.products()}
    last_results = []
    for platform, keyword in store.searched_keywords():
        table = competitor_table(store, platform, keyword)
        findings.alerts += _undercut_alerts(config, keyword, table, histories, judged, depth)
        shifts, last_result = _band_shift_alerts(store, products, platform, keyword, rules, searched)
        findings.alerts += shifts
        last_results += [] if last_result is None else [last_result]
    if last_results:
        findings.watermarks[(MONITOR, SEARCHES)] = max(last_results)
    # An undercut alert already tells of that competitor's drop; a second "price moved" notice would be noise.
    undercutters = {alert.evidence["competitor_product_id"] for alert in findings.alerts
                    if alert.kind == "competitor_undercut"}
    for product_id, history in histories.items():
        product = products[product_id]
        for seen in histories_to_judge(history, judged, depth):
            if product.own:
                findings.alerts += _own_alerts(product, seen, rules)
            elif product_id not in undercutters:
                move = _move_alert(product, seen, rules)
                if move is not None:
                    findings.alerts.append(move)
    findings.judged(MONITOR, OBSERVATIONS, histories)
    return findings.first_per_key()
