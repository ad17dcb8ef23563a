"""Every operator-facing string goes through here: one gettext catalogue (domain `shopsentinel`), Chinese by default.

Source strings (msgids) are English, written in the code where they are used, so `en` needs no catalogue and
`zh_CN` is `i18n/locale/zh_CN/LC_MESSAGES/shopsentinel.po`. Placeholders are `str.format` names (`{name}`), which a
translation may reorder but must keep (tests/test_i18n.py checks). `make messages` extracts the msgids with Babel and
updates the catalogue; `make setup` compiles it to `.mo` (never committed).

Two ways to translate:
- `_(msgid, **params)` translates now, in the current locale: CLI output, reports, e-mails being rendered.
- `N_(msgid, **params)` makes a `Message`, translated only when it is rendered. Monitors raise alerts as
  Messages, so a stored alert reads in whichever language it is shown in, not the one it was raised in.

The current locale is a context variable: the CLI sets it once from `--lang` or the config, and delivery renders
with `using(config locale)`. Babel formats numbers in it.
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal, Union

DOMAIN = "shopsentinel"
LOCALE_DIR = Path(__file__).parent / "locale"
Locale = Literal["zh_CN", "en"]
LOCALES: tuple[Locale, ...] = ("zh_CN", "en")
DEFAULT_LOCALE: Locale = "zh_CN"

_current: ContextVar[Locale] = ContextVar("locale", default=DEFAULT_LOCALE)

Param = Union[str, int, float, "Message", None]


class UnknownLocaleError(ValueError):
    """A locale name that is not one of LOCALES."""


def checked_locale(name: str) -> Locale:
    """`name` as a Locale; accepts the common spellings zh-CN, zh_cn, zh, en_US, en-GB."""
    folded = name.strip().replace("-", "_").lower()
    if folded in ("zh", "zh_cn", "zh_hans", "zh_hans_cn"):
        return "zh_CN"
    if folded == "en" or folded.startswith("en_"):
        return "en"
    raise UnknownLocaleError(f"unknown language {name!r}: expected one of {', '.join(LOCALES)}")


def current() -> Locale:
    return _current.get()


def use(locale: Locale) -> None:
    """Make `locale` current for the rest of this context (the CLI calls it once per command)."""
    _current.set(locale)


@contextmanager
def using(locale: Locale) -> Iterator[None]:
    """`locale` is current inside the block only (e.g. rendering an e-mail in the recipient's language)."""
    token = _current.set(locale)
    try:
        yield
    finally:
        _current.reset(token)


@cache
def translations(locale: Locale) -> gettext.NullTranslations:
    """The catalogue of `locale`: its compiled `.mo` when that is newer than the `.po`, else the `.po` compiled in
    memory, so a checkout whose set-up has not run yet (or a catalogue just edited) still reads right."""
    if locale == "en":
        return gettext.NullTranslations()
    folder = LOCALE_DIR / locale / "LC_MESSAGES"
    po, mo = folder / f"{DOMAIN}.po", folder / f"{DOMAIN}.mo"
    if mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
        with mo.open("rb") as compiled:
            return gettext.GNUTranslations(compiled)
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as source:
        catalogue = read_po(source, locale=locale, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalogue)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


def _(msgid: str, **params: Param) -> str:
    """`msgid` translated into the current locale, with `params` filled in (Messages among them rendered too)."""
    return _fill(translations(current()).gettext(msgid), params)


def ngettext(singular: str, plural: str, n: int, **params: Param) -> str:
    """The singular or plural form for `n` in the current locale (`n` is also a param: `{n}`)."""
    return _fill(translations(current()).ngettext(singular, plural, n), {"n": n, **params})


def N_(msgid: str, **params: Param) -> Message:  # noqa: N802 - gettext's name for "mark now, translate later"
    """A message to translate when it is rendered, not now (e.g. an alert's title, stored and shown later)."""
    return Message(msgid, params)


@dataclass(frozen=True)
class Message:
    """A translatable message with its parameters, stored as JSON (`to_json`) and rendered with `str()` in the
    current locale. Parameters are plain values, already formatted where the format does not depend on the
    language (money: formats.money), or Messages themselves."""

    msgid: str
    params: Mapping[str, Param] = field(default_factory=dict)

    def __str__(self) -> str:
        return _(self.msgid, **self.params)

    def to_json(self) -> dict[str, Any]:
        return {"msgid": self.msgid,
                "params": {key: value.to_json() if isinstance(value, Message) else value
                           for key, value in self.params.items()}}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Message:
        """The Message `to_json` wrote; a KeyError or TypeError for anything else (a stored message that does not
        parse is a bug, not something to guess around)."""
        params = {key: cls.from_json(value) if isinstance(value, Mapping) else value
                  for key, value in data["params"].items()}
        return cls(str(data["msgid"]), params)


def _fill(template: str, params: Mapping[str, Param]) -> str:
    if not params:
        return template
    return template.format_map({key: str(value) if isinstance(value, Message) else value
                                for key, value in params.items()})


def number(value: float, *, digits: int | None = None) -> str:
    """A number as the current locale writes it (grouping, decimal sign); `digits` fixes the decimals."""
    from babel.numbers import format_decimal

    pattern = None if digits is None else "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=current())


def percent(ratio: float, *, digits: int = 0) -> str:
    """A ratio (0.12) as a percentage ("12%") in the current locale."""
    from babel.numbers import format_percent

    return format_percent(ratio, format="#,##0" + ("." + "0" * digits if digits else "") + "%", locale=current())
