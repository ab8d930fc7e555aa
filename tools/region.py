"""Several workers on one Redis behind nginx, on this machine: to try hosting for a region.

    python tools/region.py --workers 2        (or: make region WORKERS=2)

starts a Redis that keeps every confirmed action (``appendonly yes``, ``appendfsync always``), N
workers (``python -m live``, ``WORKER_NAME`` w1..wN, ports 5001..) on it, and nginx on port 8080
in front of them, all in the folder ``.region/`` (kept between runs: the meetings stay). Ctrl+C
stops everything. docs/hosting.md says what a real deployment needs beyond this.

The nginx site is made by ``site()``: deploy/region/nginx.conf is its output for two workers
(``python tools/region.py --print-site 2`` prints it; a test keeps the two the same).
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

HEAD = """\
# Burgerkracht Live for a region: {n} workers on one Redis behind nginx, which does HTTPS.
# Made by tools/region.py (`python tools/region.py --print-site {n}`); docs/hosting.md explains it.
# Goes inside nginx's `http {{ }}` block. Run each worker with its own name and port, e.g.
#
#     STORE=redis://127.0.0.1:6379/0 WORKER_NAME=w1 PROXY_COUNT=1 \\
#         PUBLIC_URL=https://live.example.nl python -m live --host 127.0.0.1 --port 5001
#
# Sticky sessions without cookies: a worker starts every Socket.IO session id with its name
# (WORKER_NAME), and the map below sends each request that carries a session id (`?sid=w1.…`:
# long polling, and the upgrade to a websocket) to that worker. A request without one (a page,
# a new connection) goes to whichever worker has the fewest connections. If a worker stops, its
# phones' next request fails, they connect again through another worker, with their own tokens.
# To add a worker: one `server` line in `live_any`, one `upstream live_wN`, one line in the map.

limit_conn_zone $binary_remote_addr zone=live_per_client:10m;

map $http_upgrade $connection_upgrade {{
    default upgrade;
    ''      close;
}}
"""

UPSTREAMS = """
upstream live_any {{
    least_conn;
{servers}
}}
{singles}
map $arg_sid $live_worker {{
    default live_any;
{routes}
}}
"""

SERVER = """
server {{
    listen {listen};
    server_name {name};
{tls}
    # The largest real request (a meeting with 40 themes) is far smaller.
    client_max_body_size 256k;
    limit_conn live_per_client 200;

    location / {{
        proxy_pass http://$live_worker;
        proxy_http_version 1.1;
        # Websockets: pass the upgrade on.
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection $connection_upgrade;
        # Who the client is, as the workers must see it (PROXY_COUNT=1 trusts one hop of these).
        proxy_set_header Host $http_host;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $scheme;
        proxy_set_header X-Forwarded-Host $http_host;
        # Longer than Socket.IO's ping interval plus timeout (20 s + 20 s).
        proxy_read_timeout 120s;
        proxy_send_timeout 120s;
        # Acks and tallies leave at once.
        proxy_buffering off;
        # A worker that stopped: a page or a new connection tries the next one.
        proxy_next_upstream error timeout http_502;
    }}
}}
"""

TLS = """
    ssl_certificate     /etc/letsencrypt/live/live.example.nl/fullchain.pem;
    ssl_certificate_key /etc/letsencrypt/live/live.example.nl/privkey.pem;
"""

REDIRECT = """
server {
    listen 80;
    server_name live.example.nl;
    return 301 https://$host$request_uri;
}
"""


def site(ports: list[int], listen: str = "443 ssl", name: str = "live.example.nl", tls: bool = True) -> str:
    """The nginx site for workers w1..wN on these loopback ports."""
    names = [f"w{i}" for i in range(1, len(ports) + 1)]
    servers = "\n".join(f"    server 127.0.0.1:{port} max_fails=1 fail_timeout=5s;" for port in ports)
    pairs = zip(names, ports, strict=True)
    singles = "".join(f"\nupstream live_{w} {{\n    server 127.0.0.1:{port};\n}}\n" for w, port in pairs)
    routes = "\n".join(f'    "~^{w}\\."  live_{w};' for w in names)
    text = HEAD.format(n=len(ports))
    text += UPSTREAMS.format(servers=servers, singles=singles, routes=routes)
    text += SERVER.format(listen=listen, name=name, tls=TLS if tls else "")
    return text + (REDIRECT if tls else "")


def _nginx() -> str:
    found = shutil.which("nginx") or shutil.which("nginx", path="/usr/sbin:/usr/local/sbin")
    if not found:
        sys.exit("nginx is not installed (Debian: apt-get install nginx)")
    return found


def _wait(url: str, what: str, proc: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"{what} stopped at start (see its log in .region/)")
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except OSError:
            time.sleep(0.1)
    sys.exit(f"{what} did not answer at {url}")


def nginx_main_conf(folder: Path, site_text: str) -> Path:
    """A whole nginx.conf in ``folder`` around the site, for running nginx as this user."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "site.conf").write_text(site_text)
    kinds = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    temps = "\n".join(f"    {kind}_temp_path {folder / kind};" for kind in kinds)
    conf = folder / "nginx.conf"
    conf.write_text(
        f"daemon off;\nworker_processes 1;\npid {folder}/nginx.pid;\nerror_log {folder}/error.log warn;\n"
        f"events {{ worker_connections 8192; }}\n"
        f"http {{\n    access_log off;\n{temps}\n    include {folder}/site.conf;\n}}\n"
    )
    return conf


def lan_address() -> str:
    """This machine's address on its default route's network (what phones on the Wi-Fi reach)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # TEST-NET: nothing is sent
            return s.getsockname()[0]
        except OSError:
            return "127.0.0.1"


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8080, help="nginx's port (what phones open)")
    parser.add_argument("--redis-port", type=int, default=6390)
    parser.add_argument("--dir", default=str(ROOT / ".region"))
    parser.add_argument("--print-site", type=int, metavar="N", help="print the nginx site for N workers")
    args = parser.parse_args(argv)
    if args.print_site:
        print(site([5000 + i for i in range(1, args.print_site + 1)]), end="")
        return
    folder = Path(args.dir).resolve()
    (folder / "redis").mkdir(parents=True, exist_ok=True)
    procs: list[subprocess.Popen] = []

    def stop(*_):
        for proc in reversed(procs):
            if proc.poll() is None:
                proc.terminate()
        for proc in procs:
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    redis_server = shutil.which("redis-server") or sys.exit("redis-server is not installed")
    log = open(folder / "redis.log", "ab")  # noqa: SIM115 (for the process' life)
    procs.append(
        subprocess.Popen(
            [redis_server, "--port", str(args.redis_port), "--bind", "127.0.0.1",
             "--dir", str(folder / "redis"), "--appendonly", "yes", "--appendfsync", "always", "--save", ""],
            stdout=log, stderr=subprocess.STDOUT,
        )
    )  # fmt: skip
    public = f"http://{lan_address()}:{args.port}"
    ports = [5000 + i for i in range(1, args.workers + 1)]
    try:
        time.sleep(0.3)
        for i, port in enumerate(ports, 1):
            env = {
                **os.environ,
                "STORE": f"redis://127.0.0.1:{args.redis_port}/0",
                "WORKER_NAME": f"w{i}",
                "PROXY_COUNT": "1",
                "PUBLIC_URL": public,
                "TRUSTED_HOSTS": f"{lan_address()},127.0.0.1,localhost",
            }
            out = open(folder / f"w{i}.log", "ab")  # noqa: SIM115
            cmd = [sys.executable, "-m", "live", "--host", "127.0.0.1", "--port", str(port), "--quiet",
                   "--data-dir", str(folder / f"w{i}")]  # fmt: skip
            procs.append(subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT))
            _wait(f"http://127.0.0.1:{port}/healthz", f"worker w{i}", procs[-1])
        conf = nginx_main_conf(folder / "nginx", site(ports, listen=str(args.port), name="_", tls=False))
        procs.append(subprocess.Popen([_nginx(), "-p", str(conf.parent), "-c", str(conf)]))
        _wait(f"http://127.0.0.1:{args.port}/healthz", "nginx", procs[-1])
        print(f"{args.workers} workers on Redis (port {args.redis_port}) behind nginx: {public}", flush=True)
        print("Stoppen: Ctrl+C.", flush=True)
        while all(proc.poll() is None for proc in procs):
            time.sleep(0.5)
        print("A process stopped; see the logs in .region/", file=sys.stderr)
    except KeyboardInterrupt:
        pass
    finally:
        stop()


if __name__ == "__main__":
    main()
