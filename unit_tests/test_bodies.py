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
