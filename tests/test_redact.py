"""Which scene features carry a credential: the one rule of :func:`url_carries_secret`, not whether
redacting happens to re-encode an href."""

from scene_picker.core.redact import feature_carries_secret


def _feature(href: str, quicklook: str = "") -> dict:
    return {
        "type": "Feature",
        "properties": {"quicklook": quicklook},
        "assets": {"data": {"href": href, "alternate": {}}},
    }


def test_plain_hrefs_whose_query_redacting_would_re_encode_are_kept():
    for href in ("https://example.test/a.tif?a=1&b", "https://example.test/a.tif?x=a b"):
        assert not feature_carries_secret(_feature(href)), href


def test_signed_hrefs_user_info_and_signed_alternates_are_refused():
    assert feature_carries_secret(_feature("https://example.test/a.tif?X-Amz-Signature=abc"))
    assert feature_carries_secret(_feature("https://user:pw@example.test/a.tif"))
    assert feature_carries_secret(_feature("https://example.test/a.tif", "https://example.test/q.png?sig=x"))
    signed_alternate = _feature("https://example.test/a.tif")
    signed_alternate["assets"]["data"]["alternate"] = {"s3": {"href": "https://example.test/a?token=t"}}
    assert feature_carries_secret(signed_alternate)
