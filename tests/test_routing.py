"""Tests of alert routing: immediate or digest per route (never both unless also_digest), group keys from
group_by, and the configuration's checks of the grouping keys. The outbox's grouping, timing, inhibition and
crash safety are in test_delivery.py, against a real SMTP server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from test_delivery import DIGEST, ONCALL, alert, make_config

from config import ConfigError, config_from_dict
from delivery.routing import deliveries_for, group_key
from store import Store, open_store

# The shipped config.toml's routes: on-call hears critical alerts at once; the digest address reads everything
# in its digest.
SHIPPED_ROUTES: list[dict[str, Any]] = [
    {"min_severity": "critical", "recipients": [ONCALL]},
    {"min_severity": "info", "recipients": [DIGEST], "send": "digest"},
]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with open_store(tmp_path / "var" / "shop.db") as opened:
        yield opened


def routed(store: Store, config, **fields: Any) -> set[tuple[str, str, str]]:
    row = store.get_alert(store.add_alert(alert(**fields)))
    return {(d.channel, d.destination, d.kind) for d in deliveries_for(row, config.alerts)}


def test_an_alert_goes_at_once_or_to_the_digest_never_both(tmp_path: Path, store: Store) -> None:
    config = make_config(tmp_path, 25, alerts={"routes": SHIPPED_ROUTES})
    assert routed(store, config, key="c", severity="critical") == {
        ("email", ONCALL, "immediate"), ("email", DIGEST, "digest")}
    assert routed(store, config, key="w", severity="warning") == {("email", DIGEST, "digest")}


def test_one_destination_in_two_routes_hears_at_once_only_unless_a_route_says_also_digest(
        tmp_path: Path, store: Store) -> None:
    both_routes = [{"min_severity": "critical", "recipients": [ONCALL]},
                   {"min_severity": "info", "recipients": [ONCALL], "send": "digest"}]
    config = make_config(tmp_path, 25, alerts={"routes": both_routes})
    assert routed(store, config, key="c1", severity="critical") == {("email", ONCALL, "immediate")}
    assert routed(store, config, key="w1", severity="warning") == {("email", ONCALL, "digest")}
    both_routes[0]["also_digest"] = True
    config = make_config(tmp_path, 25, alerts={"routes": both_routes})
    assert routed(store, config, key="c2", severity="critical") == {
        ("email", ONCALL, "immediate"), ("email", ONCALL, "digest")}


def test_send_and_the_global_digest_switches(tmp_path: Path, store: Store) -> None:
    at_once = make_config(tmp_path, 25, alerts={"routes": [{"recipients": [ONCALL], "send": "immediate"}]})
    assert routed(store, at_once, key="i", severity="info") == {("email", ONCALL, "immediate")}
    no_digests = make_config(tmp_path, 25, alerts={"digest": False, "routes": SHIPPED_ROUTES})
    assert routed(store, no_digests, key="w", severity="warning") == {("email", DIGEST, "immediate")}
    not_critical_first = make_config(tmp_path, 25, alerts={"critical_immediate": False, "routes": SHIPPED_ROUTES})
    assert routed(store, not_critical_first, key="c", severity="critical") == {
        ("email", ONCALL, "digest"), ("email", DIGEST, "digest")}


def test_the_default_group_is_category_and_subject(tmp_path: Path, store: Store) -> None:
    config = make_config(tmp_path, 25, alerts={"routes": SHIPPED_ROUTES})
    route = config.alerts.routes[0]
    assert route.group_by == ("category", "subject")
    rows = [store.get_alert(store.add_alert(alert(key, "critical", category, subject=subject)))
            for key, category, subject in (("a", "review", "17"), ("b", "review", "17"), ("c", "review", "18"),
                                           ("d", "price", "17"))]
    keys = [group_key(row, route) for row in rows]
    assert keys[0] == keys[1] == "category=review|subject=17"
    assert len(set(keys)) == 3
    [immediate] = [d for d in deliveries_for(rows[0], config.alerts) if d.kind == "immediate"]
    assert immediate.group_key == keys[0]
    assert {d.group_key for d in deliveries_for(rows[0], config.alerts) if d.kind == "digest"} == {""}


def test_a_custom_group_by(tmp_path: Path, store: Store) -> None:
    config = make_config(tmp_path, 25, alerts={"routes": [
        {"min_severity": "critical", "recipients": [ONCALL], "group_by": ["category"]},
        {"min_severity": "critical", "recipients": [DIGEST], "group_by": []}]})
    by_category, everything = config.alerts.routes
    review = store.get_alert(store.add_alert(alert("a", "critical", "review", subject="17")))
    other_product = store.get_alert(store.add_alert(alert("b", "critical", "review", subject="18")))
    assert group_key(review, by_category) == group_key(other_product, by_category) == "category=review"
    assert group_key(review, everything) == ""


@pytest.mark.parametrize(("route", "expected"), [
    ({"send": "digest", "also_digest": True}, 'expected also_digest only with send = "auto" or "immediate"'),
    ({"group_by": ["product"]}, ('alerts.routes[0].group_by[0]: expected one of "category", "kind", "severity",'
                                 ' "subject", got "product"')),
    ({"group_by": ["subject", "subject"]}, "expected group_by naming each label once"),
    ({"group_interval": "soon"}, 'alerts.routes[0].group_interval: expected a duration such as "30s"'),
])
def test_grouping_keys_are_checked_and_named(tmp_path: Path, route: dict[str, Any], expected: str) -> None:
    data = {"platforms": {"demo": {"name": "演示", "base_url": "http://127.0.0.1:9"}},
            "alerts": {"routes": [{"recipients": [ONCALL], **route}]}}
    with pytest.raises(ConfigError) as caught:
        config_from_dict(data, base_dir=tmp_path)
    assert expected in str(caught.value)
