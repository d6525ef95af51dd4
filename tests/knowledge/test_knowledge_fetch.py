"""Fetching articles safely: only public addresses (or what the setting allows), checked after every redirect and
against DNS answers that change, the checked address pinned, and size, time and content type capped."""

from __future__ import annotations

import gzip
import ipaddress
import re
import shutil
import ssl
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from io_watch import IOWatch
from web_pages import Page, PageServer, html_page

from bot.settings import Settings
from knowledge.addresses import FetchPolicy, address_refusal
from knowledge.fetch import PIN, Fetcher, FetchError, PinnedTransport

TEXT = "Node.js kept the websocket gateway simple, while Python ran the planners. " * 20
ALLOW_PAGES = FetchPolicy.from_entries(["127.0.0.2/32"])


@pytest.fixture
def secret() -> Iterator[PageServer]:
    """An "internal" service on loopback: no test may ever reach it."""
    with PageServer("127.0.0.1") as server:
        server.pages["/secret"] = Page(b"internal credentials", "text/plain")
        yield server


@pytest.fixture
def public(secret: PageServer) -> Iterator[PageServer]:
    """The "public" article server: 127.0.0.2, which ALLOW_PAGES opens, on the same port as `secret`, so that only
    the address decides which one a connection reaches."""
    with PageServer("127.0.0.2", secret.port) as server:
        server.pages["/article"] = Page(html_page("Gateways and planners", TEXT))
        yield server


class Answers:
    """A resolver whose answers change from one lookup to the next (the last one repeats)."""

    def __init__(self, *answers: list[str]) -> None:
        self.answers = list(answers)
        self.lookups: list[str] = []

    def __call__(self, host: str, port: int) -> list[str]:
        self.lookups.append(host)
        return self.answers[min(len(self.lookups), len(self.answers)) - 1]


# ----- which addresses are public -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("127.8.9.10", "loopback"),
        ("::1", "loopback"),
        ("10.1.2.3", "private"),
        ("172.16.0.9", "private"),
        ("192.168.1.1", "private"),
        ("fd12:3456::1", "private"),
        ("169.254.10.10", "link-local"),
        ("fe80::1", "link-local"),
        ("100.64.0.1", "carrier-grade NAT"),
        ("224.0.0.251", "multicast"),
        ("ff02::1", "multicast"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("169.254.169.254", "cloud metadata"),
        ("fd00:ec2::254", "cloud metadata"),
        ("::ffff:127.0.0.1", "loopback"),  # IPv4-mapped
        ("::ffff:10.0.0.1", "private"),
        ("64:ff9b::a00:1", "private"),  # NAT64 of 10.0.0.1
        ("2002:7f00:1::", "loopback"),  # 6to4 of 127.0.0.1
        ("::127.0.0.1", "loopback"),  # the old IPv4-compatible form
        ("192.0.2.1", "reserved"),  # documentation range
        ("240.0.0.1", "reserved"),
    ],
)
def test_non_public_addresses_are_named_for_what_they_are(address: str, reason: str) -> None:
    refusal = address_refusal(ipaddress.ip_address(address))
    assert refusal is not None and reason in refusal


@pytest.mark.parametrize("address", ["93.184.215.14", "1.1.1.1", "2606:4700:4700::1111", "::ffff:8.8.8.8"])
def test_public_addresses_pass(address: str) -> None:
    assert address_refusal(ipaddress.ip_address(address)) is None


def test_the_allow_setting_takes_hostnames_domains_and_networks_and_names_a_bad_entry(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    policy = FetchPolicy.from_entries(["wiki.corp.test", ".docs.example.test", "10.20.0.0/16", "fd00:1::/64"])
    assert policy.host_allowed("WIKI.corp.test") and policy.host_allowed("a.docs.example.test")
    assert not policy.host_allowed("corp.test") and not policy.host_allowed("evil-docs.example.test")
    assert policy.address_allowed(ipaddress.ip_address("10.20.3.4"))
    assert not policy.address_allowed(ipaddress.ip_address("10.21.0.1"))
    assert "wiki.corp.test" in policy.describe() and "10.20.0.0/16" in policy.describe()
    assert FetchPolicy().describe().startswith("fetching articles from public addresses only")

    monkeypatch.setenv("STACKPICK_FETCH_ALLOW", "wiki.corp.test, 10.20.0.0/16")
    assert Settings(_env_file=None).fetch_allow == ["wiki.corp.test", "10.20.0.0/16"]  # type: ignore[call-arg]
    monkeypatch.setenv("STACKPICK_FETCH_ALLOW", "wiki.corp.test http://bad/")
    with pytest.raises(ValueError, match="'http://bad/' is neither a hostname nor a network"):
        Settings(_env_file=None)  # type: ignore[call-arg]


# ----- refusals: nothing reaches the address ----------------------------------------------------------------------


def test_a_loopback_url_is_refused_without_a_request(secret: PageServer) -> None:
    with pytest.raises(FetchError, match=re.escape("127.0.0.1 is a loopback address; only public")) as caught:
        Fetcher().fetch(f"{secret.url}/secret")
    assert "\n" not in str(caught.value)
    assert secret.seen == []


@pytest.mark.parametrize(
    ("url", "answers", "fragment"),
    [
        ("http://10.1.2.3/article", None, "10.1.2.3 is a private address"),
        ("http://wiki.example.test/article", ["10.1.2.3"], "wiki.example.test resolves to 10.1.2.3, a private"),
        ("http://[fe80::1]/article", None, "fe80::1 is a link-local address"),
        ("http://169.254.169.254/latest/meta-data/", None, "cloud metadata address, which is never fetched"),
        ("http://metadata.google.internal/computeMetadata/v1/", ["169.254.169.254"], "cloud metadata host"),
        ("http://cgnat.example.test/", ["100.64.1.1"], "carrier-grade NAT"),
        # Every answer is checked, not just the first: one public address does not let a private one through.
        ("http://mixed.example.test/", ["93.184.215.14", "192.168.0.10"], "resolves to 192.168.0.10, a private"),
    ],
)
def test_private_link_local_and_metadata_addresses_are_refused_before_connecting(
    url: str, answers: list[str] | None, fragment: str
) -> None:
    resolver = Answers(answers or ["93.184.215.14"])
    with IOWatch() as watch, pytest.raises(FetchError, match=fragment.replace(".", r"\.")):
        Fetcher(resolver=resolver).fetch(url)
    assert watch.refused == []  # not even a connection attempt (the watch would have stopped it)


def test_metadata_stays_refused_inside_an_allowed_network() -> None:
    with pytest.raises(FetchError, match="cloud metadata"):
        Fetcher(FetchPolicy.from_entries(["169.254.0.0/16"])).fetch("http://169.254.169.254/latest/")


def test_a_redirect_to_loopback_is_refused_and_never_followed(public: PageServer, secret: PageServer) -> None:
    public.pages["/go"] = Page(b"", None, 302, {"Location": f"{secret.url}/secret"})
    with pytest.raises(FetchError) as caught:
        Fetcher(ALLOW_PAGES).fetch(f"{public.url}/go")
    assert str(caught.value) == (
        f"{public.url}/go (redirected to {secret.url}/secret): 127.0.0.1 is a loopback address; only public "
        "addresses can be fetched (an intranet host can be allowed with STACKPICK_FETCH_ALLOW)"
    )
    assert public.paths_seen() == ["/go"] and secret.seen == []


@pytest.mark.parametrize(
    ("location", "fragment"),
    [("file:///etc/passwd", "only http(s) URLs can be fetched, not file"), ("/go", "more than 5 redirects")],
)
def test_redirects_to_other_schemes_and_redirect_loops_are_refused(
    public: PageServer, location: str, fragment: str
) -> None:
    public.pages["/go"] = Page(b"", None, 301, {"Location": location})
    with pytest.raises(FetchError, match=re.escape(fragment)):
        Fetcher(ALLOW_PAGES).fetch(f"{public.url}/go")


def test_a_dns_answer_that_changes_after_the_check_is_never_used(public: PageServer, secret: PageServer) -> None:
    # DNS rebinding: the name passes the check, then resolves to loopback. The name is resolved once and the
    # connection goes to the checked address, so the secret service (same port, loopback) is never reached.
    resolver = Answers(["127.0.0.2"], ["127.0.0.1"])
    page = Fetcher(ALLOW_PAGES, resolver=resolver).fetch(f"http://articles.example.test:{public.port}/article")
    assert "Gateways and planners" in page.text and page.url == f"http://articles.example.test:{public.port}/article"
    assert resolver.lookups == ["articles.example.test"]
    assert [(s.path, s.host) for s in public.seen] == [("/article", f"articles.example.test:{public.port}")]
    assert secret.seen == []


def test_a_dns_answer_that_changes_on_a_redirect_is_checked_again(public: PageServer, secret: PageServer) -> None:
    public.pages["/moved"] = Page(b"", None, 302, {"Location": "/article"})
    resolver = Answers(["127.0.0.2"], ["127.0.0.1"])
    url = f"http://articles.example.test:{public.port}/moved"
    with pytest.raises(FetchError, match=r"\(redirected to .*/article\): articles\.example\.test resolves to "
                       r"127\.0\.0\.1, a loopback address"):
        Fetcher(ALLOW_PAGES, resolver=resolver).fetch(url)
    assert resolver.lookups == ["articles.example.test"] * 2
    assert public.paths_seen() == ["/moved"] and secret.seen == []


def test_an_allowed_hostname_opens_that_name_only(public: PageServer, secret: PageServer) -> None:
    policy = FetchPolicy.from_entries(["wiki.corp.test"])
    resolver = Answers(["127.0.0.2"])
    page = Fetcher(policy, resolver=resolver).fetch(f"http://wiki.corp.test:{public.port}/article")
    assert "Gateways and planners" in page.text
    # The same address under its own number is not the allowed name: still loopback, still refused.
    with pytest.raises(FetchError, match="loopback"):
        Fetcher(policy, resolver=resolver).fetch(f"{public.url}/article")
    public.pages["/to-secret"] = Page(b"", None, 302, {"Location": f"{secret.url}/secret"})
    with pytest.raises(FetchError, match="loopback"):
        Fetcher(policy, resolver=resolver).fetch(f"http://wiki.corp.test:{public.port}/to-secret")
    assert secret.seen == []


# ----- limits: size, content type, time ---------------------------------------------------------------------------

CHUNK = b"<p>" + b"x" * 65_533 + b"</p>"


def endless(total_chunks: int = 1024):  # 64 MB, far more than any socket buffer holds
    return lambda: (CHUNK for _ in range(total_chunks))


def test_an_oversized_body_is_cut_off_past_the_cap(public: PageServer) -> None:
    public.pages["/huge"] = Page(endless())
    with pytest.raises(FetchError, match="larger than the 100,000 bytes allowed"):
        Fetcher(FetchPolicy.from_entries(["127.0.0.2"], max_bytes=100_000)).fetch(f"{public.url}/huge")
    # The download stopped: once we hung up, the server could not send more than the sockets' buffers hold. Its
    # count is read once its handler is done: the client can hold a chunk before the server has counted it.
    # (The error above already says the client read past the cap; a chunk cut off by the hang-up is not counted.)
    assert public.wait_finished("/huge")
    assert len(CHUNK) <= public.written["/huge"] < 1024 * len(CHUNK) // 4


def test_a_declared_length_over_the_cap_is_refused_before_the_body_is_read(public: PageServer) -> None:
    public.pages["/big"] = Page(b"x" * 200_001)
    with pytest.raises(FetchError, match="200,001 bytes, more than the 100,000 allowed"):
        Fetcher(FetchPolicy.from_entries(["127.0.0.2"], max_bytes=100_000)).fetch(f"{public.url}/big")


def test_a_compressed_body_is_capped_by_its_unpacked_size(public: PageServer) -> None:
    bomb = gzip.compress(b"<p>" + b"a" * 5_000_000 + b"</p>")
    assert len(bomb) < 100_000
    public.pages["/bomb"] = Page(bomb, headers={"Content-Encoding": "gzip"})
    with pytest.raises(FetchError, match="larger than the 100,000 bytes allowed"):
        Fetcher(FetchPolicy.from_entries(["127.0.0.2"], max_bytes=100_000)).fetch(f"{public.url}/bomb")


@pytest.mark.parametrize(
    ("content_type", "shown"),
    [("image/png", "image/png"), ("application/json", "application/json"), ("application/pdf", "application/pdf"),
     (None, "no content type")],
)
def test_only_html_plain_text_and_markdown_are_read(public: PageServer, content_type: str | None, shown: str) -> None:
    public.pages["/file"] = Page(b"\x89PNG\r\n\x1a\n", content_type)
    with pytest.raises(FetchError, match=f"not HTML, plain text or Markdown \\({shown}\\)"):
        Fetcher(ALLOW_PAGES).fetch(f"{public.url}/file")


@pytest.mark.parametrize("content_type", ["text/plain; charset=utf-8", "text/markdown", "application/xhtml+xml"])
def test_text_markdown_and_xhtml_are_accepted(public: PageServer, content_type: str) -> None:
    public.pages["/doc"] = Page(TEXT.encode(), content_type)
    assert Fetcher(ALLOW_PAGES).fetch(f"{public.url}/doc").text == TEXT


def test_a_body_that_trickles_in_is_given_up_after_the_time_limit(public: PageServer) -> None:
    def trickle():
        for _ in range(600):  # a minute of one byte every 0.1 s: far longer than the limit below
            time.sleep(0.1)
            yield b"x"

    public.pages["/slow"] = Page(trickle, "text/plain")
    with pytest.raises(FetchError, match="within 1 s"):
        Fetcher(FetchPolicy.from_entries(["127.0.0.2"], timeout=1.0)).fetch(f"{public.url}/slow")


# ----- the pinned connection ---------------------------------------------------------------------------------------


def test_https_connects_to_the_checked_address_with_the_original_host_and_server_name() -> None:
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200, headers={"Content-Type": "text/plain"}, content=TEXT.encode())

    fetcher = Fetcher(resolver=Answers(["93.184.215.14"]), inner_transport=httpx.MockTransport(answer))
    page = fetcher.fetch("https://blog.example.com/node-vs-python?x=1")
    assert page.text == TEXT and page.url == "https://blog.example.com/node-vs-python?x=1"
    [request] = sent
    assert str(request.url) == "https://93.184.215.14/node-vs-python?x=1"
    assert request.headers["Host"] == "blog.example.com"
    assert request.extensions["sni_hostname"] == "blog.example.com"  # TLS checks the certificate for this name
    assert PIN not in request.extensions


def test_a_request_without_a_checked_address_is_refused_by_the_transport() -> None:
    transport = PinnedTransport(httpx.MockTransport(lambda request: httpx.Response(200)))
    with pytest.raises(FetchError, match="its address was not checked"):
        transport.handle_request(httpx.Request("GET", "http://127.0.0.1/"))


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command to make a test certificate")
def test_a_pinned_https_connection_verifies_the_certificate_for_the_name(tmp_path: Path) -> None:
    # A real TLS handshake with a server on 127.0.0.2 whose certificate names articles.example.test only: fetched
    # by name (connected to the checked address) it verifies; fetched by address, the same certificate fails.
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj",
                    "/CN=articles.example.test", "-addext", "subjectAltName=DNS:articles.example.test",
                    "-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem")],
                   check=True, capture_output=True)
    server_side = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_side.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    trusting = ssl.create_default_context(cafile=str(tmp_path / "cert.pem"))
    with PageServer("127.0.0.2") as server:
        server.server.socket = server_side.wrap_socket(server.server.socket, server_side=True)
        server.pages["/article"] = Page(TEXT.encode(), "text/plain")
        fetcher = Fetcher(ALLOW_PAGES, resolver=Answers(["127.0.0.2"]),
                          inner_transport=httpx.HTTPTransport(verify=trusting, trust_env=False))
        page = fetcher.fetch(f"https://articles.example.test:{server.port}/article")
        assert page.text == TEXT
        assert [(s.path, s.host) for s in server.seen] == [("/article", f"articles.example.test:{server.port}")]
        with pytest.raises(FetchError, match=r"CERTIFICATE_VERIFY_FAILED|certificate verify failed"):
            fetcher.fetch(f"https://127.0.0.2:{server.port}/article")
