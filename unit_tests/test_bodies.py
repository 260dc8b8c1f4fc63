"""What a body decodes to: None when empty, and ValueError (which the error handler retries) when not JSON."""

import json

import pytest
import requests

from source_bigcommerce.errors import _STRETCH, decoded_body, take_decoded_body


def response_with(content: bytes) -> requests.Response:
    response = requests.Response()
    response.status_code = 200
    response.headers["Content-Type"] = "application/json"
    response._content = content
    return response


@pytest.mark.parametrize("content", [b"", b"   ", b"\n"])
def test_given_an_empty_body_when_decoded_then_none(content):
    assert decoded_body(response_with(content)) is None


@pytest.mark.parametrize("content", [b'[{"id": 1}, {"id": 2', b"<html>502 Bad Gateway</html>", b'{"data": [}'])
def test_given_a_body_that_is_not_json_when_decoded_then_value_error(content):
    with pytest.raises(ValueError):
        decoded_body(response_with(content))


@pytest.mark.parametrize("content, value", [
    (b'{"data": [{"id": 1, "price": 12.5, "name": "caf\\u00e9 \xc3\xa9"}]}', {"data": [{"id": 1, "price": 12.5, "name": "café é"}]}),
    (b'{"id": 123456789012345678901234567890}', {"id": 123456789012345678901234567890}),  # past 64 bits
    (b'{"id": -9223372036854775809}', {"id": -9223372036854775809}),  # 19 digits, one below a signed 64-bit integer
    (b'{"id": 18446744073709551616}', {"id": 18446744073709551616}),  # one past an unsigned one
    (b'\xef\xbb\xbf{"id": 7}', {"id": 7}),  # a byte-order mark
    ('{"name": "\u00fcber"}'.encode("utf-16"), {"name": "über"}),  # not UTF-8
    (b'{"name": "\\ud800"}', {"name": "\ud800"}),  # a lone surrogate
    (b'{"a": 1, "a": 2, "b": -0, "c": 1E2, "d": 5e-324}', {"a": 2, "b": 0, "c": 100.0, "d": 5e-324}),
])
def test_given_json_a_fast_decoder_would_misread_when_decoded_then_every_value_is_exact(content, value):
    """orjson would turn an integer past 64 bits into a rounded float, and refuses a byte-order mark,
    UTF-16 and lone surrogates: each must still come out as the standard decoder reads it."""
    decoded = decoded_body(response_with(content))
    assert decoded == value
    assert repr(decoded) == repr(value)  # an int stays an int, -0 stays 0


def test_given_a_body_in_another_declared_charset_then_it_is_read_in_that_charset():
    response = response_with('{"name": "Ã©"}'.encode("latin-1"))  # the same bytes are "é" in UTF-8
    response.headers["Content-Type"] = "application/json; charset=ISO-8859-1"
    response.encoding = "ISO-8859-1"
    assert decoded_body(response) == {"name": "Ã©"}


@pytest.mark.parametrize("content", [b'{"id": 9223372036854775807, "n": -9223372036854775808, "u": 18446744073709551615}',
                                     b'{"price": "12.3400", "phone": "+1 512-555-0199", "ids": [1, 22, 333]}'])
def test_given_ordinary_bodies_then_both_decoders_agree(content):
    assert repr(decoded_body(response_with(content))) == repr(json.loads(content))


def test_given_a_page_when_taken_then_the_response_keeps_neither_the_page_nor_its_bytes():
    # The CDK holds a response until the next page arrives; what it holds then is no longer the page.
    response = response_with(b'[{"id": 1}]')
    decoded_body(response)  # as the error handler does first
    assert take_decoded_body(response) == [{"id": 1}]
    assert response.content == b"" and "_bigcommerce_body" not in response.__dict__


@pytest.mark.parametrize("digits_before_the_stretch_ends", [0, 1, 9, 18, 19])
def test_given_a_long_integer_across_the_checks_stretches_then_it_is_exact(digits_before_the_stretch_ends):
    # The body is checked a stretch at a time: an integer cut by the stretch's end must still be seen.
    # 19 digits, the fewest that can lie past 64 bits (this one is one below the least int64).
    big = -9223372036854775809
    head = b'{"pad": "' + b"x" * (_STRETCH - digits_before_the_stretch_ends - len(b'{"pad": "') - len(b'", "n": -')) + b'", "n": '
    content = head + str(big).encode() + b"}"
    assert content.index(str(-big).encode()) == _STRETCH - digits_before_the_stretch_ends
    assert decoded_body(response_with(content))["n"] == big
