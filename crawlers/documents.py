"""The JSON documents a page carries for a profile's json selectors, besides those a browser captures by XHR.

Marketplaces answer their APIs with JSON, or with JSONP (`fetchJSON_comment98({...});`, so a <script> tag can load
it across domains), and server-render search pages with the data assigned to a variable inside a script
(`g_page_config = {...};`, `window.rawData = {...};`). Both reach the crawler as text, plain HTTP or saved file alike.
"""

from __future__ import annotations

import json
import re
from typing import Any

# A JSONP body: a callback name (possibly dotted, e.g. jQuery's `jQuery1234_5678`), the JSON, `)` and maybe `;`.
_JSONP = re.compile(r"\s*(?:/\*\*/\s*)?[A-Za-z_$][\w$.]*\s*\(\s*(.*)\)\s*;?\s*\Z", re.DOTALL)
_DECODER = json.JSONDecoder()


def body_document(text: str) -> Any | None:
    """The JSON value of a response that is JSON or JSONP; None for anything else (an HTML page)."""
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped[:1] in ("{", "["):
        candidate = stripped
    elif stripped[:1] == "<" or (found := _JSONP.match(stripped)) is None:
        return None
    else:
        candidate = found.group(1)
    try:
        return json.loads(candidate)
    except ValueError:
        return None


def script_document(text: str, variable: str) -> Any | None:
    """The JSON value assigned to `variable` (e.g. "g_page_config" or "window.rawData") in the page's scripts;
    None when no assignment of it holds valid JSON. The first one that does wins."""
    # Not preceded by a name character or a dot, so "g_page_config" does not match "my_g_page_config".
    for found in re.finditer(rf"(?<![\w$.]){re.escape(variable)}\s*=\s*(?=[{{\[])", text):
        try:
            return _DECODER.raw_decode(text, found.end())[0]
        except ValueError:
            continue
    return None


def page_documents(text: str, script_variable: str | None = None) -> list[Any]:
    """The JSON documents in a page's text: the body itself when it is JSON or JSONP, and the value assigned to
    `script_variable` in its scripts when the profile names one."""
    found = [body_document(text)]
    if script_variable is not None:
        found.append(script_document(text, script_variable))
    return [document for document in found if document is not None]
