"""The operator console: a small Starlette app over the store's API (`agent.py serve`).

    app.py        the application: routes, middleware, error pages
    console.py    what every handler shares: the config, the store (opened per request, in a worker thread),
                  templates, the sign-in throttle
    auth.py       passwords (argon2), sessions, roles, CSRF tokens, the sign-in throttle
    headers.py    security headers on every response (a strict Content-Security-Policy: no script at all)
    serve.py      uvicorn
    signin.py, alerts.py, compliance.py, competitors.py, reviews.py, runs.py, users.py   one module per page

It writes only alert state changes and notes (with who made them), and accounts (admins, on the users page; or
`agent.py users`). Every value in a page is escaped (Jinja autoescape): crawled titles and reviews are text.
"""

from web.app import create_app

__all__ = ["create_app"]
