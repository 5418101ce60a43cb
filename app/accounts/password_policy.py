"""What a new password must be (ASVS 5.0 level 2, V6.2): long enough, not too long, and not
among the passwords a guesser tries first. No rules about which kinds of characters it holds.

Every way a password is set (the account page, a reset, an invitation, `zerodraft user add`)
checks it here, and every form field takes at most MAX_LENGTH characters, so a password is
refused alike wherever it is given.

`common_passwords.txt.gz` is the union, lower-cased, of two lists shipped on PyPI: the 20,000
most common passwords of the Pwned Passwords breach corpus by Royce Williams, as Django 5.2
ships it (django/contrib/auth/common-passwords.txt.gz, BSD-3-Clause), and the 30,000 most
frequent passwords of the leaked-password corpus zxcvbn ranks guesses by (zxcvbn 4.5.0,
frequency_lists.py "passwords", MIT): 40,101 entries, 117 KB. It is read once, on first use;
nothing is looked up on the network.
"""

import gzip
import re
from functools import cache
from pathlib import Path

# With a second factor the password is one guard of two; without one it must hold alone.
MIN_LENGTH = 12
MIN_LENGTH_ALONE = 15
# The one upper bound: long enough for any passphrase (ASVS asks for at least 64), short
# enough that hashing it costs what hashing any other costs. Forms, API and CLI use it.
MAX_LENGTH = 128

LIST_FILE = Path(__file__).resolve().parent / "common_passwords.txt.gz"
# Keyboard and alphabet runs (digits twice over, so that 1234567890 is one).
_RUNS = ("01234567890123456789", "abcdefghijklmnopqrstuvwxyz", "qwertyuiopasdfghjklzxcvbnm")
# What guessers add around a common password: digits and punctuation at either end.
_EDGES = re.compile(r"^[\W\d_]+|[\W\d_]+$")
# ... and the letters they swap for look-alikes.
_LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"}
)


# Words of this service's own that a guesser would try first (ASVS: context-specific words).
_CONTEXT = frozenset(
    {"zerodraft", "asean", "aseansecretariat", "secretariat", "draftingworkinggroup", "dwgfc"}
)


@cache
def common_passwords() -> frozenset[str]:
    with gzip.open(LIST_FILE, "rt", encoding="utf-8") as lines:
        return frozenset(line.rstrip("\n") for line in lines if line.strip())


def min_length(*, second_factor: bool) -> int:
    return MIN_LENGTH if second_factor else MIN_LENGTH_ALONE


def _simple(text: str) -> str:
    return "".join(text.lower().split())


def is_common(password: str) -> bool:
    """In the list (or a word of this service's own) as it is, or once the digits and
    punctuation around it are taken off, or with look-alike characters read as the letters
    they stand for ("P@ssw0rd-2024!")."""
    listed = common_passwords()
    simple = _simple(password)
    bare = _EDGES.sub("", simple)
    candidates = {simple, bare, bare.translate(_LEET), _EDGES.sub("", simple.translate(_LEET))}
    return any(c in listed or c in _CONTEXT for c in candidates if c)


def weakness(password: str, *, email: str, name: str, second_factor: bool) -> str | None:
    """Why `password` may not be used, or None: its length; then what a guesser tries before
    anything else: the person's own address or name, one character or a few repeated, a run
    of keys, a word repeated, a common or breached password."""
    shortest = min_length(second_factor=second_factor)
    if len(password) < shortest:
        return f"the password must be at least {shortest} characters long"
    if len(password) > MAX_LENGTH:
        return f"the password must be at most {MAX_LENGTH} characters long"
    simple = _simple(password)
    address = email.strip().lower()
    local = address.split("@")[0]
    if simple in {address, local, _simple(name)} or (
        len(local) >= 4 and simple.startswith(local) and len(simple) - len(local) <= 4
    ):
        return "the password must not be your e-mail address or your name"
    if len(set(simple)) < 4:
        return "the password needs more different characters"
    if any(simple in run or simple in run[::-1] for run in _RUNS):
        return "the password must not be a run of keys such as 1234567890 or qwertyuiop"
    if _repeats(_EDGES.sub("", simple)) or _repeats(simple):
        return "the password must not be a word or a few characters repeated"
    if is_common(password):
        return (
            "many people use this password (it is on a list of common and breached "
            "passwords), so it is easy to guess; choose another"
        )
    return None


def _repeats(text: str) -> bool:
    """Whether `text` is a shorter piece said again and again ("passwordpassword",
    "123412341234123", "aseanaseanasean"), the last time perhaps cut short."""
    size = len(text)
    return size >= 4 and any(
        text == (text[:unit] * (size // unit + 1))[:size] for unit in range(1, size // 2 + 1)
    )
