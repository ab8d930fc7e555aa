"""19:25 on a new facilitator's laptop: ``python -m live`` started for real, on the unhappy paths.

The address phones use is checked on the real machine inside network namespaces built like a
laptop's (a Wi-Fi, a VPN, Docker's bridge, a VM's network, nothing at all), and the choice rule
alone on interface lists. The rest: a taken port, a second server on one data folder, Ctrl+C and
a crash followed by a new start, a folder that cannot be written, a full disk, a bad setting.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.request
import uuid

import pytest
import socketio
from conftest import IN_CI, ROOT, api, free_port

from live.network import Interface, phone_addresses

# -- the choice rule, on a laptop's interface lists ----------------------------------------------

WIFI = Interface("wlan0", "192.168.1.20")
DOCKER = Interface("docker0", "172.17.0.1")
VPN = Interface("tun0", "10.8.0.5")
TAILSCALE = Interface("tailscale0", "100.101.102.103")
VM = Interface("virbr0", "192.168.122.1")
LOOPBACK = Interface("lo", "127.0.0.1")


def test_a_split_vpn_that_routes_10_slash_8_does_not_take_the_qr_code():
    # The kernel would send to 10.x through the VPN; phones come over the Wi-Fi, the default route.
    assert phone_addresses([LOOPBACK, VPN, WIFI, DOCKER], route="192.168.1.20") == ["192.168.1.20"]


def test_a_full_tunnel_vpn_on_the_default_route_still_gives_the_wifi_address():
    assert phone_addresses([LOOPBACK, VPN, WIFI, TAILSCALE], route="10.8.0.5") == ["192.168.1.20"]


def test_docker_vm_bridges_link_local_and_interfaces_that_are_down_are_never_offered():
    found = [
        LOOPBACK,
        DOCKER,
        VM,
        Interface("br-3f2a9c1d7e4b", "172.18.0.1"),
        Interface("vboxnet0", "192.168.56.1"),
        Interface("vmnet8", "172.16.5.1"),
        Interface("bridge100", "192.168.64.1"),
        Interface("en0", "169.254.12.3"),
        Interface("en1", "192.168.2.7", up=False),
    ]
    assert phone_addresses(found, route=None) == []


def test_two_real_networks_are_both_offered_the_default_routes_first():
    second = Interface("en7", "10.0.0.5")
    assert phone_addresses([second, WIFI, DOCKER], route="192.168.1.20") == ["192.168.1.20", "10.0.0.5"]
    # A real bridge holding the cable (br0) is a real network, and private ranges come first.
    public = Interface("eth0", "145.97.1.2")
    assert phone_addresses([public, Interface("br0", "192.168.8.3")], route=None) == [
        "192.168.8.3",
        "145.97.1.2",
    ]


def test_without_any_network_nothing_is_offered():
    assert phone_addresses([LOOPBACK, DOCKER], route=None) == []


# -- helpers for the real process ----------------------------------------------------------------


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=30, **kw)


def command(port, data_dir, host="0.0.0.0", quiet=True):
    cmd = [sys.executable, "-m", "live", "--host", host, "--port", str(port), "--data-dir", str(data_dir)]
    return cmd + ["--quiet"] if quiet else cmd


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if k not in ("PUBLIC_URL", "TRUSTED_HOSTS", "PORT")}
    return {**env, "CREATE_RATE_LIMIT": "100/second", **extra}


def wait_until_up(url, proc, deadline=20):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        assert proc.poll() is None, "".join(proc.lines)
        try:
            urllib.request.urlopen(url + "/healthz", timeout=1).read()
            return
        except OSError:
            time.sleep(0.05)
    raise AssertionError("server did not start")


def spawn(cmd, **env):
    """A process whose output is collected as it comes (``proc.lines``). Ctrl+C reaches it as
    SIGINT, which a child of a background test run may otherwise have ignored."""
    proc = subprocess.Popen(
        cmd,
        cwd=ROOT,
        env=clean_env(**env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    proc.lines = []
    proc.reader = threading.Thread(target=lambda: proc.lines.extend(proc.stdout), daemon=True)
    proc.reader.start()
    return proc


def start(port, data_dir, **env):
    proc = spawn(command(port, data_dir, host="127.0.0.1"), **env)
    wait_until_up(f"http://127.0.0.1:{port}", proc)
    return proc


def stop(proc):
    """Ctrl+C, and everything the process printed."""
    proc.send_signal(signal.SIGINT)
    proc.wait(15)
    proc.reader.join(5)
    return "".join(proc.lines)


def assert_plain(text):
    assert "Traceback" not in text and "Error" not in text, text


# -- the address, on the real machine inside network namespaces ----------------------------------


def _can_make_namespaces() -> bool:
    if not shutil.which("ip") or os.geteuid() != 0:
        return False
    name = f"live-probe-{uuid.uuid4().hex[:6]}"
    ok = run(["ip", "netns", "add", name]).returncode == 0
    if ok:
        ok = (
            run(
                ["ip", "netns", "exec", name, "ip", "link", "add", "p0", "type", "veth", "peer", "p1"]
            ).returncode
            == 0
        )
        run(["ip", "netns", "del", name])
    return ok


# Skipped on a machine that cannot (not root, no iproute2); in CI they must run, so there they fail.
namespaces = pytest.mark.skipif(
    not IN_CI and not _can_make_namespaces(), reason="needs root and network namespaces"
)


@pytest.fixture
def laptop():
    """A network namespace to build a laptop's interfaces in; ``laptop.add(name, address)``."""

    class Laptop:
        name = f"live-{uuid.uuid4().hex[:8]}"
        procs = []

        def sh(self, *cmd):
            result = run(["ip", "netns", "exec", self.name, *cmd])
            assert result.returncode == 0, result.stderr
            return result.stdout

        def add(self, iface, address, route=None):
            # A veth pair stands in for any interface: only its name and address matter here.
            self.sh("ip", "link", "add", iface, "type", "veth", "peer", "name", iface + "p")
            self.sh("ip", "link", "set", iface + "p", "up")
            self.sh("ip", "link", "set", iface, "up")
            self.sh("ip", "addr", "add", address, "dev", iface)
            if route:
                self.sh("ip", "route", "add", *route.split(), "dev", iface)

        def get(self, url, host=None):
            """Status code and body of a GET made inside the namespace."""
            script = (
                "import sys, urllib.request, urllib.error\n"
                "headers = {'Host': sys.argv[2]} if sys.argv[2] else {}\n"
                "try:\n"
                "    r = urllib.request.urlopen(urllib.request.Request(sys.argv[1], headers=headers))\n"
                "    print(r.status); print(r.read().decode())\n"
                "except urllib.error.HTTPError as e:\n"
                "    print(e.code)\n"
            )
            out = self.sh(sys.executable, "-c", script, url, host or "")
            status, _, body = out.partition("\n")
            return int(status), body

        def serve(self, data_dir, quiet=True, **env):
            """The server on 0.0.0.0 as ``make run`` starts it; returns (process, first output)."""
            proc = spawn(["ip", "netns", "exec", self.name, *command(5000, data_dir, quiet=quiet)], **env)
            self.procs.append(proc)
            lines = proc.lines
            end = time.monotonic() + 20
            while time.monotonic() < end and proc.poll() is None:
                if any(line.startswith("Stoppen: Ctrl+C") for line in lines):
                    return proc, "".join(lines)
                time.sleep(0.05)
            raise AssertionError("no start-up text:\n" + "".join(lines))

    box = Laptop()
    assert run(["ip", "netns", "add", box.name]).returncode == 0
    box.sh("ip", "link", "set", "lo", "up")
    try:
        yield box
    finally:
        for proc in box.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
        run(["ip", "netns", "del", box.name])


@namespaces
def test_beside_a_vpn_docker_and_a_vm_phones_get_the_wifi_and_every_listed_address_works(laptop, tmp_path):
    laptop.add("wlan0", "192.168.1.20/24", route="default via 192.168.1.1")
    laptop.add("tun0", "10.8.0.5/24", route="10.0.0.0/8 via 10.8.0.1")  # a VPN for the office
    laptop.add("docker0", "172.17.0.1/16")
    laptop.add("virbr0", "192.168.122.1/24")
    laptop.add("eth1", "192.168.50.7/24")  # a second, real network
    proc, out = laptop.serve(tmp_path / "data")
    try:
        lines = out.splitlines()
        assert "Telefoons op dezelfde wifi: http://192.168.1.20:5000 (de QR-code hieronder)" in lines
        assert "  http://192.168.50.7:5000" in lines
        assert "Dat in de QR-code: PUBLIC_URL=http://192.168.50.7:5000 make run" in lines
        assert "10.8.0.5" not in out and "172.17." not in out and "192.168.122." not in out
        # A meeting made on the laptop (at localhost) gets the Wi-Fi address on the beamer.
        script = (
            "import json, urllib.request\n"
            "req = urllib.request.Request('http://127.0.0.1:5000/api/meetings', method='POST',"
            " data=json.dumps({'title': 'Wijk', 'themes': ['Groen']}).encode(),"
            " headers={'Content-Type': 'application/json'})\n"
            "print(json.loads(urllib.request.urlopen(req, timeout=5).read())['join_url'])\n"
        )
        assert laptop.sh(sys.executable, "-c", script).startswith("http://192.168.1.20:5000/")
        # Every printed address is one this server answers to, not "Onbekend adres".
        assert laptop.get("http://192.168.50.7:5000/")[0] == 200
        assert laptop.get("http://192.168.1.20:5000/")[0] == 200
        assert laptop.get("http://192.168.1.20:5000/", host="rebind.example:5000")[0] == 400
    finally:
        stop(proc)


@namespaces
def test_without_a_network_it_says_what_to_do_shows_no_qr_code_and_still_serves_the_laptop(laptop, tmp_path):
    laptop.add("docker0", "172.17.0.1/16")  # Docker's bridge is no way in for phones
    proc, out = laptop.serve(tmp_path / "data", quiet=False)
    try:
        assert out.splitlines() == [
            "Burgerkracht Live draait.",
            "Op deze laptop: http://localhost:5000",
            "Deze laptop heeft geen netwerk: telefoons kunnen er nu niet bij.",
            "Verbind de laptop met de wifi van de zaal, of zet de hotspot van een telefoon aan en"
            " verbind de laptop daarmee. Stop dan met Ctrl+C en start opnieuw.",
            "Stoppen: Ctrl+C. Alles wat binnenkomt, is meteen bewaard.",
        ]
        assert laptop.get("http://localhost:5000/")[0] == 200
    finally:
        assert_plain(stop(proc))


# -- the port --------------------------------------------------------------------------------


def test_a_port_taken_by_another_program_says_so_and_how_to_pick_another(tmp_path):
    import socket

    with socket.socket() as other:  # e.g. macOS's AirPlay receiver on 5000
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        result = run(command(port, tmp_path / "data", host="127.0.0.1"), cwd=ROOT, env=clean_env())
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"Poort {port} is al in gebruik door een ander programma (op een Mac vaak de AirPlay-ontvanger).",
        "Start op een andere poort: PORT=5050 make run (of: python -m live --port 5050).",
    ]
    assert not (tmp_path / "data").exists()  # stopped before touching anything


def test_a_second_start_on_the_same_port_points_to_the_one_that_runs(tmp_path):
    port = free_port()
    first = start(port, tmp_path / "data")
    try:
        result = run(command(port, tmp_path / "data", host="127.0.0.1"), cwd=ROOT, env=clean_env())
        assert result.returncode == 2
        assert result.stderr.splitlines()[:2] == [
            f"Poort {port} is al in gebruik: Burgerkracht Live draait daar al (in een ander venster).",
            f"Gebruik dat: open http://localhost:{port}. Of stop het daar met Ctrl+C en start hier opnieuw.",
        ]
        assert_plain(result.stderr)
        # Taking the advice to use another port, with the same folder: stopped too, since two
        # servers on one store would each tell only their own phones what the host does.
        other = free_port()
        result = run(command(other, tmp_path / "data", host="127.0.0.1"), cwd=ROOT, env=clean_env())
        assert result.returncode == 1
        folder = (tmp_path / "data").resolve()
        assert result.stderr.splitlines() == [
            f"Burgerkracht Live draait al met de map {folder}, op poort {port}: open http://localhost:{port}.",
            "Twee tegelijk met dezelfde map gaat mis. Gebruik het eerste, of stop het met Ctrl+C.",
        ]
        urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5).read()
    finally:
        stop(first)


def test_a_port_that_is_not_a_number_is_a_sentence_not_a_traceback(tmp_path):
    cmd = [sys.executable, "-m", "live", "--data-dir", str(tmp_path / "d"), "--quiet"]
    result = run(cmd, cwd=ROOT, env=clean_env(PORT="vijfduizend"))
    assert result.returncode == 1
    assert result.stderr.strip() == (
        "De instelling PORT=vijfduizend klopt niet: daar hoort een getal, bijvoorbeeld PORT=5000."
    )


# -- stop, crash, start again ----------------------------------------------------------------


def test_ctrl_c_stops_cleanly_and_the_next_start_carries_on_also_after_a_crash(tmp_path):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    data = tmp_path / "data"
    proc = start(port, data, PUBLIC_URL=url)
    made = api(url + "/api/meetings", {"title": "Dorpsavond", "themes": ["Groen", "Verkeer"]})[1]
    code, host_key = made["code"], made["host_key"]
    phone = socketio.Client(reconnection=False)
    phone.connect(url, auth={"role": "phone", "code": code}, transports=["websocket"], wait_timeout=10)
    try:
        out = stop(proc)  # Ctrl+C with a phone still connected
    finally:
        phone.disconnect()
    assert proc.returncode == 0
    assert_plain(out)
    assert out.splitlines()[-1] == "Gestopt. Alles is bewaard: met make run gaat u verder waar u was."

    def same_meeting_and_host_link_work():
        # The host link moves its key into a cookie and reloads: a wrong key would get 403.
        browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor())
        with browser.open(f"{url}/{code}/host?key={host_key}", timeout=5) as resp:
            assert resp.status == 200 and "Dorpsavond" in resp.read().decode()
        with urllib.request.urlopen(f"{url}/{code}", timeout=5) as resp:
            assert resp.status == 200 and "Dorpsavond" in resp.read().decode()

    proc = start(port, data, PUBLIC_URL=url)
    same_meeting_and_host_link_work()
    api(url + "/api/meetings", {"title": "Nog een", "themes": ["x"]})  # something in the WAL
    proc.send_signal(signal.SIGKILL)  # a crash: the WAL, its index and the lock file stay behind
    proc.communicate(timeout=10)
    assert {"live.sqlite3-wal", "live.sqlite3-shm", "live.lock"} <= {p.name for p in data.iterdir()}
    proc = start(port, data, PUBLIC_URL=url)
    try:
        same_meeting_and_host_link_work()
    finally:
        assert_plain(stop(proc))


# -- the data folder -------------------------------------------------------------------------


def test_a_data_folder_that_is_a_file_is_a_sentence_not_a_traceback(tmp_path):
    (tmp_path / "instance").write_text("not a folder")
    result = run(command(free_port(), tmp_path / "instance", host="127.0.0.1"), cwd=ROOT, env=clean_env())
    assert result.returncode == 1
    assert_plain(result.stderr)
    assert "DATA_DIR=~/burgerkracht make run" in result.stderr


def _in_own_mounts() -> bool:
    return os.geteuid() == 0 and shutil.which("unshare") and run(["unshare", "-m", "true"]).returncode == 0


mounts = pytest.mark.skipif(not IN_CI and not _in_own_mounts(), reason="needs root and mount namespaces")


def _start_on_a_mount(tmp_path, options, fill=False):
    """Start the server on a tmpfs mounted only for it, with ``options`` (ro, a tiny size)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    script = f"mount -t tmpfs -o {options} tmpfs {disk} && "
    if fill:
        script += f"(dd if=/dev/zero of={disk}/fill bs=1k count=1000 2>/dev/null; true) && "
    script += " ".join(command(free_port(), disk / "instance", host="127.0.0.1"))
    return run(["unshare", "-m", "sh", "-c", script], cwd=ROOT, env=clean_env())


@mounts
def test_a_data_folder_that_cannot_be_written_says_where_to_write_instead(tmp_path):
    result = _start_on_a_mount(tmp_path, "ro,size=1m")
    assert result.returncode == 1
    folder = tmp_path / "disk" / "instance"
    assert result.stderr.splitlines() == [
        f"Burgerkracht Live mag niet schrijven in de map {folder}.",
        "Kies een map van uzelf, bijvoorbeeld: DATA_DIR=~/burgerkracht make run.",
    ]


@mounts
def test_a_full_disk_at_start_says_so(tmp_path):
    result = _start_on_a_mount(tmp_path, "size=64k", fill=True)
    assert result.returncode == 1
    folder = tmp_path / "disk" / "instance"
    assert result.stderr.splitlines() == [
        f"De schijf is vol: Burgerkracht Live kan niets opslaan in de map {folder}.",
        "Maak ruimte vrij (leeg bijvoorbeeld de prullenbak) en start opnieuw.",
    ]


def test_a_damaged_store_file_says_which_folder_and_what_to_do_without_a_traceback(tmp_path):
    data = tmp_path / "instance"
    data.mkdir(mode=0o700)
    (data / "live.sqlite3").write_bytes(b"this was a spreadsheet once " * 200)
    result = run(command(free_port(), data, host="127.0.0.1"), cwd=ROOT, env=clean_env())
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        f"Burgerkracht Live kan de opslag in de map {data} niet openen (file is not a database).",
        "Kies een andere map, bijvoorbeeld: DATA_DIR=~/burgerkracht make run.",
    ]
