"""What ``python -m live`` checks and says in the terminal before and while it serves.

The facilitator reads this on the laptop at 19:25: short Dutch sentences, the address, the QR
code and what to do next; when something is in the way, what to do about it, never a traceback.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import urllib.request

# Below this much free space the store cannot be trusted to take the evening's writes.
MIN_FREE_BYTES = 5 * 1024 * 1024
LOCK_FILE = "live.lock"


class StartError(Exception):
    """A reason not to start, as a Dutch message for the terminal."""


# -- settings and the port -------------------------------------------------------------------


def bad_setting(name: str, value: str, default: str) -> str:
    """A setting that should be a number is not."""
    return f"De instelling {name}={value} klopt niet: daar hoort een getal, bijvoorbeeld {name}={default}."


def bad_worker_name(value: str) -> str:
    """A WORKER_NAME the proxy's map could not match (docs/hosting.md)."""
    return (
        f"De instelling WORKER_NAME={value} klopt niet: gebruik 1 tot 16 letters en cijfers,"
        " bijvoorbeeld WORKER_NAME=w1."
    )


def local_url(host: str, port: int) -> str:
    """The address to open on the laptop itself."""
    if host in ("", "0.0.0.0", "::", "127.0.0.1", "localhost"):
        return f"http://localhost:{port}"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def runs_here(host: str, port: int) -> bool:
    """Whether the program on the port is a Burgerkracht Live server (asked on this machine)."""
    probe = "127.0.0.1" if host in ("", "0.0.0.0") else "::1" if host == "::" else host
    probe = f"[{probe}]" if ":" in probe else probe
    try:
        with urllib.request.urlopen(f"http://{probe}:{port}/healthz", timeout=2) as resp:
            return json.loads(resp.read()) == {"ok": True}
    except (OSError, ValueError):
        return False


def port_taken(host: str, port: int) -> str:
    """Why the port could not be taken, and what to do."""
    spare = 5050 if port != 5050 else 5051
    other = f"PORT={spare} make run (of: python -m live --port {spare})"
    if runs_here(host, port):
        return (
            f"Poort {port} is al in gebruik: Burgerkracht Live draait daar al (in een ander venster).\n"
            f"Gebruik dat: open {local_url(host, port)}. Of stop het daar met Ctrl+C en start hier opnieuw.\n"
            f"Toch een tweede, met een eigen map: DATA_DIR=tweede {other}."
        )
    return (
        f"Poort {port} is al in gebruik door een ander programma (op een Mac vaak de AirPlay-ontvanger).\n"
        f"Start op een andere poort: {other}."
    )


def port_refused(host: str, port: int, err: OSError) -> str:
    """The port or address cannot be used for another reason than being taken."""
    if err.errno in (errno.EACCES, errno.EPERM):
        return (
            f"Poort {port} mag alleen de beheerder gebruiken. Kies een poort boven 1024: PORT=5050 make run."
        )
    if err.errno == errno.EADDRNOTAVAIL:
        return (
            f"Het adres {host} hoort niet bij deze laptop. Laat HOST leeg (dan luistert het"
            f" op alle netwerken) of kies een adres van deze laptop."
        )
    return f"Poort {port} op {host or '0.0.0.0'} kan niet worden gebruikt ({err.strerror})."


# -- the data folder -------------------------------------------------------------------------


def _why(err: Exception, folder: str) -> str:
    full = isinstance(err, OSError) and err.errno in (errno.ENOSPC, errno.EDQUOT)
    if full or "disk is full" in str(err):
        return (
            f"De schijf is vol: Burgerkracht Live kan niets opslaan in de map {folder}.\n"
            f"Maak ruimte vrij (leeg bijvoorbeeld de prullenbak) en start opnieuw."
        )
    if isinstance(err, OSError) and err.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return (
            f"Burgerkracht Live mag niet schrijven in de map {folder}.\n"
            f"Kies een map van uzelf, bijvoorbeeld: DATA_DIR=~/burgerkracht make run."
        )
    return (
        f"Burgerkracht Live kan de opslag in de map {folder} niet openen ({err}).\n"
        f"Kies een andere map, bijvoorbeeld: DATA_DIR=~/burgerkracht make run."
    )


def claim_data_dir(data_dir: str, port: int):
    """Make sure the store can be written, and hold the folder for this server alone.

    Returns the open lock file: keep it open while serving. The lock is the kernel's (flock), so
    a crashed server leaves nothing behind that blocks the next start."""
    import fcntl

    folder = os.path.abspath(os.path.expanduser(data_dir))
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
        lock = open(os.path.join(folder, LOCK_FILE), "a+")  # noqa: SIM115 (held while serving)
    except OSError as err:
        raise StartError(_why(err, folder)) from None
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        lock.seek(0)
        where = lock.read().strip()
        lock.close()
        raise StartError(
            f"Burgerkracht Live draait al met de map {folder}"
            + (f", op poort {where}: open http://localhost:{where}" if where.isdigit() else "")
            + ".\nTwee tegelijk met dezelfde map gaat mis. Gebruik het eerste, of stop het met Ctrl+C."
        ) from None
    try:
        if shutil.disk_usage(folder).free < MIN_FREE_BYTES:
            raise OSError(errno.ENOSPC, "no space left")
        lock.seek(0)
        lock.truncate()
        lock.write(str(port))
        lock.flush()
    except OSError as err:
        lock.close()
        raise StartError(_why(err, folder)) from None
    return lock


def store_failed(err: Exception, data_dir: str) -> str:
    """The store could not be opened (after the checks above, e.g. a damaged file)."""
    return _why(err, os.path.abspath(os.path.expanduser(data_dir)))


# -- what the terminal shows -----------------------------------------------------------------


def banner(local: str, public: str, others: list[str], port: int, public_set: bool, only_here: bool) -> str:
    """The text above the QR code (``public`` is empty when phones cannot get in; ``only_here``:
    the server listens on loopback only)."""
    lines = ["Burgerkracht Live draait.", f"Op deze laptop: {local}"]
    if only_here and not public_set:
        lines.append("Het luistert alleen op deze laptop (HOST): telefoons kunnen er niet bij.")
    elif not public:
        lines += [
            "Deze laptop heeft geen netwerk: telefoons kunnen er nu niet bij.",
            "Verbind de laptop met de wifi van de zaal, of zet de hotspot van een telefoon aan en"
            " verbind de laptop daarmee. Stop dan met Ctrl+C en start opnieuw.",
        ]
    else:
        where = "" if public_set else " op dezelfde wifi"
        lines.append(f"Telefoons{where}: {public} (de QR-code hieronder)")
        if not public_set:
            lines.append(
                "Tip: vul de naam en het wachtwoord van de wifi in (start of leidingscherm, Klaarzetten):"
                " de beamer zet ze met een QR-code op het scherm."
            )
        if others:
            lines.append("Lukt dat niet? Deze laptop heeft nog een adres:")
            lines += [f"  http://{a}:{port}" for a in others]
            lines.append(f"Dat in de QR-code: PUBLIC_URL=http://{others[0]}:{port} make run")
    return "\n".join(lines)


STOPPED = "Gestopt. Alles is bewaard: met make run gaat u verder waar u was."
