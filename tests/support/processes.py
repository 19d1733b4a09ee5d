"""Start a local server process for a test and wait until its port answers."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_for_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port}")


def stop(process: subprocess.Popen[str] | subprocess.Popen[bytes], timeout: float = 30) -> None:
    """Ask ``process`` to stop; kill it if it has not within ``timeout`` seconds."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@contextlib.contextmanager
def module_process(module: str, port: int | None = None) -> Iterator[int]:
    """``python -m module PORT`` on ``port`` (a free one if not given), once the port answers: the port."""
    port = port or free_port()
    process = subprocess.Popen([sys.executable, "-m", module, str(port)])
    try:
        wait_for_port(port)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)


def backend_process(port: int | None = None) -> contextlib.AbstractContextManager[int]:
    """The test backend of tests/support/backend.py on a free port."""
    return module_process("tests.support.backend", port)
