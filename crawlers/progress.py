"""Progress of a crawl process as JSON lines on stdout, one event per line, for the parent to display."""

from __future__ import annotations

import json
from dataclasses import asdict, is_dataclass
from typing import Any


def emit(event: dict[str, Any]) -> None:
    print(json.dumps(event, ensure_ascii=False, default=str), flush=True)


def on_response(response, request, spider) -> None:
    emit({"event": "page", "platform": request.meta.get("platform"), "kind": request.meta.get("page_kind"),
          "status": response.status, "url": response.url})


def on_item(item, response, spider) -> None:
    emit(item_event(item))


def item_event(item: Any) -> dict[str, Any]:
    """The progress event of an item: its type, platform and how many entries (reviews, hits, terms) it holds."""
    entries = getattr(item, "reviews", None) or getattr(item, "hits", None) or getattr(item, "terms", None)
    return {"event": "item", "type": type(item).__name__, "platform": getattr(item, "platform", None),
            "count": len(entries) if entries is not None else 1}


def emit_item(item: Any) -> None:
    """An item itself, for `extract --url`: what the page showed, not stored anywhere."""
    emit({"event": "extracted", "type": type(item).__name__, **(asdict(item) if is_dataclass(item) else {})})
