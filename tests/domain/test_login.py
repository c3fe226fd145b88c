"""The wrong-password delay: free typos, then doubling, capped."""

from __future__ import annotations

from ceu.domain.login import FREE_FAILURES, MAX_DELAY_SECONDS, login_delay_seconds


def test_the_first_few_wrong_passwords_cost_nothing():
    assert [login_delay_seconds(n) for n in range(FREE_FAILURES)] == [0] * FREE_FAILURES


def test_the_delay_doubles_with_each_further_wrong_password_up_to_the_cap():
    delays = [login_delay_seconds(n) for n in range(FREE_FAILURES, FREE_FAILURES + 12)]
    assert delays[:5] == [1, 2, 4, 8, 16]
    assert all(b == min(2 * a, MAX_DELAY_SECONDS) for a, b in zip(delays, delays[1:], strict=False))
    assert login_delay_seconds(10_000) == MAX_DELAY_SECONDS
