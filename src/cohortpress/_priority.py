"""A process's priority: work that may wait leaves its core to the work that may not.

Used for pandoc and typst behind the render's longest pass (``render._pandoc``) and for the
figures' workers of a run whose figures are read last (``artefacts.figures._parallel``).
Kept apart, without imports beyond ``os``: a cached run's render imports it.
"""

from __future__ import annotations

import contextlib
import os

BEHIND = 10  # the niceness of a process that leaves its core to the run's longest chain


def run_behind(pid: int) -> None:
    """Give process ``pid`` a lower priority (niceness :data:`BEHIND`, or its own where that
    is higher), where the system has priorities (not Windows): on a busy machine it then mostly
    runs on a core that the processes of normal priority leave free. A process that has ended
    already is left."""
    if hasattr(os, "setpriority"):
        with contextlib.suppress(OSError):
            niceness = max(os.getpriority(os.PRIO_PROCESS, pid), BEHIND)
            os.setpriority(os.PRIO_PROCESS, pid, niceness)
