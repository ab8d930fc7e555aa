"""Several workers behind one nginx: the documented site and the sticky session ids it relies on."""

from __future__ import annotations

import json
import subprocess
import sys
import urllib.request

from conftest import ROOT, free_port, own_server, server_command


def test_the_documented_region_site_is_what_the_tool_makes():
    command = [sys.executable, "tools/region.py", "--print-site", "2"]
    made = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert made == (ROOT / "deploy" / "region" / "nginx.conf").read_text()


def test_a_named_worker_starts_every_session_id_with_its_name(tmp_path):
    # nginx sends a long poll back to the worker named at the start of its sid (deploy/region/).
    with own_server(tmp_path, WORKER_NAME="w7") as srv:
        sids = set()
        for _ in range(3):
            body = urllib.request.urlopen(srv.url + "/socket.io/?EIO=4&transport=polling", timeout=5).read()
            sid = json.loads(body.decode()[1:])["sid"]
            assert sid.startswith("w7.") and len(sid) > 10
            sids.add(sid)
        assert len(sids) == 3
        # The named session goes on like any other: a poll with it is answered.
        poll = urllib.request.urlopen(f"{srv.url}/socket.io/?EIO=4&transport=polling&sid={sid}", timeout=30)
        assert poll.status == 200


def test_a_worker_name_that_would_break_the_proxy_map_is_refused(tmp_path):
    proc = subprocess.run(
        server_command(free_port(), tmp_path),
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "WORKER_NAME": "w1.evil"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    said = proc.stderr + proc.stdout
    assert proc.returncode != 0 and "WORKER_NAME=w1.evil klopt niet" in said and "Traceback" not in said
