"""``python tools/slowlink.py``: a village hall's slow Wi-Fi between a browser and the server.

A small TCP proxy on 127.0.0.1 that delays and throttles every byte, websockets included (it does
not read HTTP at all), which Chromium's own throttling cannot do. The link it models:

- 200 ms each way (a 400 ms round trip), and a new connection pays one round trip for its TCP
  handshake before its first byte leaves the browser;
- 50 KB/s down and 20 KB/s up, each shared by every connection (one access point, one phone), so
  six parallel downloads share 50 KB/s instead of getting 50 KB/s each.

It counts the bytes each way, which is what "over the wire" means in BENCHMARKS.md (headers and
websocket frames included). ``tools/phone_load.py`` runs it in a thread; alone it runs until
Ctrl-C::

    python tools/slowlink.py --listen 8001 --target 127.0.0.1:5000

It must not import the server, and it only ever connects to the one target it is given.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import threading
import time

DELAY = 0.2  # seconds, each way
DOWN = 50_000  # bytes per second, server to browser
UP = 20_000  # bytes per second, browser to server
PIECE = 1460  # bytes: one TCP segment, so a large answer arrives a little at a time


class Link:
    """One direction of the link, shared by every connection: a byte queues behind the bytes sent
    before it (``rate``), then travels ``delay`` seconds."""

    def __init__(self, rate: float, delay: float):
        self.rate, self.delay = rate, delay
        self.free_at = 0.0
        self.bytes = 0

    def arrival(self, size: int, ready: float) -> float:
        """When ``size`` bytes handed to the link at ``ready`` (monotonic) reach the other end."""
        start = max(ready, self.free_at)
        self.free_at = start + size / self.rate
        self.bytes += size
        return self.free_at + self.delay


class SlowLink:
    """The proxy: ``listen`` on 127.0.0.1, forward to ``target`` through two ``Link`` objects."""

    def __init__(self, target: tuple[str, int], delay=DELAY, down=DOWN, up=UP):
        self.target = target
        self.delay = delay
        self.down, self.up = Link(down, delay), Link(up, delay)
        self.connections = 0
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server = None

    def reset(self) -> None:
        """Zero the byte and connection counters (between measured loads)."""
        self.down.bytes = self.up.bytes = self.connections = 0

    async def _pipe(self, reader, writer, link: Link, not_before: float) -> None:
        queue: asyncio.Queue = asyncio.Queue()

        async def deliver():
            while True:
                item = await queue.get()
                if item is None:
                    with contextlib.suppress(OSError):
                        writer.write_eof()
                    return
                at, data = item
                wait = at - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                writer.write(data)
                with contextlib.suppress(ConnectionError):
                    await writer.drain()

        task = asyncio.create_task(deliver())
        try:
            while data := await reader.read(65536):
                for i in range(0, len(data), PIECE):
                    piece = data[i : i + PIECE]
                    queue.put_nowait((link.arrival(len(piece), max(time.monotonic(), not_before)), piece))
        except ConnectionError:
            pass
        queue.put_nowait(None)
        await task

    async def _serve(self, c_reader, c_writer) -> None:
        self.connections += 1
        # The browser may send once the handshake is done: one round trip after it connected.
        handshake_done = time.monotonic() + 2 * self.delay
        try:
            s_reader, s_writer = await asyncio.open_connection(*self.target)
        except OSError:
            c_writer.close()
            return
        try:
            await asyncio.gather(
                self._pipe(c_reader, s_writer, self.up, handshake_done),
                self._pipe(s_reader, c_writer, self.down, 0.0),
            )
        finally:
            for w in (c_writer, s_writer):
                w.close()

    async def start(self, port: int = 0) -> int:
        """Listen; return the port (a free one when ``port`` is 0)."""
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", port)
        self.port = self._server.sockets[0].getsockname()[1]
        return self.port

    def start_in_thread(self, port: int = 0) -> int:
        """Run the proxy on its own event loop in a daemon thread; return its port."""
        started = threading.Event()

        def run():
            self._loop = asyncio.new_event_loop()
            self._loop.run_until_complete(self.start(port))
            started.set()
            self._loop.run_forever()

        threading.Thread(target=run, daemon=True, name="slowlink").start()
        if not started.wait(10):
            raise RuntimeError("the slow link did not start")
        return self.port


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--listen", type=int, default=8001, help="port on 127.0.0.1")
    parser.add_argument("--target", default="127.0.0.1:5000", help="host:port of the server")
    parser.add_argument("--delay", type=float, default=DELAY, help="seconds each way")
    parser.add_argument("--down", type=int, default=DOWN, help="bytes per second to the browser")
    parser.add_argument("--up", type=int, default=UP, help="bytes per second to the server")
    args = parser.parse_args()
    host, _, port = args.target.rpartition(":")
    link = SlowLink((host, int(port)), args.delay, args.down, args.up)

    async def run():
        print(f"slow link on 127.0.0.1:{await link.start(args.listen)} -> {args.target}", flush=True)
        await asyncio.Event().wait()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())


if __name__ == "__main__":
    main()
