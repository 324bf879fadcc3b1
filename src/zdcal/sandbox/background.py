"""What runs in the background for tests, benchmarks and the demo (the sandbox's HTTP
servers and mail sink, the simulators, a served zdcal): started on entering a ``with``
block and stopped on leaving it."""

from __future__ import annotations

from types import TracebackType
from typing import Self


class Background:
    """``start`` answers the started object; ``stop`` lets it go, however the block ends."""

    def start(self) -> Self:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
