"""A text progress bar for management commands: redrawn in place on a terminal, one line
per tenth of the work otherwise (cron mails, CI logs). Twenty lines do what is needed
here; a dependency such as tqdm would bring more than we use."""

from __future__ import annotations

import time


class ProgressBar:
    def __init__(self, stream, total: int, label: str = "", width: int = 30):
        self.stream = stream
        self.total = total
        self.label = label
        self.width = width
        self.started = time.monotonic()
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self._last_tenth = -1

    def update(self, done: int, detail: str = "") -> None:
        total = max(self.total, 1)
        ratio = min(done / total, 1)
        elapsed = time.monotonic() - self.started
        filled = int(self.width * ratio)
        line = f"{self.label} [{'#' * filled}{'.' * (self.width - filled)}] {done}/{self.total}"
        if elapsed >= 1 and done:
            # A rate and a time left mean something after a second, not before.
            rate = done / elapsed
            line += f" · {rate:.1f}/s · reste {(self.total - done) / rate:.0f} s"
        if detail:
            line += f" · {detail}"
        if self.tty:
            self.stream.write("\r" + line, ending="")
            self.stream.flush()
            return
        tenth = int(ratio * 10)
        if tenth != self._last_tenth or done == self.total:
            self._last_tenth = tenth
            self.stream.write(line)

    def close(self) -> None:
        if self.tty:
            self.stream.write("")
