"""atlas.ssrf: the address check shared by everything that fetches a URL a user gave."""

import pytest

from atlas.ssrf import UnsafeURL, check_public_url, is_public_address


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",  # cloud metadata
        "100.64.0.1",  # shared address space
        "0.0.0.0",
        "224.0.0.1",
        "::1",
        "fe80::1%eth0",
        "fd00::1",
        "::ffff:127.0.0.1",
        "2002:7f00:1::",  # 6to4 around 127.0.0.1
        "64:ff9b::a9fe:a9fe",  # NAT64 around 169.254.169.254
        "not an address",
    ],
)
def test_private_and_special_addresses_are_not_public(address):
    assert not is_public_address(address)


@pytest.mark.parametrize("address", ["8.8.8.8", "2606:4700:4700::1111", "64:ff9b::808:808"])
def test_global_addresses_are_public(address):
    assert is_public_address(address)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("file:///etc/passwd", "scheme 'file' is not allowed (only http, https)"),
        ("gopher://8.8.8.8/", "scheme 'gopher' is not allowed"),
        ("http://127.0.0.1:8000/", "127.0.0.1 resolves to 127.0.0.1, which is not a public"),
        ("http://localhost/", "which is not a public address"),
        ("https://[::1]/", "::1 resolves to ::1"),
        ("https://u:p@8.8.8.8/", "credentials"),
        ("https:///path", "no host name"),
        ("https://8.8.8.8:99999/", "not a valid URL"),
        ("https://no-such-host.invalid/", "cannot resolve"),
    ],
)
def test_unsafe_urls_are_refused_with_the_reason(url, message):
    with pytest.raises(UnsafeURL) as raised:
        check_public_url(url)
    assert message in str(raised.value) and isinstance(raised.value, ValueError)


def test_public_addresses_pass_and_private_ones_only_when_allowed():
    check_public_url("https://8.8.8.8/x")
    check_public_url("http://127.0.0.1:8000/", allow_private=True)
    with pytest.raises(UnsafeURL):
        check_public_url("ssh://8.8.8.8/x")
    check_public_url("ssh://8.8.8.8/x", schemes={"ssh"})
