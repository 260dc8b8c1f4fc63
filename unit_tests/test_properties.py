"""Property-based: odd configs and odd-but-valid API bodies never end in an unhandled exception."""

import json
from datetime import datetime, timezone

import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from local_store.data import StoreData
from source_bigcommerce.config import BigCommerceConfig, ConfigError
from source_bigcommerce.dates import parse_date
from source_bigcommerce.streams import CATALOGUE, BigCommerceStream
from source_bigcommerce.streams.base import Batch

FIELDS = ("store_hash", "access_token", "start_date", "api_url", "num_workers")
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)
TOKEN = st.text(min_size=8, max_size=30).map(lambda t: "tok-" + t)


@settings(max_examples=300, deadline=None)
@given(config=st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=8), JSON_VALUES, max_size=7), token=TOKEN)
def test_any_config_is_accepted_or_refused_with_a_message_that_never_shows_the_token(config, token):
    config = {**config, "access_token": token} if "access_token" in config else config
    try:
        BigCommerceConfig.from_mapping(config)
    except ConfigError as error:
        assert error.message.startswith("Invalid configuration: ")
        assert token not in error.message


SETTINGS = BigCommerceConfig(store_hash="abc123", access_token="t", start_date=datetime(2015, 1, 1, tzinfo=timezone.utc))
WINDOW = {"start": "2015-01-01T00:00:00+00:00", "end": "2030-01-01T00:00:00+00:00"}
DATA = StoreData(seed=4, scale=0.05)
INCLUDES = {"customers": {"addresses", "storecredit", "attributes", "formfields"}, "products": {"variants", "images", "custom_fields"},
            "pages": {"body"}}
CASES = [spec for spec in CATALOGUE if spec.embedded is None and DATA.records.get(spec.name)]  # every stream read by request
KEEP = {"id", "date_modified", "created", "product_id", "channel_id", "category_id", "variant_id", "price_list_id", "currency",
        "identity"}  # keys and cursors BigCommerce always sends; everything else may be odd


def odd(value, draw):
    """One odd-but-valid rendering of a field's value."""
    kind = draw(st.sampled_from(["same", "null", "unicode", "huge", "number-as-text", "extra-nesting"]))
    if kind == "null":
        return None
    if kind == "unicode":
        return draw(st.text(min_size=1, max_size=40))
    if kind == "huge":
        return "é☃𝄞" * 20_000
    if kind == "number-as-text" and isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    if kind == "extra-nesting":
        return {"unexpected": [value]}
    return value


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_odd_but_valid_bodies_are_read_without_an_unhandled_exception(data):
    spec = data.draw(st.sampled_from(CASES))
    stream = BigCommerceStream(spec, SETTINGS)
    name, v2 = spec.name, spec.api_version == "v2"
    originals = list(DATA.records[name].values())[:5]
    stream_slice = WINDOW if spec.incremental and not spec.per_parent else None
    if spec.per_parent:
        stream_slice = {"parent_id": 1, "parent": {field: originals[0].get(field) for field in spec.parent_fields}, **(WINDOW if spec.window else {})}
    rendered = []
    for record in originals:
        api = DATA.to_api(name, record, include=frozenset(INCLUDES.get(name, ())))
        fields = [k for k in api if k not in KEEP]
        for key in data.draw(st.lists(st.sampled_from(fields), unique=True, max_size=len(fields))) if fields else []:
            if data.draw(st.booleans()):
                del api[key]
            else:
                api[key] = odd(api[key], data.draw)
        for extra in data.draw(st.lists(st.text(min_size=1, max_size=10), max_size=3)):
            api.setdefault(extra, data.draw(JSON_VALUES))
        rendered.append(api)
    keys = spec.key if isinstance(spec.key, tuple) else (spec.key,)
    pairs = list(zip(originals, rendered))
    if spec.paging.sorted_by_cursor:  # keyset streams read date order
        pairs.sort(key=lambda pair: parse_date(pair[1][spec.cursor]))  # v2 sends RFC 2822: compare as dates
    rendered = [api for _, api in pairs]
    if name == "store":
        body = rendered[0]
    elif v2:
        body = rendered
    else:
        body = {"data": rendered, "meta": {"pagination": {"total": len(rendered), "count": len(rendered), "per_page": 250,
                                                          "current_page": 1, "total_pages": 1}}}
    response = requests.Response()
    response.status_code = 200
    response._content = json.dumps(body).encode()
    response.request = requests.Request("GET", stream.url_base + stream.path(stream_slice=stream_slice),
                                        params=stream.request_params(stream_slice=stream_slice)).prepare()

    out = [r for page in stream.parse_response(response, stream_slice=stream_slice) if isinstance(page, Batch) for r in page]

    assert [[r.get(k) for k in keys] for r in out] == [[original.get(k) for k in keys] for original, _ in pairs]
    assert stream.next_page_token(response) is None
