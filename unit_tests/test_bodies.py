"""What a body decodes to: None when empty, and ValueError (which the error handler retries) when not JSON."""

import pytest
import requests

from source_bigcommerce.errors import decoded_body


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
    (b'\xef\xbb\xbf{"id": 7}', {"id": 7}),  # a byte-order mark
    ('{"name": "\u00fcber"}'.encode("utf-16"), {"name": "über"}),  # not UTF-8
])
def test_given_json_a_fast_decoder_would_misread_when_decoded_then_every_value_is_exact(content, value):
    """orjson would turn the 30-digit integer into a rounded float and refuse UTF-16: a reason bodies are
    decoded by requests' standard decoder (orjson scans faster, but telling these cases apart costs more)."""
    assert decoded_body(response_with(content)) == value
