"""nlp.rated_files and `agent.py nlp train --from`: each format and encoding of exported rated reviews, the star
rule, placeholders, duplicates, contradictions, bad rows by line, and that a file that fails trains nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import i18n
from nlp import sentiment as S
from nlp.rated_files import FileSummary, RatedFilesError, read_rated_files

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "rated"
GB18030_CSV = FIXTURES / "shengyicanmou_gb18030.csv"   # 评价内容,评分; CRLF, as Chinese Excel saves it
UTF8_SIG_TSV = FIXTURES / "jd_utf8sig.tsv"             # content<TAB>score, with a BOM
JSON_LINES = FIXTURES / "reviews.jsonl"                # label pos/neg/1/0, one row with stars


def counts(summary: FileSummary) -> dict[str, int]:
    return {name: getattr(summary, name) for name in ("rows", "pos", "neg", "three_stars", "placeholders",
                                                      "duplicates", "contradictions", "bad_rows")}


def test_gb18030_csv_with_chinese_headers() -> None:
    imported = read_rated_files([GB18030_CSV])
    assert [(r.text, r.label, r.line) for r in imported.reviews] == [
        ("洗了一次就起球，差评", "neg", 2), ("起球严重，不会再买", "neg", 3), ("面料柔软,穿着舒服", "pos", 4),
        ("尺码标准，颜色正", "pos", 5)]
    summary = imported.files[0]
    assert counts(summary) == {"rows": 9, "pos": 2, "neg": 2, "three_stars": 1, "placeholders": 1,
                               "duplicates": 1, "contradictions": 0, "bad_rows": 2}
    assert summary.problems == ["line 9: no text", "line 10: stars '9' outside 1-5"]


def test_utf8_sig_tsv() -> None:
    summary = read_rated_files([UTF8_SIG_TSV]).files[0]
    assert counts(summary) | {"problems": summary.problems} == {
        "rows": 3, "pos": 1, "neg": 1, "three_stars": 0, "placeholders": 0, "duplicates": 0, "contradictions": 0,
        "bad_rows": 1, "problems": ["line 4: no stars"]}


def test_json_lines_with_labels() -> None:
    imported = read_rated_files([JSON_LINES])
    assert [(r.text, r.label) for r in imported.reviews] == [
        ("起球了，退货", "neg"), ("做工精细，推荐", "pos"), ("面料柔软，穿着舒服", "pos")]
    summary = imported.files[0]
    assert counts(summary) == {"rows": 8, "pos": 2, "neg": 1, "three_stars": 0, "placeholders": 1,
                               "duplicates": 0, "contradictions": 2, "bad_rows": 2}
    assert summary.problems == ["line 6: label 'meh' is not pos, neg, 1 or 0",
                                "line 7: not valid JSON (Expecting value)"]


def test_duplicates_and_contradictions_span_files() -> None:
    imported = read_rated_files([GB18030_CSV, JSON_LINES])
    csv_summary, json_summary = imported.files
    assert json_summary.duplicates == 1, "面料柔软，穿着舒服 came first in the CSV (same text but for the comma)"
    assert (csv_summary.pos, json_summary.pos) == (2, 1)
    assert sum(r.text.startswith("面料柔软") for r in imported.reviews) == 1


def test_a_text_with_both_labels_is_dropped_wherever_it_is(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text('{"text": "还可以", "stars": 5}\n{"text": "很好", "stars": 5}\n', "utf-8")
    (tmp_path / "b.csv").write_text("text,label\n还可以,neg\n", encoding="utf-8")
    imported = read_rated_files([tmp_path / "a.jsonl", tmp_path / "b.csv"])
    assert [r.text for r in imported.reviews] == ["很好"]
    assert [s.contradictions for s in imported.files] == [1, 1]


def test_star_rule_is_the_one_weak_labels_use() -> None:
    assert [S.star_label(stars) for stars in (1, 2, 2.5, 3, 3.5, 4, 5)] == ["neg", "neg", None, None, None,
                                                                             "pos", "pos"]


def test_first_bad_rows_are_named_then_counted(tmp_path: Path) -> None:
    path = tmp_path / "many.csv"
    path.write_text("text,stars\n" + "坏,0\n" * 8 + "好,5\n", encoding="utf-8")
    summary = read_rated_files([path]).files[0]
    assert summary.bad_rows == 8 and len(summary.problems) == 5 and summary.problems[0] == "line 2: stars '0' outside 1-5"


@pytest.mark.parametrize(("content", "message"), [
    (None, "cannot read"),
    (b"\x89PNG\r\n\x1a\n\x00\x00", "GB18030 text"),
    (b"", "holds no reviews"),
    ("标题,评分\n好,5\n".encode(), "no text column"),
    ("评价内容,日期\n好,2026-01-01\n".encode(), "no stars column"),
    ('{"comment": "好"}\n'.encode(), "not one usable row"),
], ids=["missing", "binary", "empty", "no-text-column", "no-rating-column", "no-usable-row"])
def test_unusable_file_is_an_error_naming_it(tmp_path: Path, content: bytes | None, message: str) -> None:
    path = tmp_path / "export.csv"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(RatedFilesError) as raised, i18n.using("en"):  # the reading's words, asserted in English
        read_rated_files([UTF8_SIG_TSV, path])
    assert len(raised.value.problems) == 1 and str(path) in raised.value.problems[0]
    assert message in raised.value.problems[0]


# --- the command line: agent.py nlp train --from -----------------------------------------------------------------

def test_cli_trains_with_imported_reviews_and_the_new_model_is_used(tmp_path: Path, small_corpus_only: None) -> None:
    from typer.testing import CliRunner

    from agent import app
    from conftest import fast_config

    config = fast_config(tmp_path)
    trained = CliRunner().invoke(app, ["--config", str(config), "nlp", "train", "--json",
                                       "--from", str(GB18030_CSV), "--from", str(JSON_LINES)])
    assert trained.exit_code == 0, trained.output
    summary = json.loads(trained.stdout)
    imported = next(s for s in summary["sources"] if s["name"] == S.IMPORTED_SOURCE)
    assert imported["lines"] == 6 and imported["licence"] == "own export"
    assert [f["file"] for f in summary["imported"]] == [str(GB18030_CSV), str(JSON_LINES)]
    assert summary["imported"][0]["problems"] == ["line 9: no text", "line 10: stars '9' outside 1-5"]
    assert summary["promoted"] and S.load(tmp_path / "var" / "models").version == summary["version"]
    scored = CliRunner().invoke(app, ["--config", str(config), "sentiment", "-"], input="衣服起球\n")
    assert scored.exit_code == 0, scored.output
    assert summary["version"] in scored.stdout and "neg" in scored.stdout, "起球 is known only from the import"


def test_cli_trains_nothing_when_one_file_fails(tmp_path: Path, small_corpus_only: None) -> None:
    from typer.testing import CliRunner

    from agent import ExitCode, app
    from conftest import fast_config

    config = fast_config(tmp_path)
    missing = tmp_path / "missing.csv"
    result = CliRunner().invoke(app, ["--config", str(config), "nlp", "train", "--from", str(JSON_LINES),
                                      "--from", str(missing)])
    assert result.exit_code == ExitCode.USAGE
    assert "nothing trained" in result.output and str(missing) in result.output
    assert not (tmp_path / "var" / "models").exists()


def test_cli_table_names_bad_rows(tmp_path: Path, small_corpus_only: None) -> None:
    from typer.testing import CliRunner

    from agent import app
    from conftest import fast_config

    result = CliRunner().invoke(app, ["--config", str(fast_config(tmp_path)), "nlp", "train", "--no-weak",
                                      "--from", str(UTF8_SIG_TSV)])
    assert result.exit_code == 0, result.output
    assert "imported rated reviews" in result.stdout and f"{UTF8_SIG_TSV}: line 4: no stars" in result.output
