"""The OpenAPI document's prose is Markdown: Swagger UI shows reST markup as typed."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from gateway.app import create_app
from gateway.wiring import Adapters
from tests.fakes import FakeInventory, FakeTokenValidator, FakeWorkOrders

PROSE_KEYS = ("description", "summary")
REST_MARKUP = re.compile(
    r"``"  # reST inline literal; Markdown uses one backtick
    r"|:[a-z]+:`"  # roles such as :class:`X`, :func:`f`, :ref:`r`
    r"|^\s*\.\. [a-z-]+::"  # directives such as .. note::
    r"|`[^`]+`_",  # reST hyperlink references
    re.MULTILINE,
)


def _prose(node: Any, path: str = "") -> Iterator[tuple[str, str]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in PROSE_KEYS and isinstance(value, str):
                yield f"{path}/{key}", value
            yield from _prose(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _prose(value, f"{path}[{index}]")


@pytest.fixture
def spec() -> dict[str, Any]:
    app = create_app(
        {"TESTING": True, "DATABASE_URL": "sqlite://"},
        adapters=Adapters(FakeInventory(), FakeWorkOrders({}), FakeTokenValidator({})),
    )
    with app.test_client() as client:
        document: dict[str, Any] = client.get("/openapi.json").get_json()
    return document


def test_the_document_has_prose_to_check(spec: dict[str, Any]) -> None:
    texts = [text for _, text in _prose(spec)]
    assert len(texts) > 20
    assert any("`" in text for text in texts)  # inline code is there, in Markdown


def test_no_description_or_summary_carries_rest_markup(spec: dict[str, Any]) -> None:
    offending = {path: text for path, text in _prose(spec) if REST_MARKUP.search(text)}
    assert offending == {}


@pytest.mark.parametrize(
    "text",
    ["Pass ``after``.", "See :class:`Gateway`.", ".. note:: careful", "`the spec`_ says so"],
)
def test_the_check_recognises_rest_markup(text: str) -> None:
    assert REST_MARKUP.search(text)


@pytest.mark.parametrize("text", ["Pass `after`.", "`legacy:<client>` or `master-key`"])
def test_markdown_inline_code_passes(text: str) -> None:
    assert not REST_MARKUP.search(text)
