"""JSON documents in a page's text: JSON and JSONP bodies, JSON assigned to a script variable."""

from __future__ import annotations

import json

import pytest

from crawlers.documents import body_document, page_documents, script_document


@pytest.mark.parametrize("text", ['{"a": 1}', ' [{"a": 1}]', 'cb({"a": 1});', '\r\njsonp128({"a": 1})',
                                  '/**/ jQuery123_456({"a": 1} )'])
def test_json_and_jsonp_bodies(text):
    assert body_document(text) in ({"a": 1}, [{"a": 1}])


@pytest.mark.parametrize("text", ["<html><body>cb({})</body></html>", "cb({broken)", "just text", ""])
def test_other_bodies_are_not_documents(text):
    assert body_document(text) is None


def test_script_variable_takes_the_first_valid_assignment_of_that_exact_name():
    html = ('<script>my_g_page_config = {"x": 0}; g_page_config = {oops}; g_page_config = {"a": {"b": [1, 2]}};'
            ' window.g_page_config = {"x": 3};</script>')
    assert script_document(html, "g_page_config") == {"a": {"b": [1, 2]}}
    assert script_document(html, "missing") is None
    assert page_documents(html, "g_page_config") == [{"a": {"b": [1, 2]}}]
    assert page_documents(json.dumps({"z": 1})) == [{"z": 1}]
