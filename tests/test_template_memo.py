"""The template helpers that reuse their output (the `memo` filter, `options`) never hand a
plain string the output made for an equal Markup, and take what a macro takes."""

from markupsafe import Markup

from app.web.templating import options, templates

MEMO = templates.env.from_string(
    "{% macro tag(x, strong=false) %}{% if strong %}<b>{% endif %}{{ x }}{% endmacro %}"
    "{% set t = tag | memo %}"
    "{{ t(marked) }}|{{ t(plain) }}|{{ t(plain, strong=true) }}|{{ t(listed) }}|{{ t(listed) }}"
)


def test_memo_tells_markup_from_an_equal_string_and_takes_keywords_and_lists() -> None:
    out = MEMO.render(marked=Markup("<i>x</i>"), plain="<i>x</i>", listed=["a"])
    assert out == (
        "<i>x</i>|&lt;i&gt;x&lt;/i&gt;|<b>&lt;i&gt;x&lt;/i&gt;|[&#39;a&#39;]|[&#39;a&#39;]"
    )


def test_options_tell_a_markup_label_from_an_equal_string() -> None:
    marked = options((("a", Markup("<i>A</i>")),), "a")
    plain = options((("a", "<i>A</i>"),), "a")
    assert marked == '<option value="a" selected><i>A</i></option>'
    assert plain == '<option value="a" selected>&lt;i&gt;A&lt;/i&gt;</option>'
