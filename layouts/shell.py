"""The page frame shared by every page: URL, page container, zh-CN document."""

from __future__ import annotations

from dash import dcc, html

from layouts import ids

INDEX_STRING = """<!DOCTYPE html>
<html lang="zh-CN">
    <head>
        {%metas%}
        <title>{%title%}</title>
        {%favicon%}
        {%css%}
    </head>
    <body>
        {%app_entry%}
        <footer>
            {%config%}
            {%scripts%}
            {%renderer%}
        </footer>
    </body>
</html>"""


def shell() -> html.Div:
    return html.Div(
        [dcc.Location(id=ids.URL, refresh=False), html.Div(id=ids.PAGE, className="gw-page")],
        className="gw-root",
    )


def not_found(pathname: str) -> html.Div:
    return html.Div(
        [
            html.H1("页面不存在"),
            html.P(f"没有 {pathname} 这个页面。"),
            html.A("返回指挥大屏", href="/wall"),
        ],
        className="gw-empty-page",
    )
