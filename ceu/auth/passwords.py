"""Password hashing (argon2id) and the strength rule."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 12
_hasher = PasswordHasher()  # argon2id with the library's current recommended parameters

# The commonest passwords of 12+ characters (from public breach-frequency lists) and
# patterns that pass a length check while being trivially guessable.
COMMON = frozenset(
    [
        "123456789012",
        "1234567890123",
        "12345678901234",
        "123456789123",
        "password1234",
        "password12345",
        "passwordpassword",
        "qwertyuiopas",
        "qwertyuiop123",
        "qwerty123456",
        "1q2w3e4r5t6y",
        "1qaz2wsx3edc",
        "iloveyou1234",
        "abcdefghijkl",
        "abc123abc123",
        "letmein12345",
        "welcome12345",
        "administrator",
        "000000000000",
        "111111111111",
        "123123123123",
        "aaaaaaaaaaaa",
        "changeme1234",
        "trustno11234",
        "football1234",
        "baseball1234",
        "sunshine1234",
        "princess1234",
        "monkey123456",
        "dragon123456",
        "masterpassword",
        "superman1234",
        "passw0rd1234",
        "p@ssw0rd1234",
        "password123!",
        "qwertyuiopasdfgh",
    ]
)


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def password_problem(password: str, *, email: str = "", name: str = "") -> str | None:
    """Why this password is refused, or None; shared by registration, change and reset."""
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters."
    if len(password) > 1024:
        return "Use at most 1,024 characters."
    lowered = password.lower()
    if lowered in COMMON or len(set(lowered)) < 4:
        return "This password is too common or too simple; choose a less predictable one."
    local = email.split("@")[0].lower()
    if len(local) >= 4 and local in lowered:
        return "The password must not contain your e-mail address."
    if name and name.replace(" ", "").lower() == lowered.replace(" ", ""):
        return "The password must not be your name."
    return None
