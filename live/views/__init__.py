"""HTTP: the start page and API, the three screens, QR images, the helper screen and the hand-off.

Thin on purpose: parse the request, call the service, render. One module per concern:

- ``keys``: who may open what (keys, tickets, where a POST came from, the organiser key), once;
- ``start``: the start page, joining by code, making meetings (form, API, archive import);
- ``screens``: the phone page, host screen and beamer, their QR codes, poster and table cards;
- ``helper``: the helper screen and the paper form;
- ``group``: a working group's own page in a terugkombijeenkomst;
- ``handoff``: exports, the record, working groups, the day and retention, deleting;
- ``site``: error pages, security headers, favicon, health;
- ``responses`` and ``routes``: what those share.

Views never import the store, the writer or the limits: each is a function that takes the service
(``live.service.Live``) first, bound to one app's service by ``make_blueprint``.
"""

from __future__ import annotations

from flask import Blueprint

from live.views import group, handoff, helper, screens, site, start

MODULES = (start, screens, helper, group, handoff, site)


def make_blueprint(live) -> Blueprint:
    """The blueprint ``live`` (endpoints ``live.<view>``) with every page, serving ``live``."""
    live.check_create_limit()  # a mistyped CREATE_RATE_LIMIT stops the server at start
    bp = Blueprint("live", __name__)
    for module in MODULES:
        module.routes.bind(bp, live)
    for status, page in site.ERROR_PAGES.items():
        bp.app_errorhandler(status)(page)
    bp.after_app_request(site.security_headers)
    return bp
