"""The message catalogue: every msgid in the code is translated into Chinese with the same placeholders, and the
translation functions pick the current locale."""

from __future__ import annotations

import os
import re
import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

import i18n
from i18n import N_, Message, _, ngettext

ROOT = Path(__file__).resolve().parent.parent
CATALOGUE = i18n.LOCALE_DIR / "zh_CN" / "LC_MESSAGES" / f"{i18n.DOMAIN}.po"


def extracted_msgids() -> set[str]:
    """The msgids `make messages` would extract, read with babel.cfg's own mapping."""
    from babel.messages.frontend import parse_mapping_cfg

    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords={"_": None, "N_": None, "ngettext": (1, 2)}):
        found.update(message if isinstance(message, tuple) else (message,))
    return found


def catalogue():
    with CATALOGUE.open("rb") as po:
        return read_po(po, locale="zh_CN")


def placeholders(text: str) -> set[str]:
    return {name for _text, name, _spec, _conv in string.Formatter().parse(text) if name is not None}


def test_every_string_in_the_code_is_translated() -> None:
    # A plural entry (ngettext) answers for its singular and its plural msgid, both extracted.
    translated = {msgid: message for message in catalogue() if message.id
                  for msgid in (message.id if isinstance(message.id, tuple) else (message.id,))}
    missing = sorted(msgid for msgid in extracted_msgids() if msgid not in translated
                     or not translated[msgid].string or translated[msgid].fuzzy)
    assert not missing, "not translated in zh_CN (run `make messages`, then translate):\n" + "\n".join(missing)


def test_the_catalogue_compiles_as_make_setup_compiles_it() -> None:
    """pybabel compile refuses a catalogue whose checks fail (an English "50% of" reads as a %-format to it)."""
    problems = [(message.id, errors) for message, errors in catalogue().check() if errors]
    assert not problems, problems


def test_translations_keep_their_placeholders() -> None:
    for message in catalogue():
        if not message.id or not message.string:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        for text in strings:
            assert placeholders(text) == placeholders(ids[-1]), (message.id, text)


def test_chinese_translations_are_chinese() -> None:
    """A zh_CN entry left in English (copied msgid) would pass the completeness test but not the operator."""
    for message in catalogue():
        if message.id and message.string:
            text = message.string if isinstance(message.string, str) else message.string[0]
            letters = re.sub(r"\{[^}]*\}|https?://\S+|[A-Za-z_]+\.(toml|py|json)|--?[a-z][a-z-]*|[A-Z]{2,}", "", text)
            assert re.search(r"[\u4e00-\u9fff]", letters) or not re.search(r"[A-Za-z]{4}", letters), message.id


@pytest.fixture
def tiny_catalogue(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A one-entry zh_CN catalogue (the real one changes as strings are added)."""
    folder = tmp_path / "zh_CN" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    (folder / f"{i18n.DOMAIN}.po").write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n"Plural-Forms: nplurals=1; plural=0;\\n"\n\n'
        'msgid "{name} has {count} new negative reviews"\nmsgstr "{name} 新增 {count} 条差评"\n\n'
        'msgid "Cat litter"\nmsgstr "猫砂"\n\n'
        'msgid "one more"\nmsgid_plural "{n} more"\nmsgstr[0] "还有 {n} 条"\n', encoding="utf-8")
    monkeypatch.setattr(i18n, "LOCALE_DIR", tmp_path)
    i18n.translations.cache_clear()
    yield tmp_path
    i18n.translations.cache_clear()


def test_underscore_translates_in_the_current_locale(tiny_catalogue: Path) -> None:
    assert _("{name} has {count} new negative reviews", name="猫砂", count=8) == "猫砂 新增 8 条差评"
    with i18n.using("en"):
        assert _("{name} has {count} new negative reviews", name="猫砂", count=8) == "猫砂 has 8 new negative reviews"
        assert ngettext("one more", "{n} more", 1) == "one more"
        assert ngettext("one more", "{n} more", 3) == "3 more"
    assert ngettext("one more", "{n} more", 3) == "还有 3 条"
    assert _("A string nobody translated") == "A string nobody translated"


def test_a_message_is_translated_when_rendered_and_survives_json(tiny_catalogue: Path) -> None:
    message = N_("{name} has {count} new negative reviews", name=N_("Cat litter"), count=2)
    stored = Message.from_json(message.to_json())
    assert stored == Message(message.msgid, {"name": Message("Cat litter", {}), "count": 2})
    assert str(stored) == "猫砂 新增 2 条差评"
    with i18n.using("en"):
        assert str(stored) == "Cat litter has 2 new negative reviews"


def test_a_compiled_catalogue_older_than_its_source_is_not_used(tiny_catalogue: Path) -> None:
    folder = tiny_catalogue / "zh_CN" / "LC_MESSAGES"
    (folder / f"{i18n.DOMAIN}.mo").write_bytes(b"stale, not even a catalogue")
    po = folder / f"{i18n.DOMAIN}.po"
    os.utime(folder / f"{i18n.DOMAIN}.mo", (po.stat().st_mtime - 60,) * 2)
    assert _("{name} has {count} new negative reviews", name="x", count=1) == "x 新增 1 条差评"


@pytest.mark.parametrize(("name", "expected"), [("zh_CN", "zh_CN"), ("zh-CN", "zh_CN"), ("zh", "zh_CN"),
                                                ("en", "en"), ("en_US", "en"), ("EN-gb", "en")])
def test_locale_names(name: str, expected: str) -> None:
    assert i18n.checked_locale(name) == expected


def test_an_unknown_locale_is_refused() -> None:
    with pytest.raises(i18n.UnknownLocaleError, match="zh_CN, en"):
        i18n.checked_locale("fr")


def test_numbers_follow_the_locale() -> None:
    assert i18n.number(1234.5, digits=2) == "1,234.50"
    assert i18n.percent(0.126) == "13%"
    assert i18n.percent(0.125, digits=1) == "12.5%"
