"""The layers keep to their own: the transport (HTTP views, Socket.IO events, the app factory)
reaches the store, the writer and the limits only through the service, and is handed that
service rather than looking it up; only the SQLite store speaks SQLite."""

import ast
from pathlib import Path

LIVE = Path(__file__).resolve().parent.parent / "live"
TRANSPORT = sorted(LIVE.glob("views/*.py")) + [LIVE / "events.py", LIVE / "app.py"]
BELOW_THE_SERVICE = ("live.store", "live.writer", "live.throttle", "sqlite3")


def imported(path: Path) -> set[str]:
    """Every module ``path`` imports, at any depth (``from a import b`` gives ``a`` and ``a.b``)."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def reaches(names: set[str], module: str) -> bool:
    return any(name == module or name.startswith(module + ".") for name in names)


def test_the_transport_files_are_the_ones_this_test_reads():
    assert len(TRANSPORT) > 3 and all(path.is_file() for path in TRANSPORT)
    assert not (LIVE / "views.py").exists()  # the views are a package, read whole above


def test_views_events_and_the_app_import_nothing_below_the_service():
    for path in TRANSPORT:
        names = imported(path)  # ``from live import store`` counts as ``live.store``
        below = [module for module in BELOW_THE_SERVICE if reaches(names, module)]
        assert not below, f"{path.relative_to(LIVE.parent)} imports {below}"


def test_views_and_events_are_handed_the_service_and_never_look_it_up():
    for path in TRANSPORT:
        if path.name == "app.py":
            continue  # the one place that makes the service and hands it over
        source = path.read_text(encoding="utf-8")
        assert "extensions" not in source, f"{path.relative_to(LIVE.parent)} looks the service up"


def test_only_the_sqlite_store_imports_sqlite3():
    importers = set()
    for path in LIVE.rglob("*.py"):
        relative = path.relative_to(LIVE.parent).as_posix()
        if relative.startswith("live/store/sqlite"):
            continue
        if reaches(imported(path), "sqlite3"):
            importers.add(relative)
    # Start-up learns that the store cannot be opened from ``live.store.StoreUnavailable``.
    assert importers == set()


def test_two_apps_in_one_process_each_serve_from_their_own_service(tmp_path):
    from live.app import create_app
    from live.extensions import socketio

    apps, servers = [], []
    for name in ("een", "twee"):
        config = {"DATA_DIR": str(tmp_path / name), "TESTING": True, "PUBLIC_URL": "http://zaal.test"}
        apps.append(create_app(config))
        servers.append(socketio.server)
    first, second = (app.test_client() for app in apps)
    created = first.post("/api/meetings", json={"title": "Avond", "themes": ["Groen"]})
    assert created.status_code == 201
    code = created.get_json()["code"]
    assert first.get(f"/{code}").status_code == 200
    assert second.get(f"/{code}").status_code == 404
    # Each app's Socket.IO server answers events with that app's service.
    for app, server in zip(apps, servers, strict=True):
        handler = server.handlers["/"]["vote"]
        assert handler.__wrapped__.__self__.live is app.extensions["live"]
