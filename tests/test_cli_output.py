"""The command line's output helpers: column kinds at 80 columns on a terminal, whole lines in a pipe, "… and N
more", progress only on a terminal."""

from __future__ import annotations

import io
import re

import pytest

import i18n
from cli_output import CliConsole, more, print_table, progress_display, table

PATH = "/srv/shopsentinel/var/demo/outbox/2026-12-07T22-30-00-alert-42-immediate.eml"
URL = "https://item.taobao.com/item.htm?id=712345678901"
LONG_WORD = "supercalifragilisticexpialidocious"
REVIEW = f"New negative review 质量太差了 the zipper broke after {LONG_WORD} two days 用了两天就坏了 完全不能用 非常失望"
TITLE = "top pain points · 露营椅 (competitors' 12 negative reviews)"


def console(terminal: bool, width: int = 80) -> CliConsole:
    return CliConsole(file=io.StringIO(), width=width, force_terminal=terminal, color_system=None)


def printed(target: CliConsole) -> list[str]:
    return target.file.getvalue().splitlines()


def sample_table():
    grid = table(TITLE, [("id", "id"), ("file", "path"), ("url", "url"), "review", ("reviews", "number"),
                         "last error / note"])
    grid.add_row("42", PATH, URL, REVIEW, "1,234", "–")
    grid.add_row("7", "/tmp/a.eml", "https://x.example/1", "短评", "5", "–")
    return grid


def cells_of(lines: list[str], column: int) -> list[str]:
    """The stripped cells of one column in a table's body lines (│ separated)."""
    return [line.split("│")[column + 1].strip() for line in lines if line.startswith("│")]


def test_at_80_columns_paths_urls_ids_and_numbers_stay_whole_and_text_folds_between_words():
    terminal = console(terminal=True)
    print_table(sample_table(), terminal)
    lines = printed(terminal)
    assert lines[0] == TITLE, "the title is one line of its own, not wrapped into the table's width"
    assert any(PATH in line for line in lines) and any(URL in line for line in lines)
    assert "42" in cells_of(lines, 0) and "1,234" in cells_of(lines, 4)
    review = cells_of(lines, 3)
    assert len([cell for cell in review if cell]) > 1, "the free text column folds"
    assert LONG_WORD in review, "an ASCII word is never split"
    assert any("┃ last error / note ┃" in line for line in lines), "a header never folds"
    words = [word for cell in review for word in cell.split()]
    assert "zipper" in words and "broke" in words and "negative" in words


def test_a_table_that_fits_80_columns_is_not_widened():
    terminal = console(terminal=True)
    grid = table("crawl runs", [("run", "number"), ("platform", "id"), "errors"])
    grid.add_row("1", "shangcheng", "timeout×2")
    print_table(grid, terminal)
    assert max(len(line) for line in printed(terminal)) < 40


def test_text_columns_shrink_before_paths_are_cut():
    """The table goes over 80 columns only by what its unbreakable cells need."""
    terminal = console(terminal=True)
    print_table(sample_table(), terminal)
    body = [line for line in printed(terminal)[1:] if line]
    widest_cells = len(PATH) + len(URL) + len(LONG_WORD) + len("42") + len("reviews") + len("last error / note")
    assert max(len(line) for line in body) <= widest_cells + 6 * 3 + 1


def test_in_a_pipe_every_row_is_one_line_and_free_text_is_not_wrapped():
    pipe = console(terminal=False)
    print_table(sample_table(), pipe)
    lines = printed(pipe)
    assert lines[0] == TITLE
    [row] = [line for line in lines if PATH in line]
    assert URL in row and REVIEW in row and "1,234" in row
    pipe.print("x " * 100)
    assert printed(pipe)[-1].strip() == ("x " * 100).strip()


def test_on_a_terminal_free_text_wraps_at_its_width():
    terminal = console(terminal=True)
    terminal.print("word " * 40)
    assert len(printed(terminal)) > 1 and all(len(line) <= 80 for line in printed(terminal))


def test_on_a_terminal_a_path_longer_than_the_line_is_not_split():
    terminal = console(terminal=True, width=30)
    terminal.print(f"saved {PATH} for the outbox", highlight=False)
    assert printed(terminal) == [f"saved {PATH} for the outbox"]


def test_no_line_of_a_narrow_table_is_a_lone_character_of_its_title():
    terminal = console(terminal=True)
    grid = table("全网最低价 露营椅 第一品牌 国家级品质 检查结果", [("#", "number")])
    grid.add_row("1")
    print_table(grid, terminal)
    lines = printed(terminal)
    assert lines[0] == "全网最低价 露营椅 第一品牌 国家级品质 检查结果"
    assert not [line for line in lines if re.fullmatch(r"\s*[\u4e00-\u9fff]\s*", line)]


@pytest.mark.parametrize("terminal", [True, False])
def test_more_names_how_many_were_left_out_and_the_command(terminal):
    target = console(terminal)
    with i18n.using("en"):
        more(20, 35, "alerts list --limit 35", target)
        more(20, 20, "alerts list --limit 20", target)
    more(20, 35, "alerts list --limit 35", target)
    assert printed(target) == ["… and 15 more (see: python agent.py alerts list --limit 35)",
                               "…… 还有 15 条（查看：python agent.py alerts list --limit 35）"]


@pytest.mark.parametrize("terminal, enabled, shown", [(True, True, True), (False, True, False),
                                                      (True, False, False)])
def test_progress_shows_only_on_a_terminal_and_when_enabled(monkeypatch, terminal, enabled, shown):
    import cli_output

    monkeypatch.setattr(cli_output, "err", console(terminal))
    assert progress_display(enabled=enabled).disable is not shown


@pytest.mark.parametrize("seconds, shown", [(0.0, False), (0.3, True)])
def test_progress_appears_only_when_the_work_lasts(monkeypatch, seconds, shown):
    import time

    import cli_output

    terminal = console(terminal=True)
    monkeypatch.setattr(cli_output, "err", terminal)
    monkeypatch.setattr(cli_output, "SHOW_PROGRESS_AFTER", 0.1)
    with progress_display() as bar:
        bar.add_task("crawling", total=None)
        time.sleep(seconds)
    assert bool(terminal.file.getvalue()) is shown
