"""A real SMTP server for the browser tests: accepts every mail on a free loopback port and
writes each one, as received, to DIR/NNNN.eml. Prints `ready PORT` once it listens; stops
when its standard input closes (the test process ended) or on SIGTERM.

usage: .tools/venv/bin/python tests/e2e/lib/smtp_sink.py DIR
"""

import pathlib
import signal
import socket
import sys
import threading

from aiosmtpd.controller import Controller


class Sink:
    """Keeps every message in a file of its own, numbered in order of arrival."""

    def __init__(self, folder: pathlib.Path):
        self.folder = folder
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        with self.lock:
            self.count += 1
            name = self.folder / f"{self.count:04d}.eml"
        partial = name.with_suffix(".part")
        partial.write_bytes(envelope.original_content or envelope.content)
        partial.rename(name)
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    folder = pathlib.Path(sys.argv[1])
    folder.mkdir(parents=True, exist_ok=True)
    controller = Controller(Sink(folder), hostname="127.0.0.1", port=free_port())
    controller.start()
    print(f"ready {controller.port}", flush=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    threading.Thread(target=lambda: (sys.stdin.read(), done.set()), daemon=True).start()
    done.wait()
    controller.stop()


if __name__ == "__main__":
    main()
