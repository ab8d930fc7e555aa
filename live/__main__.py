"""``python -m live``: patch eventlet first, build the app, print the address and a QR, serve.

The async mode is chosen here and only here. We listen ourselves instead of calling
``socketio.run``: it leaves the listen backlog at 50, which overflows when a whole hall scans the
QR code at once, and it does not set TCP_NODELAY. The port is taken first, without SO_REUSEPORT,
so a second start on a taken port stops with a clear message (see ``live/guard/listener.py``).
"""

import warnings

# Eventlet warns that it is in maintenance mode; the switch away is kept cheap (see above).
warnings.filterwarnings("ignore", category=DeprecationWarning, module="eventlet")
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")

import eventlet  # noqa: E402

eventlet.monkey_patch()

import argparse  # noqa: E402
import gc  # noqa: E402
import socket  # noqa: E402
import sys  # noqa: E402

ASYNC_MODE = "eventlet"
# Middle-generation collections between two chances of a full one (Python's default: 10).
FULL_COLLECTION_EVERY = 100


def own_host_names(own_addresses: list[str], listen_host: str, public_url: str) -> list[str]:
    """The names this server may be reached by, for the Host-header check: every address of
    this machine (a phone may use any address printed at start-up), its names, and
    ``PUBLIC_URL``'s host."""
    from urllib.parse import urlsplit

    names = {
        "localhost",
        "127.0.0.1",
        "::1",
        *own_addresses,
        socket.gethostname(),
        socket.gethostname() + ".local",
        socket.getfqdn(),
    }
    if listen_host not in ("0.0.0.0", "::", ""):
        names.add(listen_host)
    if public_url:
        names.add(urlsplit(public_url).hostname or "")
    return sorted(n for n in names if n)


def raise_open_file_limit(wanted: int) -> None:
    """Let one worker hold MAX_CONNECTIONS sockets: the common soft limit of 1,024 open files
    would refuse phones beyond about a thousand."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(hard, wanted)
    if soft != resource.RLIM_INFINITY and soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


def fail(message: str, code: int = 1) -> None:
    """Stop before serving, with a Dutch message for the terminal and no traceback."""
    print(message, file=sys.stderr, flush=True)
    sys.exit(code)


def main(argv=None) -> None:
    """Parse the command line and run the server until stopped."""
    from live import startup
    from live.settings import SettingError, from_environment

    try:
        env = from_environment()
    except SettingError as err:
        fail(startup.bad_setting(err.name, err.value, err.default))
    parser = argparse.ArgumentParser(prog="python -m live", description="Burgerkracht Live")
    parser.add_argument("--host", default=env["HOST"], help="address to listen on")
    parser.add_argument("--port", type=int, default=env["PORT"], help="port (PORT)")
    parser.add_argument("--data-dir", default=env["DATA_DIR"], help="folder for the SQLite store")
    parser.add_argument("--quiet", action="store_true", help="no QR code in the terminal")
    args = parser.parse_args(argv)

    import eventlet.wsgi
    import qrcode

    from live import guard, network
    from live.app import WORKER_NAME, create_app
    from live.store import StoreUnavailable

    if env["WORKER_NAME"] and not WORKER_NAME.fullmatch(env["WORKER_NAME"]):
        fail(startup.bad_worker_name(env["WORKER_NAME"]))
    # A library update that changed an internal the guards patch stops here, not mid-evening.
    try:
        guard.check_shapes(ASYNC_MODE)
    except guard.PatchMismatch as err:
        fail(str(err))
    # Take the port before anything else: a second server on a taken port must stop here.
    try:
        listener = guard.listen(args.host, args.port, backlog=2048)
    except guard.PortInUse:
        fail(startup.port_taken(args.host, args.port), 2)
    except OSError as err:
        fail(startup.port_refused(args.host, args.port, err))
    # Accepted sockets inherit TCP_NODELAY on Linux: small acks leave at once.
    listener.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    # One server per data folder, and one that can write there (held until the process ends).
    # Workers on a shared Redis keep nothing in that folder: any number of them may run.
    shared_store = env["STORE"].startswith(("redis://", "rediss://"))
    try:
        data_lock = None if shared_store else startup.claim_data_dir(args.data_dir, args.port)  # noqa: F841
    except startup.StartError as err:
        fail(str(err))

    only_here = args.host in ("127.0.0.1", "::1", "localhost")
    addresses = [] if only_here else network.phone_addresses()
    lan_ip = addresses[0] if addresses else "127.0.0.1"
    lan_url = f"http://{lan_ip}:{args.port}"
    # An empty TRUSTED_HOSTS means our own names, not "any Host" (DNS rebinding).
    trusted = env["TRUSTED_HOSTS"] or own_host_names(network.all_addresses(), args.host, env["PUBLIC_URL"])
    try:
        app = create_app(
            {
                "ASYNC_MODE": ASYNC_MODE,
                "DATA_DIR": args.data_dir,
                "LAN_URL": lan_url,
                "PORT": args.port,
                "TRUSTED_HOSTS": trusted,
            }
        )
    except (OSError, StoreUnavailable) as err:
        # A Redis that is away or could lose confirmed votes says so itself, in Dutch.
        fail(str(err) if shared_store else startup.store_failed(err, args.data_dir))
    public_set = bool(app.config["PUBLIC_URL"])
    public = app.config["PUBLIC_URL"] or (lan_url if addresses else "")
    local = startup.local_url(args.host, args.port)
    print(startup.banner(local, public, addresses[1:], args.port, public_set, only_here), flush=True)
    if public and not args.quiet:
        qr = qrcode.QRCode(border=1)
        qr.add_data(public)
        qr.print_ascii(out=sys.stdout, invert=True)
    print("Stoppen: Ctrl+C. Alles wat binnenkomt, is meteen bewaard.", flush=True)

    raise_open_file_limit(app.config["MAX_CONNECTIONS"] + 100)
    # Everything built at start-up lives all evening: keep the collector from walking it again.
    gc.collect()
    gc.freeze()
    # So do the phones' connections. By default a full collection may run after every 10
    # middle-generation ones, and it does whenever the objects grew by a quarter: while a hall
    # scans the QR code that is some nine full walks of every connection (~0.1 s each at 2,000
    # phones, measured as 0.5-1.3 s of a 2-s wave). After every 100 it is one or two.
    # Young garbage is still collected as often as before.
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, FULL_COLLECTION_EVERY)
    stop_on_ctrl_c()
    try:
        serve(app, listener, eventlet.wsgi)
    except KeyboardInterrupt:
        pass
    # On a new line after the terminal's "^C".
    print(("\n" if sys.stdout.isatty() else "") + startup.STOPPED, flush=True)


def stop_on_ctrl_c() -> None:
    """Ctrl+C (SIGINT) stops the server whichever green thread it lands in. Python raises the
    KeyboardInterrupt in the green thread that happens to run; one of the connections' own (a
    ping, a send) swallows it and the server runs on: seen on a busy machine with phones connected.
    Here it is thrown into the main green thread, where ``serve`` returns."""
    import signal

    import greenlet
    from eventlet import hubs

    main, hub = greenlet.getcurrent(), hubs.get_hub()

    def interrupted(_signum, _frame):
        if greenlet.getcurrent() in (main, hub.greenlet):  # the hub hands it on to main itself
            raise KeyboardInterrupt
        hub.schedule_call_global(0, main.throw, KeyboardInterrupt())

    signal.signal(signal.SIGINT, interrupted)


def serve(app, listener, wsgi) -> None:
    """Serve until stopped (eventlet's server returns on Ctrl+C)."""
    from live import guard

    # Behind a reverse proxy every connection comes from the proxy: the cap on connections per
    # address would cap the whole hall, so it is the proxy's job there (deploy/nginx.conf).
    per_address = 0 if app.config["PROXY_COUNT"] else app.config["MAX_CONNECTIONS_PER_ADDRESS"]
    wsgi.server(
        listener,
        guard.inline(app),  # Flask's bound __call__: one interpreter frame less per connection
        max_size=app.config["MAX_CONNECTIONS"],
        log_output=False,
        # A half-sent request is closed after REQUEST_TIMEOUT (each read; the headers as a
        # whole by the protocol's deadline); guard.Guard lifts it for websockets.
        socket_timeout=app.config["REQUEST_TIMEOUT"],
        protocol=guard.protocol(app.config["REQUEST_TIMEOUT"], per_address, app.config["MAX_CONNECTIONS"]),
    )


if __name__ == "__main__":
    main()
