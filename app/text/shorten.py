"""Shortening a text that circulates (a summary in the comment-response table, a name read from
a file): on one line, cut after a whole word with an ellipsis, never inside a word."""


def shorten(text: str, size: int) -> str:
    """The text on one line, at most `size` characters: cut after a whole word, with an
    ellipsis; a single word longer than that is cut, there is no other way."""
    text = " ".join(text.split())
    if len(text) <= size:
        return text
    cut = text[: size - 1]
    if text[size - 1] != " " and " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,;:") + "…"
