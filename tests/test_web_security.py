"""The console's defences, tried with a plain HTTP client against the real server (`agent.py serve` on a loopback
port): no page or action without a session, roles, CSRF tokens, escaping of crawled text, the sign-in throttle,
security headers; and the throttle, passwords and accounts on their own."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import fast_config
from console_server import Browser, add_accounts, serving
from store import AlertRecord, PriceObservation, ProductRecord, SearchHit, UserRecord, open_store
from web.auth import hash_password

SCRIPT = "<script>document.title='pwned'</script>"
PER_ADDRESS = 8


@pytest.fixture(scope="module")
def console(tmp_path_factory) -> Iterator[tuple[str, Path]]:
    """A console over a store holding two alerts and a searched keyword, some of it carrying crawled markup."""
    folder = tmp_path_factory.mktemp("console")
    config = fast_config(folder, login_failures_per_address=PER_ADDRESS)
    with open_store(folder / "var" / "shopsentinel.db") as store:
        add_accounts(store)
        product = store.upsert_product(ProductRecord(platform="shangcheng", url="http://127.0.0.1:1/item/1",
                                                     item_id="1", title=f"露营椅 {SCRIPT}"))
        run = store.begin_run("search", platform="shangcheng")
        store.add_search_results("shangcheng", "露营椅", [SearchHit(rank=1, product_id=product)], run_id=run)
        store.add_price_observation(product, PriceObservation(price=59.0), run_id=run)
        store.finish_run(run, "ok")
        for key, title in (("a", f"新差评：{SCRIPT}"), ("b", "售价低于成本")):
            store.add_alert(AlertRecord(dedup_key=key, kind="negative_review", category="review",
                                        severity="critical", subject=str(product), title=title,
                                        body=f"评价：{SCRIPT}", evidence={"text": SCRIPT, "rating": 1,
                                                                          "respond_by": "2026-01-01T00:00:00+00:00"}))
    with serving(config) as base:
        yield base, folder / "var" / "shopsentinel.db"


def state_of(db: Path, alert_id: int) -> str:
    with open_store(db) as store:
        return store.get_alert(alert_id).state


pytestmark = pytest.mark.integration


def test_nothing_is_shown_or_done_without_a_session(console) -> None:
    base, db = console
    anonymous = Browser(base)
    for path in ("/alerts", "/alerts/1", "/compliance", "/competitors"):
        answer = anonymous.get(path)
        assert answer.status == 303 and "/signin" in answer.location(), path
        assert "售价低于成本" not in answer.body
    token = anonymous.csrf()  # a session without a user: the token alone is not a sign-in
    answer = anonymous.post("/alerts/2/acknowledge", {"csrf_token": token})
    assert answer.status == 303 and "/signin" in answer.location()
    assert state_of(db, 2) == "new"


def test_a_viewer_reads_but_cannot_acknowledge(console) -> None:
    base, db = console
    viewer = Browser(base)
    assert viewer.sign_in("zhao").status == 303
    page = viewer.get("/alerts/2")
    assert page.status == 200 and "售价低于成本" in page.body and "/acknowledge" not in page.body
    answer = viewer.post("/alerts/2/acknowledge", {"csrf_token": viewer.csrf("/alerts")})
    assert answer.status == 403
    answer = viewer.post("/alerts/2/notes", {"csrf_token": viewer.csrf("/alerts"), "note": "x"})
    assert answer.status == 403
    assert state_of(db, 2) == "new"
    with open_store(db) as store:
        assert store.alert_history(2) == []


def test_a_form_without_the_session_s_csrf_token_is_refused(console) -> None:
    base, db = console
    operator, other = Browser(base), Browser(base)
    operator.sign_in("wang")
    other.sign_in("li")
    for fields in ({}, {"csrf_token": ""}, {"csrf_token": other.csrf("/alerts")}):  # none, empty, another's
        answer = operator.post("/alerts/2/acknowledge", fields)
        assert answer.status == 403, fields
    assert state_of(db, 2) == "new"
    answer = operator.post("/alerts/2/acknowledge", {"csrf_token": operator.csrf("/alerts")})
    assert answer.status == 303 and state_of(db, 2) == "acknowledged"
    with open_store(db) as store:
        assert [(e.action, e.actor) for e in store.alert_history(2)] == [("acknowledged", "wang")]


def test_crawled_markup_is_shown_as_text_everywhere(console) -> None:
    base, _db = console
    operator = Browser(base)
    operator.sign_in("wang")
    operator.post("/alerts/1/notes", {"csrf_token": operator.csrf("/alerts"), "note": SCRIPT})
    escaped = "&lt;script&gt;document.title=&#39;pwned&#39;&lt;/script&gt;"
    pages = {path: operator.get(path).body for path in ("/alerts", "/alerts/1", "/competitors", "/reviews")}
    for path, body in pages.items():
        assert escaped in body, path
        assert "<script" not in body, path
    # the title (in <title> and the heading), the product it is about, the body, the evidence, the note
    assert pages["/alerts/1"].count(escaped) == 6
    checked = operator.post("/compliance", {"csrf_token": operator.csrf("/compliance"), "titles": SCRIPT + " 最好",
                                            "category": "general"}).body
    assert escaped in checked and "<script" not in checked and "<mark" in checked


def test_wrong_passwords_make_sign_in_wait_for_that_name_and_then_that_address(tmp_path) -> None:
    config = fast_config(tmp_path, login_failures_per_address=PER_ADDRESS)
    with open_store(tmp_path / "var" / "shopsentinel.db") as store:
        add_accounts(store)
    with serving(config) as base:  # a server of its own: this test leaves its address throttled
        guesser = Browser(base)
        for _ in range(5):  # [web] login_failures of the shipped config
            assert guesser.sign_in("li", "wrong-password").status == 401
        refused = guesser.sign_in("li")  # now even the right password waits
        assert refused.status == 429 and 0 < int(refused.headers["retry-after"]) <= 15 * 60
        assert guesser.get("/alerts").status == 303, "not signed in"
        assert Browser(base).sign_in("wang").status == 303, "another name from the same address still may"
        for _ in range(PER_ADDRESS - 5 - 1):  # wrong names count against the address too
            assert guesser.sign_in("nobody", "wrong-password").status == 401
        assert guesser.sign_in("nobody", "wrong-password").status == 401
        assert Browser(base).sign_in("zhao").status == 429, "the address has used up its attempts"


def test_every_answer_carries_the_security_headers_and_the_cookie_is_strict(console) -> None:
    base, _db = console
    client = Browser(base)
    answers = [client.get("/signin"), client.sign_in("zhao"), client.get("/alerts"), client.get("/nowhere"),
               client.get("/static/console.css")]
    for answer in answers:
        policy = answer.headers["content-security-policy"]
        assert "default-src 'none'" in policy and "frame-ancestors 'none'" in policy and "script-src" not in policy
        assert answer.headers["x-frame-options"] == "DENY" and answer.headers["referrer-policy"] == "no-referrer"
    assert answers[2].headers["cache-control"] == "no-store" and answers[3].status == 404
    cookie = answers[1].headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert "<script" not in answers[2].body and "<style" not in answers[2].body and " style=" not in answers[2].body


def test_removing_an_account_ends_its_sessions_at_the_next_click(console) -> None:
    base, db = console
    with open_store(db) as store:
        store.add_user(UserRecord(name="temp", role="operator", password_hash=hash_password("temporary-pw")))
    client = Browser(base)
    assert client.sign_in("temp", "temporary-pw").status == 303
    assert client.get("/alerts").status == 200
    with open_store(db) as store:
        store.remove_user("temp")
    answer = client.get("/alerts")
    assert answer.status == 303 and "/signin" in answer.location()


def test_an_action_while_another_process_holds_the_write_lock_says_busy_and_changes_nothing(console) -> None:
    base, db = console
    operator = Browser(base)
    operator.sign_in("li")
    token = operator.csrf("/alerts")
    holder = sqlite3.connect(db, isolation_level=None)
    try:
        holder.execute("BEGIN IMMEDIATE")  # a backup or a crawl writing, past the console's busy timeout
        answer = operator.post("/alerts/1/resolve", {"csrf_token": token})
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert answer.status == 503 and answer.headers["retry-after"] == "5" and "数据库正忙" in answer.body
    assert state_of(db, 1) != "resolved"


def test_only_an_admin_manages_accounts_and_the_new_account_signs_in(console) -> None:
    base, db = console
    operator, admin = Browser(base), Browser(base)
    operator.sign_in("wang")
    assert operator.get("/users").status == 403
    assert operator.post("/users", {"csrf_token": operator.csrf("/alerts"), "name": "evil", "role": "admin",
                                    "password": "evil-password", "password_again": "evil-password"}).status == 403
    assert admin.sign_in("sun").status == 303
    token = admin.csrf("/users")
    fields = {"csrf_token": token, "name": "zhou", "role": "viewer", "password": "zhou-viewer-pw"}
    admin.post("/users", {**fields, "password_again": "zhou-other-pw"})
    assert "两次输入的密码不一致" in admin.get("/users").body
    assert admin.post("/users", {**fields, "password_again": "zhou-viewer-pw"}).status == 303
    assert Browser(base).sign_in("zhou", "zhou-viewer-pw").status == 303
    assert admin.post("/users/zhou/remove", {"csrf_token": token}).status == 303
    assert admin.post("/users/sun/remove", {"csrf_token": token}).status == 303  # not their own account
    with open_store(db) as store:
        assert store.user("zhou") is None and store.user("evil") is None and store.user("sun") is not None
