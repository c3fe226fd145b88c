"""gunicorn reads this file from the working directory (`make run`, the bench, production
when started from the project folder); command-line flags still set workers and bind.

After a worker has loaded the app, everything it holds then (Flask, SQLAlchemy, the
templates, ~150,000 objects) lives for the whole process. `gc.freeze()` moves those
objects out of the cyclic collector's reach, so a full collection no longer walks them
all: measured in-process, one such collection cost about 75 ms, a stall that every
request queued behind that worker waits out (it showed up in p99).
"""

from __future__ import annotations

import gc
from typing import Any


def post_worker_init(worker: Any) -> None:
    gc.collect()
    gc.freeze()
