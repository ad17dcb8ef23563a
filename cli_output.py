"""How the command line prints for people: the two consoles, tables whose columns say what they hold, "… and N
more" for cut lists, progress bars and `--json` lines. `agent.py` renders through these.

Two audiences: a terminal, whose width tables fit where they can, and a pipe (`| grep`, `| cut`, a log), which gets
whole lines: free text is never hard-wrapped and a table row is one line however wide. Either way a path, URL, id,
number or ASCII word is never split over two lines: a table grows wider than the terminal rather than break one
(the terminal then wraps it visually, which copying undoes).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable
from typing import Literal

from rich.console import Console, RenderableType
from rich.markup import escape
from rich.measure import Measurement
from rich.progress import Progress, ProgressColumn
from rich.segment import Segments
from rich.cells import cell_len
from rich.table import Column, Table
from rich.text import Text

from i18n import _

ColumnKind = Literal["text", "path", "url", "id", "number"]

# Width every table is measured at before it is fitted: wider than any row we print.
UNBOUNDED = 10_000
# Runs of characters a line may not be broken inside: everything but spaces and CJK (Chinese breaks between any two
# characters; its full-width punctuation too).
UNBREAKABLE = re.compile(r"[^\s\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]+")


class CliConsole(Console):
    """A Console that hard-wraps free text only on a terminal: in a pipe a message stays one line, so grep finds
    it whole. On a terminal, text holding a word longer than the line (a path, a URL) is not wrapped either: rich
    would fold that word mid-way, while the terminal's own wrapping is undone by copying. A caller's explicit
    soft_wrap wins."""

    def print(self, *objects, soft_wrap: bool | None = None, **kwargs) -> None:
        if soft_wrap is None:
            soft_wrap = not self.is_terminal or any(longest_word(self, o, markup=kwargs.get("markup")) > self.width
                                                    for o in objects)
        super().print(*objects, soft_wrap=soft_wrap, **kwargs)


out = CliConsole()
err = CliConsole(stderr=True)


def styled(text: str, style: str) -> str:
    """`text` in `style`, as console markup for a printed line; the text itself is never read as markup."""
    return f"[{style}]{escape(text)}[/]"


def json_line(data, *, flush: bool = False) -> None:
    """One line of `--json` output on stdout: Chinese as it is, and values JSON has no type for (dates, paths) as
    strings."""
    print(json.dumps(data, ensure_ascii=False, default=str), flush=flush)


class CliTable(Table):
    """A table whose title prints as a line of its own above it: a title inside the table is wrapped to the table's
    width, which breaks a long one character by character over a narrow table."""

    def __init__(self, heading: str, *columns: Column) -> None:
        super().__init__(*columns)
        self.heading = heading

    def __rich_console__(self, console, options):
        if self.heading:
            yield Text(self.heading, style="italic", no_wrap=True, overflow="ignore")
        yield from super().__rich_console__(console, options)


def column(header: str, kind: ColumnKind = "text") -> Column:
    """A column by what it holds. `text` wraps at spaces (Chinese between characters) and never inside an ASCII
    word (print_table widens the column to its longest one); `path`, `url` and `id` never wrap; `number` never wraps,
    is right-aligned and keeps at least its header's width."""
    if kind == "text":
        return Column(header, overflow="fold")
    if kind == "number":
        return Column(header, justify="right", no_wrap=True, min_width=cell_len(header))
    # Ellipsis only as a last resort, when even the widened table cannot show the whole value.
    return Column(header, no_wrap=True, overflow="ellipsis")


def table(title: str, columns: Iterable[tuple[str, ColumnKind] | str]) -> CliTable:
    """A table of `columns`, each a header or (header, kind); print it with print_table."""
    return CliTable(title, *(column(c) if isinstance(c, str) else column(*c) for c in columns))


def print_table(grid: Table, console: CliConsole = out) -> None:
    """Prints a table at the width that breaks no path, URL, id, number or ASCII word: on a terminal the terminal's
    width when that is enough, else the narrowest width that is; in a pipe its natural width (one line per row)."""
    widths = fitted_widths(console, grid)
    width = max(console.width, widths.minimum) if console.is_terminal else widths.maximum
    lines = console.render(grid, console.options.update_width(width))
    # Console.print caps the width at the console's own: the rendered lines are printed as they are instead.
    console.print(Segments(lines), crop=False, soft_wrap=True)


def fitted_widths(console: Console, grid: Table) -> Measurement:
    """The table's natural width (maximum) and the narrowest width (minimum) at which every no_wrap column is whole
    and every other column is at least as wide as its header and its longest ASCII word, which then becomes the
    column's min_width so the table's own shrinking never goes below it."""
    options = console.options.update_width(UNBOUNDED)
    natural = Measurement.get(console, options, grid).maximum
    saved = 0
    for col in grid.columns:
        if col.no_wrap:
            continue
        cells = [col.header, *col.cells] if grid.show_header else list(col.cells)
        widest = max((Measurement.get(console, options, cell).maximum for cell in cells), default=0)
        word = max((longest_word(console, cell) for cell in col.cells), default=1)
        # A header is a label: folded, it reads as several.
        header = Measurement.get(console, options, col.header).maximum if grid.show_header else 0
        col.min_width = max(col.min_width or 0, word, header)
        saved += max(widest - col.min_width, 0)
    return Measurement(natural - saved, natural)


def longest_word(console: Console, cell: RenderableType, markup: bool | None = None) -> int:
    """Cells of the longest run of the cell's text that a line must not break (`markup`: as Console.print takes it,
    so markup is read only where the console reads it)."""
    plain = (cell.plain if isinstance(cell, Text) else console.render_str(cell, markup=markup).plain
             if isinstance(cell, str) else "")
    return max((Text(run).cell_len for run in UNBREAKABLE.findall(plain)), default=1)


def more(shown: int, total: int, command: str, console: CliConsole = out) -> None:
    """Under a list cut at `shown` of `total` entries, how many were left out and the command that lists them."""
    if total > shown:
        console.print(Text(_("… and {n} more (see: {command})", n=total - shown,
                             command="python agent.py " + command), style="dim"))



SHOW_PROGRESS_AFTER = 1.0  # seconds: work done sooner prints no progress display at all (no flicker)


class DelayedProgress(Progress):
    """A Progress that appears only once its work has taken SHOW_PROGRESS_AFTER seconds."""

    def start(self) -> None:
        if self.disable:
            return
        self._shown = threading.Lock()
        self._stopped = False
        self._timer = threading.Timer(SHOW_PROGRESS_AFTER, self._show)
        self._timer.daemon = True
        self._timer.start()

    def _show(self) -> None:
        with self._shown:   # a stop racing the timer wins: nothing starts after it
            if not self._stopped:
                super().start()

    def stop(self) -> None:
        if self.disable:
            return
        self._timer.cancel()
        with self._shown:
            self._stopped = True
            super().stop()


def progress_display(*columns: str | ProgressColumn, enabled: bool = True) -> Progress:
    """A progress display on stderr that appears after a second of work and disappears when done, and stays silent
    unless stderr is a terminal (a pipe or a log would get every redraw) and `enabled` (off for --json)."""
    return DelayedProgress(*columns, console=err, transient=True, disable=not (enabled and err.is_terminal))
