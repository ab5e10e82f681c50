"""Real-process harnesses: the app in a pseudo-terminal with every byte it writes captured."""

from __future__ import annotations

import fcntl
import os
import pty
import signal
import struct
import sys
import termios
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
KEYS = {
    "enter": b"\r", "escape": b"\x1b", "tab": b"\t", "ctrl+s": b"\x13", "ctrl+n": b"\x0e", "ctrl+q": b"\x11",
    "ctrl+g": b"\x07", "ctrl+o": b"\x0f", "ctrl+r": b"\x12", "f11": b"\x1b[23~", "f12": b"\x1b[24~", "f1": b"\x1bOP",
}


class PtyApp:
    """`learning-together --db DB` in a pseudo-terminal; `output` holds every byte it wrote."""

    def __init__(self, db: Path, size: tuple[int, int] = (100, 32), extra_env: dict | None = None,
                 script: Path | None = None, args: tuple[str, ...] = ()) -> None:
        """`script` runs that file instead of `python -m assistant --db DB` (given DB, then `args`)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
        env.update({"TERM": "xterm-256color", "COLUMNS": str(size[0]), "LINES": str(size[1])})
        env.update(extra_env or {})
        pid, fd = pty.fork()
        if pid == 0:  # the child: become the app
            os.chdir(ROOT)
            if script is not None:
                os.execvpe(sys.executable, [sys.executable, str(script), str(db), *args], env)
            os.execvpe(sys.executable, [sys.executable, "-m", "assistant", "--db", str(db)], env)
        self.pid, self.fd = pid, fd
        fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", size[1], size[0], 0, 0))
        self.output = bytearray()
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        self.returncode: int | None = None

    def _read(self) -> None:
        while True:
            try:
                data = os.read(self.fd, 65536)
            except OSError:
                return
            if not data:
                return
            with self._lock:
                self.output.extend(data)

    def text(self) -> str:
        with self._lock:
            return self.output.decode("utf-8", errors="replace")

    def wait_for(self, needle: str, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if needle in self.text():
                return
            time.sleep(0.05)
        raise AssertionError(f"{needle!r} never appeared on screen")

    def send(self, *keys: str | bytes, pause: float = 0.15) -> None:
        for key in keys:
            data = key if isinstance(key, bytes) else KEYS.get(key, key.encode("utf-8"))
            os.write(self.fd, data)
            time.sleep(pause)

    def type(self, text: str) -> None:
        for char in text:
            os.write(self.fd, char.encode("utf-8"))
            time.sleep(0.005)

    def signal(self, signum: int) -> None:
        os.kill(self.pid, signum)

    def wait(self, timeout: float = 15.0) -> int:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
                return self.returncode
            time.sleep(0.05)
        os.kill(self.pid, signal.SIGKILL)
        os.waitpid(self.pid, 0)
        raise AssertionError("the app did not exit")

    def close(self) -> None:
        if self.returncode is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass
        try:
            os.close(self.fd)
        except OSError:
            pass
