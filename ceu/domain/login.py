"""How hard log-in gets after wrong passwords: slower for a guesser, never a lock-out."""

from __future__ import annotations

FREE_FAILURES = 5  # typos cost nothing
MAX_DELAY_SECONDS = 15 * 60


def login_delay_seconds(failures: int) -> int:
    """Seconds an unrecognised device waits after `failures` wrong passwords in a row for
    one account before its next try is checked: none for the first few, then doubling
    (1 s, 2 s, 4 s …) up to a quarter of an hour. Devices the owner has logged in from
    before never wait, so a stranger's guessing cannot lock the owner out."""
    if failures < FREE_FAILURES:
        return 0
    return int(min(2 ** (failures - FREE_FAILURES), MAX_DELAY_SECONDS))
