"""告警: open alerts first, filtered by category, severity and product; one alert with its evidence, suggested
action, delivery history and what people did to it; acknowledge, resolve, add a note (operators)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from i18n import _
from config import SEVERITIES
from delivery.evidence import read_evidence
from store import AlertRow, AlertStateError, InvalidRecordError, NotFoundError, Store
from store.alerts import MAX_NOTE_CHARS
from store.timestamps import utc_now
from web.auth import checked_form, require_role
from web.console import console_of, flash, in_store, path_for, render, signed_in_user

LIST_LIMIT = 100  # the person on duty reads the top of the list; filters reach the rest


@dataclass(frozen=True)
class Filters:
    category: str | None
    severity: str | None
    subject: str | None

    @classmethod
    def of(cls, request: Request) -> Filters:
        def chosen(key: str) -> str | None:
            return request.query_params.get(key) or None

        severity = chosen("severity")
        return cls(chosen("category"), severity if severity in SEVERITIES else None, chosen("product"))


@dataclass(frozen=True)
class AlertList:
    alerts: list[AlertRow]
    categories: list[str]
    subjects: list[tuple[str, str]]   # (subject, what to call it): products by title, others as they are
    names: dict[str, str]             # subject -> its name, for the list's product column


def _subject_names(store: Store, subjects: list[str]) -> dict[str, str]:
    """Product subjects (ids) named by their titles; keywords and platforms stay as they are."""
    names = store.product_names(int(s) for s in subjects if s.isdigit())
    return {s: names.get(int(s), s) if s.isdigit() else s for s in subjects}


def _alert_list(store: Store, filters: Filters) -> AlertList:
    rows = store.alerts_open_first(category=filters.category, severity=filters.severity, subject=filters.subject,
                                   limit=LIST_LIMIT)
    categories, subjects = store.alert_facets()
    names = _subject_names(store, subjects)
    return AlertList(rows, categories, sorted(names.items(), key=lambda item: item[1]), names)


async def list_alerts(request: Request) -> Response:
    require_role(await signed_in_user(request), "viewer")
    filters = Filters.of(request)
    found = await in_store(request, lambda store: _alert_list(store, filters))
    return render(request, "alerts.html", found=found, filters=filters, severities=SEVERITIES, limit=LIST_LIMIT)


def _alert_page(store: Store, alert_id: int, zone: tzinfo) -> dict[str, Any]:
    try:
        alert = store.get_alert(alert_id)
    except NotFoundError:
        raise HTTPException(404, _("There is no alert #{id}.", id=alert_id)) from None
    # The e-mails' reading of the evidence: labelled rows, formatted values, links apart
    evidence = read_evidence(alert.evidence, zone, utc_now().astimezone(zone).year)
    return {"alert": alert, "subject": _subject_names(store, [alert.subject])[alert.subject] if alert.subject else None,
            "evidence": evidence, "deliveries": store.deliveries(alert_id=alert_id),
            "history": store.alert_history(alert_id)}


async def show_alert(request: Request) -> Response:
    require_role(await signed_in_user(request), "viewer")
    alert_id = request.path_params["alert_id"]
    zone = console_of(request).config.schedule.tzinfo
    page = await in_store(request, lambda store: _alert_page(store, alert_id, zone))
    return render(request, "alert.html", note_limit=MAX_NOTE_CHARS, **page)


async def _change(request: Request, action: str) -> Response:
    """An operator's change to one alert, recorded in its history with their name; back to where they clicked."""
    user = require_role(await signed_in_user(request), "operator")
    form = await checked_form(request)
    alert_id = request.path_params["alert_id"]

    def change(store: Store) -> None:
        if action == "acknowledge":
            store.acknowledge_alert(alert_id, by=user.name)
        elif action == "resolve":
            store.resolve_alert(alert_id, by=user.name)
        else:
            store.add_alert_note(alert_id, str(form.get("note", "")), by=user.name)

    try:
        await in_store(request, change)
    except NotFoundError:
        raise HTTPException(404, _("There is no alert #{id}.", id=alert_id)) from None
    except AlertStateError:
        flash(request, _("Alert #{id} had already changed; this is its state now.", id=alert_id))
    except InvalidRecordError:
        flash(request, _("A note must hold some text, at most {n} characters.", n=MAX_NOTE_CHARS))
    back = path_for(request, "alerts") if form.get("back") == "list" else path_for(request, "alert", alert_id=alert_id)
    return RedirectResponse(back, status_code=303)


async def acknowledge(request: Request) -> Response:
    return await _change(request, "acknowledge")


async def resolve(request: Request) -> Response:
    return await _change(request, "resolve")


async def add_note(request: Request) -> Response:
    return await _change(request, "note")


routes = [
    Route("/alerts", list_alerts, methods=["GET"], name="alerts"),
    Route("/alerts/{alert_id:int}", show_alert, methods=["GET"], name="alert"),
    Route("/alerts/{alert_id:int}/acknowledge", acknowledge, methods=["POST"], name="acknowledge"),
    Route("/alerts/{alert_id:int}/resolve", resolve, methods=["POST"], name="resolve"),
    Route("/alerts/{alert_id:int}/notes", add_note, methods=["POST"], name="note"),
]
