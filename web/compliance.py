"""合规: paste listing titles, see each violation highlighted with its article, tier and suggested rewrite: the
same check as `agent.py check`, with the config's [compliance] dictionary. Below, our listings' breaches not yet
resolved, as the report lists them (reports/compliance.py)."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from config import PRODUCT_CATEGORIES
from i18n import _
from monitors.compliance import Violation, find_violations
from reports.compliance import ComplianceFinding, compliance_findings
from reports.period import Period
from store import Store
from store.timestamps import utc_now
from text_input import MAX_TEXT_CHARS
from web.auth import checked_form, require_role
from web.console import console_of, in_store, render, signed_in_user

MAX_TITLES = 500  # one paste; a whole catalogue goes through `agent.py check FILE`
BREACH_DAYS = 30  # our listings' breaches raised within this many days


@dataclass(frozen=True)
class Piece:
    text: str
    violation: int | None  # the index of the violation it is, None for text between violations


@dataclass(frozen=True)
class Checked:
    text: str
    violations: list[Violation]

    @property
    def pieces(self) -> list[Piece]:
        """The text cut into plain stretches and violations (numbered from 1, as the table below lists them)."""
        pieces, at = [], 0
        for number, violation in enumerate(self.violations, start=1):
            if violation.start < at:  # overlapping spans: the earlier one is already marked
                continue
            if violation.start > at:
                pieces.append(Piece(self.text[at:violation.start], None))
            pieces.append(Piece(self.text[violation.start:violation.end], number))
            at = violation.end
        if at < len(self.text):
            pieces.append(Piece(self.text[at:], None))
        return pieces


def titles_of(pasted: str) -> tuple[list[str], bool]:
    """The non-blank lines of a paste, each cut at MAX_TEXT_CHARS, at most MAX_TITLES; and whether any was left out."""
    lines = [line.strip()[:MAX_TEXT_CHARS] for line in pasted.splitlines() if line.strip()]
    return lines[:MAX_TITLES], len(lines) > MAX_TITLES


def _open_breaches(store: Store) -> list[ComplianceFinding]:
    """Our listings' breaches raised in the last BREACH_DAYS days and not resolved, newest first."""
    found = compliance_findings(store, Period.ending(utc_now(), BREACH_DAYS)).own
    return [finding for finding in found if finding.state != "resolved"]


async def show_checker(request: Request) -> Response:
    require_role(await signed_in_user(request), "viewer")
    breaches = await in_store(request, _open_breaches)
    return render(request, "compliance.html", categories=PRODUCT_CATEGORIES, category="general", pasted="",
                  results=None, cut=False, breaches=breaches, breach_days=BREACH_DAYS)


async def check_titles(request: Request) -> Response:
    require_role(await signed_in_user(request), "viewer")
    form = await checked_form(request)
    category = str(form.get("category", "general"))
    if category not in PRODUCT_CATEGORIES:
        category = "general"
    pasted = str(form.get("titles", ""))
    titles, cut = titles_of(pasted)
    settings = console_of(request).config.compliance

    def check() -> list[Checked]:
        return [Checked(title, find_violations(title, category=category, settings=settings)) for title in titles]

    results = await run_in_threadpool(check)
    breaches = await in_store(request, _open_breaches)
    return render(request, "compliance.html", categories=PRODUCT_CATEGORIES, category=category, pasted=pasted,
                  results=results, cut=cut, max_titles=MAX_TITLES, breaches=breaches, breach_days=BREACH_DAYS,
                  summary=_("{n} title(s) checked, {flagged} with violations.", n=len(results),
                            flagged=sum(1 for r in results if r.violations)))


routes = [
    Route("/compliance", show_checker, methods=["GET"], name="compliance"),
    Route("/compliance", check_titles, methods=["POST"]),
]
