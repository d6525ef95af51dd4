"""Escaping and clipping: nothing echoed can form a Slack mention or link, and clipping never breaks an entity."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.render.slack.escape import clip, escape, escape_clip, link, safe_url, slack_to_plain, unescape


def test_escape_makes_broadcasts_and_links_inert() -> None:
    assert escape("<!channel> & <@U1>") == "&lt;!channel&gt; &amp; &lt;@U1&gt;"
    assert unescape(escape("a <b> & c")) == "a <b> & c"
    assert unescape("&amp;lt;") == "&lt;"  # one level only, like Slack


@given(st.text(alphabet=st.sampled_from(list("ab &<>!@|é ")), max_size=200), st.integers(min_value=0, max_value=120))
def test_escape_clip_fits_and_never_splits_an_entity(text: str, limit: int) -> None:
    out = escape_clip(text, limit)
    assert len(out) <= limit
    assert "<" not in out and ">" not in out
    body = out.removesuffix("…")
    # Every & starts a whole entity: the text unescapes to a prefix of the original (modulo the clip's trailing space).
    assert "&" not in body.replace("&amp;", "").replace("&lt;", "").replace("&gt;", "")
    assert text.startswith(unescape(body)) or out == escape(text)


@given(st.text(max_size=300), st.integers(min_value=0, max_value=300))
def test_clip_fits(text: str, limit: int) -> None:
    out = clip(text, limit)
    assert len(out) <= limit
    assert out == text or out.endswith("…") or limit == 0


def test_clip_prefers_word_boundaries() -> None:
    assert clip("the quick brown fox jumps", 18) == "the quick brown…"


def test_safe_url_allows_http_only_and_cannot_break_out_of_a_link() -> None:
    assert safe_url("javascript:alert(1)") is None
    assert safe_url("https://a.example/x y") is None
    assert safe_url("https://a.example/?a=1&b=<2>|x") == "https://a.example/?a=1&amp;b=&lt;2&gt;%7Cx"
    assert link("https://a.example", "<!channel>") == "<https://a.example|&lt;!channel&gt;>"
    assert link(None, "Title & co") == "Title &amp; co"


def test_slack_markup_reads_as_plain_text() -> None:
    raw = "<@UBOT> hi <@U1|ana> <!channel> <!here|here> <#C1|general> <https://x.example|site> a &lt;b&gt; &amp; c"
    assert slack_to_plain(raw, drop_user="UBOT") == "hi @ana @channel @here #general site a <b> & c"
