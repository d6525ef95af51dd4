"""What this process opens and where it connects, seen through Python's audit hooks: a test can then assert that a
file was never opened, and no connection ever leaves the machine (one to another address is refused, and noted)."""

from __future__ import annotations

import ipaddress
import os
import sys
import threading
from typing import Any

_watches: list[IOWatch] = []
_lock = threading.Lock()
_installed = False


def _loopback(host: object) -> bool:
    try:
        return ipaddress.ip_address(str(host).split("%", 1)[0]).is_loopback
    except ValueError:
        return str(host) == "localhost"


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if event not in ("open", "socket.connect") or not _watches:
        return
    with _lock:
        watches = list(_watches)
    if event == "open":
        path = args[0]
        if isinstance(path, str | bytes | os.PathLike):
            for watch in watches:
                watch.opened.append(os.fsdecode(path))
        return
    address = args[1]
    if isinstance(address, tuple) and address and not _loopback(address[0]):
        for watch in watches:
            watch.refused.append(str(address[0]))
        # Tests talk to this machine only: a connection elsewhere is a bug, stopped before any packet is sent.
        raise PermissionError(f"test refused a connection to {address[0]} (not a loopback address)")


class IOWatch:
    """While entered: `opened` lists every path opened, `refused` every non-loopback address a connect tried."""

    def __init__(self) -> None:
        self.opened: list[str] = []
        self.refused: list[str] = []

    def __enter__(self) -> IOWatch:
        global _installed
        with _lock:
            if not _installed:
                sys.addaudithook(_hook)  # audit hooks cannot be removed: one for the process, idle when unwatched
                _installed = True
            _watches.append(self)
        return self

    def __exit__(self, *exc: object) -> None:
        with _lock:
            _watches.remove(self)

    def opened_under(self, folder: str) -> list[str]:
        return [p for p in self.opened if p.startswith(folder)]
