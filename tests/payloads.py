"""Hostile and unusual text for the injection and script tests, and a checker that finds any
element or attribute a payload managed to inject into a page."""

from html.parser import HTMLParser

# One line, under every summary's length, so it can be looked for whole in any page's text.
XSS = (
    'ZZP <script>alert(1)</script> "><img src=x onerror=alert(1)> javascript:alert(1) '
    "{{7*7}} {% raw %} </textarea><zzinjected>x</zzinjected> '><svg onload=alert(2)>"
)
# Short enough for a member state's name (80 characters).
XSS_NAME = '"><img src=x onerror=alert(3)><zzinjected>'
SQL = "'; DROP TABLE items; -- % _ \\ \\' \" `"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
FORMULAS = (
    '=HYPERLINK("http://evil.example","click")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
)
INJECTED_TAGS = frozenset({"zzinjected", "svg"})
URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "xlink:href"})


class _Scan(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag in INJECTED_TAGS:
            self.problems.append(f"<{tag}> element")
        if tag == "img" and values.get("src") == "x":
            self.problems.append("<img src=x>")
        if tag == "script" and not values.get("src", "").startswith("/static/"):
            self.problems.append("inline or foreign <script>")
        for name, value in values.items():
            if name.startswith("on"):
                self.problems.append(f"event handler attribute {name} on <{tag}>")
            if name in URL_ATTRIBUTES and value.strip().lower().startswith("javascript:"):
                self.problems.append(f"javascript: URL in {name} of <{tag}>")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def scan(html: str) -> tuple[list[str], str]:
    """(what was injected, the page's text as a reader sees it)."""
    parser = _Scan()
    parser.feed(html)
    parser.close()
    return parser.problems, "".join(parser.text)
