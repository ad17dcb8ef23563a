"""The scenario clock: which step of the scripted scenario the marketplace is showing.

Every page is a pure function of (world, step), so advancing the clock is all it takes for prices to move,
reviews to arrive and hot terms to churn; successive scans see the changes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable


class ScenarioClock:
    def __init__(self, step: int = 0, max_step: int = 10_000) -> None:
        if not 0 <= step <= max_step:
            raise ValueError(f"scenario step must be between 0 and {max_step}, got {step}")
        self._step = step
        self._max_step = max_step
        self._lock = threading.Lock()
        self._listeners: list[Callable[[int], None]] = []

    @property
    def step(self) -> int:
        return self._step

    def set(self, step: int) -> int:
        if not 0 <= step <= self._max_step:
            raise ValueError(f"scenario step must be between 0 and {self._max_step}, got {step}")
        with self._lock:
            self._step = step
        for listener in self._listeners:
            listener(step)
        return step

    def advance(self, steps: int = 1) -> int:
        return self.set(self._step + steps)

    def on_change(self, listener: Callable[[int], None]) -> None:
        """Call `listener(step)` after every change (e.g. to rewrite the ground-truth file)."""
        self._listeners.append(listener)
