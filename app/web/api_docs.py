"""/docs: Swagger UI served from this server alone, with no inline script.

The Swagger UI files come from the fastapi-offline package (its static folder: swagger-ui-bundle.js
and swagger-ui.css, Swagger UI 5.x), served under /static beside the app's own files; the page's
one script of its own is /static/swagger-init.js. So /docs has the policy every page has
(app/web/middleware.py CSP): scripts and styles from this server only, nothing inline.
"""

import html

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import HTMLResponse

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title} API</title>
<link rel="stylesheet" href="/static/swagger-ui.css">
<link rel="icon" href="/static/favicon.png">
</head>
<body>
<div id="swagger-ui" data-openapi-url="{openapi_url}"></div>
<script src="/static/swagger-ui-bundle.js"></script>
<script src="/static/swagger-init.js"></script>
</body>
</html>
"""


def install(app: FastAPI) -> None:
    """/docs as a plain route: the page holds nothing but where the public API schema is."""
    page = _PAGE.format(
        title=html.escape(app.title), openapi_url=html.escape(app.openapi_url or "")
    )

    async def docs(request: Request) -> HTMLResponse:
        return HTMLResponse(page)

    app.add_route("/docs", docs, include_in_schema=False)
