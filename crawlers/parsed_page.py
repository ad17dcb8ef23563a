"""A product page parsed once for the generic extractor: one lxml tree (with the DOM interface RDFa needs) and one
text stream of the body, in which every element knows its offsets, so price spans found in the stream map back to
their elements; and the zones (hidden, recommendations, footer) whose content is never evidence.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from functools import lru_cache
from typing import Any
from urllib.parse import urljoin

import lxml.etree
import lxml.html
from extruct.xmldom import XmlDomHTMLParser

SKIPPED_TAGS = frozenset({"script", "style", "noscript", "template", "head", "svg", "select", "option", "textarea"})
BLOCK_TAGS = frozenset({
    "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "fieldset", "figcaption", "figure",
    "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main", "nav", "ol", "p", "pre",
    "section", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "ul", "button", "input", "img", "body", "html"})


WHITESPACE = re.compile(r"\s+")


class Page:
    """A parsed page and its body text stream; built once per extraction."""

    def __init__(self, tree: lxml.html.HtmlElement, url: str | None, markup: str = "") -> None:
        self.tree = tree
        self.url = url
        self.markup = markup
        self.text = ""
        self._segment_starts: list[int] = []
        self._segment_owners: list[Any] = []
        self.start_of: dict[Any, int] = {}
        self.end_of: dict[Any, int] = {}
        self.zones = Zones()
        self._classed: list[tuple[Any, set[str]]] | None = None
        self._build_stream()

    @classmethod
    def parse(cls, markup: str, url: str | None) -> Page | None:
        """None for an empty or hopeless document; lxml recovers from most breakage (unclosed tags, stray bytes).
        A comment opener that is never closed swallows the rest of the page (`<!-- ... -- >`); when that leaves
        no text, the page is parsed again without it."""
        markup = markup.replace("\x00", "") if markup else ""
        tree = _parse_tree(markup)
        if tree is None or not tree.text_content().strip():
            repaired_markup = _drop_unclosed_comments(markup)
            repaired = _parse_tree(repaired_markup)
            tree, markup = (repaired, repaired_markup) if repaired is not None else (tree, markup)
        return cls(tree, url, markup) if tree is not None else None

    def dom_tree(self) -> lxml.html.HtmlElement:
        """The page parsed again into elements with the DOM interface pyRdfa needs: a custom element lookup makes
        every parse a tenth slower, so only pages with RDFa pay for it."""
        tree = _parse_tree(self.markup, XmlDomHTMLParser(encoding="utf-8"))
        return tree if tree is not None else self.tree

    def _build_stream(self) -> None:
        parts: list[str] = []
        position = 0

        def emit(text: str | None, owner: Any) -> None:
            nonlocal position
            if not text:
                return
            after_space = bool(parts) and parts[-1][-1] == " "  # then a leading space is dropped
            if text.isspace():  # most text nodes are the indentation between tags: one space, or none
                if after_space:
                    return
                text = " "
            else:
                text = WHITESPACE.sub(" ", text)
                if after_space and text[0] == " ":
                    text = text[1:]
            self._segment_starts.append(position)
            self._segment_owners.append(owner)
            parts.append(text)
            position += len(text)

        body = self.tree.find("body")
        walker = lxml.etree.iterwalk(body if body is not None else self.tree, events=("start", "end"))
        for event, element in walker:
            tag = element.tag if isinstance(element.tag, str) else ""
            if event == "start":
                self.start_of[element] = position
                if tag in BLOCK_TAGS:
                    emit(" ", element)
                if tag in SKIPPED_TAGS or not tag:
                    walker.skip_subtree()
                else:
                    emit(element.text, element)
            else:
                if tag in BLOCK_TAGS:
                    emit(" ", element)
                self.end_of[element] = position
                parent = element.getparent()
                emit(element.tail, parent if parent is not None else element)
        self.text = "".join(parts)

    def owner(self, offset: int) -> Any:
        """The element whose own text holds this offset of the stream."""
        index = bisect_right(self._segment_starts, offset) - 1
        return self._segment_owners[max(index, 0)] if self._segment_owners else self.tree

    def text_of(self, element: Any) -> str:
        """An element's visible text from the stream (no script or style), whitespace collapsed."""
        return self.text[self.start_of.get(element, 0):self.end_of.get(element, 0)].strip()

    def segment_after(self, offset: int) -> str:
        """The rest of the text node holding `offset`, or the next non-empty one: the value after a label."""
        index = max(bisect_right(self._segment_starts, offset) - 1, 0)
        for i in range(index, min(index + 6, len(self._segment_starts))):
            start = self._segment_starts[i]
            end = self._segment_starts[i + 1] if i + 1 < len(self._segment_starts) else len(self.text)
            value = self.text[max(start, offset):end].strip(" :：")
            if value:
                return value
        return ""

    def classed(self) -> list[tuple[Any, set[str]]]:
        """Body elements with a class or id, each with its class words and adjacent pairs (shop-name: shopname)."""
        if self._classed is None:
            self._classed = []
            for element in self.tree.xpath("//body//*[@class or @id]"):
                words = class_words(element)
                self._classed.append((element, {*words, *(a + b for a, b in zip(words, words[1:]))}))
        return self._classed

    def absolute(self, link: str | None) -> str | None:
        if not link:
            return None
        return urljoin(self.url, link) if self.url else link


def _parse_tree(markup: str, parser: lxml.etree.HTMLParser | None = None) -> lxml.html.HtmlElement | None:
    if not markup.strip():
        return None
    try:
        return lxml.html.document_fromstring(markup.encode("utf-8", "replace"),
                                             parser=parser or lxml.html.HTMLParser(encoding="utf-8"))
    except (lxml.etree.ParserError, ValueError):
        return None


def _drop_unclosed_comments(markup: str) -> str:
    last_close = markup.rfind("-->")
    cut = last_close + 3 if last_close >= 0 else 0
    return markup[:cut] + markup[cut:].replace("<!--", "")


def element_text(element: Any) -> str:
    return " ".join(element.text_content().split())


_CLASS_SPLIT = re.compile(r"[^A-Za-z0-9]+|(?<=[a-z])(?=[A-Z])")


ZONE_WORDS = frozenset({"recommend", "recommendation", "recommendations", "recommended", "related", "similar",
                        "upsell", "upsells", "crosssell", "crosssells", "cross", "guess", "tuijian", "minicart",
                        "footer", "breadcrumb", "breadcrumbs", "history", "viewed", "also", "bundle", "combo"})
ZONE_TAGS = frozenset({"footer", "nav"})
HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)


def class_words(element: Any) -> tuple[str, ...]:
    """An element's class and id split into lower-case words (shop-name, shopName: shop, name)."""
    return _words_of(element.get("class"), element.get("id"))


@lru_cache(maxsize=4096)
def _words_of(class_attribute: str | None, id_attribute: str | None) -> tuple[str, ...]:
    """Memoised: a page repeats the same few class attributes on many elements, and pages of a site share them."""
    raw = f"{class_attribute or ''} {id_attribute or ''}"
    return tuple(w.lower() for w in _CLASS_SPLIT.split(raw) if w)


class Zones:
    """Per-element facts that depend on ancestors, memoised: hidden or inside a recommendation / footer zone."""

    def __init__(self) -> None:
        self._excluded: dict[Any, bool] = {}

    def excluded(self, element: Any) -> bool:
        chain = []
        node = element
        while node is not None and node not in self._excluded:
            chain.append(node)
            node = node.getparent()
        verdict = self._excluded.get(node, False) if node is not None else False
        for member in reversed(chain):
            verdict = verdict or self._shuts_out(member)
            self._excluded[member] = verdict
        return self._excluded[element]

    @staticmethod
    def _shuts_out(element: Any) -> bool:
        tag = element.tag if isinstance(element.tag, str) else ""
        if tag in ZONE_TAGS or element.get("hidden") is not None:
            return True
        if HIDDEN_STYLE.search(element.get("style") or ""):
            return True
        words = class_words(element)
        return bool(ZONE_WORDS.intersection(words)) or "hidden" in words or "hide" in words
