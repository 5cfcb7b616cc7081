"""Plain HTML tables and messages shared by the non-wall pages (styled in assets/pages.css)."""

from __future__ import annotations

from typing import Any

from dash import html


def table(columns: list[str], rows: list[list[Any]], class_name: str = "") -> html.Table:
    """A header row and body rows; a cell may be text or components."""
    return html.Table(
        [
            html.Thead(html.Tr([html.Th(c) for c in columns])),
            html.Tbody([html.Tr([html.Td(cell) for cell in row]) for row in rows]),
        ],
        className=f"gw-table {class_name}".strip(),
    )


def message(text: str, level: str = "info") -> html.Div:
    """A notice above a form: level is info, ok or error."""
    return html.Div(text, className=f"gw-msg gw-msg-{level}", role="alert")


def empty_state(text: str) -> html.Div:
    return html.Div(text, className="gw-app-empty")
