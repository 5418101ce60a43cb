"""Numbers that people type or send in headers, checked before Python or the database sees
them: "²" passes str.isdigit() but not int(), and 10**30 passes int() but no database column."""

MAX_ID = 2_147_483_647  # the largest PostgreSQL integer


def is_id(value: str) -> bool:
    """A positive whole number written in ASCII digits that fits an integer column."""
    return value.isascii() and value.isdigit() and len(value) <= 10 and int(value) <= MAX_ID
