"""A module's HTTP routes, written as plain functions that take the service first.

Each view module collects its routes in a ``Routes``; ``live.views.make_blueprint`` binds them to
one app's service. So a view never looks the service up, and two apps in one process (tests make
several) each serve with their own.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from flask import Blueprint


class Routes:
    """The routes of one view module: ``@routes.get(rule)`` on ``def view(live, **args)``."""

    def __init__(self):
        self.views: list[tuple[str, list[str], Callable]] = []

    def route(self, rule: str, methods: list[str]):
        """Collect ``view`` for ``rule``; its function name is its endpoint (``live.<name>``)."""

        def collect(view):
            self.views.append((rule, methods, view))
            return view

        return collect

    def get(self, rule: str):
        """A GET route (Flask adds HEAD and OPTIONS, as for ``bp.get``)."""
        return self.route(rule, ["GET"])

    def post(self, rule: str):
        """A POST route."""
        return self.route(rule, ["POST"])

    def bind(self, bp: Blueprint, live) -> None:
        """Add every route to ``bp``, each view called with ``live`` first."""
        for rule, methods, view in self.views:
            bound = functools.update_wrapper(functools.partial(view, live), view)
            bp.add_url_rule(rule, view.__name__, bound, methods=methods)
