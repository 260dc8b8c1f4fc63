"""What each stream cost, for the one-line summary per stream a sync ends with."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Dict, Optional


@dataclass
class StreamStats:
    records: int = 0
    requests: int = 0
    retries: int = 0
    rate_limited: int = 0
    started: Optional[float] = None
    finished: Optional[float] = None

    def line(self, stream: str) -> str:
        seconds = (self.finished or time.monotonic()) - (self.started or time.monotonic())
        return (f"Stream {stream}: {self.records} records, {self.requests} requests, {self.retries} retries, "
                f"{self.rate_limited} rate-limited (429), {seconds:.1f} s")


@dataclass
class SyncStats:
    streams: Dict[str, StreamStats] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def _of(self, stream: str) -> StreamStats:
        found = self.streams.get(stream)
        if found is None:
            found = self.streams[stream] = StreamStats()
        return found

    def answered(self, stream: str, retried: bool, rate_limited: bool) -> None:
        now = time.monotonic()
        with self._lock:
            entry = self._of(stream)
            entry.requests += 1
            entry.retries += retried
            entry.rate_limited += rate_limited
            entry.started = entry.started or now
            entry.finished = now

    def emitted(self, stream: str, count: int = 1) -> None:
        with self._lock:
            self._of(stream).records += count
