"""The stream table's contract: where each stream reads, what it sends first, its key, cursor and scope."""

from datetime import datetime, timezone

import pytest

from source_bigcommerce.config import BigCommerceConfig
from source_bigcommerce.streams import BY_NAME, CATALOGUE, BigCommerceStream

CONFIG = BigCommerceConfig(store_hash="abc123", access_token="t0ken", start_date=datetime(2020, 1, 1, tzinfo=timezone.utc))
WINDOW = {"start": "2020-01-01T00:00:00+00:00", "end": "2024-05-01T10:00:00+00:00"}
ORDER = {"parent_id": 42, "parent": {"order_id": 42, "order_date_modified": "2024-04-30T09:00:00+00:00"}}
BASE = "https://api.bigcommerce.com/stores/abc123/"
V3_WINDOW = {"date_modified:min": WINDOW["start"], "date_modified:max": WINDOW["end"]}

# Pinned requests: a change here changes what BigCommerce is asked (stream, slice, url, first query).
PINNED = [
    ("customers", WINDOW, "v3/customers",
     {"limit": 250, **V3_WINDOW, "sort": "date_modified:asc", "include": "addresses,storecredit,attributes,formfields"}),
    ("orders", WINDOW, "v2/orders",
     {"limit": 250, "min_date_modified": WINDOW["start"], "max_date_modified": WINDOW["end"], "sort": "date_modified:asc"}),
    ("transactions", ORDER, "v3/orders/42/transactions", {"limit": 250, "page": 1}),
    ("order_coupons", ORDER, "v2/orders/42/coupons", {"limit": 250, "page": 1}),
    ("products", WINDOW, "v3/catalog/products",
     {"limit": 250, **V3_WINDOW, "sort": "date_modified", "direction": "asc", "include": "variants,images,custom_fields"}),
    ("channels", WINDOW, "v3/channels", {"limit": 250, "page": 1, **V3_WINDOW}),
    ("brands", None, "v3/catalog/brands", {"limit": 250}),
    ("categories", None, "v3/catalog/categories", {"limit": 250}),
    ("pages", None, "v3/content/pages", {"limit": 250, "page": 1, "include": "body"}),
    ("store", None, "v2/store", {}),
    ("category_trees", None, "v3/catalog/trees", {}),
    ("coupons", None, "v2/coupons", {"limit": 250}),
    ("order_refunds", WINDOW, "v3/orders/payment_actions/refunds",
     {"limit": 250, "page": 1, "created:min": WINDOW["start"], "created:max": WINDOW["end"]}),
    ("product_metafields", WINDOW, "v3/catalog/products/metafields", {"limit": 250, **V3_WINDOW}),
    ("price_list_records", {"parent_id": 3, "parent": {"price_list_id": 3}, **WINDOW}, "v3/pricelists/3/records",
     {"limit": 250, "page": 1, **V3_WINDOW}),
    ("shipping_methods", {"parent_id": 5, "parent": {"zone_id": 5}}, "v2/shipping/zones/5/methods", {}),
]


@pytest.mark.parametrize("name, stream_slice, url, query", PINNED, ids=[p[0] for p in PINNED])
def test_given_pinned_stream_when_first_request_built_then_url_and_query_are_as_pinned(name, stream_slice, url, query):
    stream = BigCommerceStream(BY_NAME[name], CONFIG)

    assert stream.url_base + stream.path(stream_slice=stream_slice) == BASE + url
    assert stream.request_params(stream_slice=stream_slice) == query


@pytest.mark.parametrize("spec", CATALOGUE, ids=[s.name for s in CATALOGUE])
def test_given_any_declared_stream_then_key_cursor_scope_headers_and_schema_hold(spec):
    stream = BigCommerceStream(spec, CONFIG)

    assert stream.name == spec.name and stream.primary_key == spec.primary_key
    assert stream.cursor_field == (spec.cursor or "")
    assert stream.scope.endswith("_read_only") or stream.scope.endswith("_read")
    headers = stream.request_headers()
    assert headers["X-Auth-Token"] == "t0ken" and headers["Accept"] == "application/json"
    assert headers["User-Agent"].startswith("source-bigcommerce/")
    assert stream.request_kwargs()["timeout"]  # every request has connect and read timeouts
    properties = stream.get_json_schema()["properties"]
    assert all(key in properties for key in spec.primary_key), f"{spec.name}: its key is not in its schema"
    if spec.cursor:
        assert properties[spec.cursor]["format"] == "date-time", f"{spec.name}: cursor {spec.cursor} is not a date-time"
    if spec.parent:
        assert spec.parent in BY_NAME and BY_NAME[spec.parent].parent is None, f"{spec.name}: parent must be a top-level stream"
        assert spec.per_parent or spec.embedded is not None, f"{spec.name}: a child is read per parent or from its parent's page"
    if spec.cursor == "order_date_modified":
        assert spec.parent == "orders" and spec.window is None
    if spec.per_parent and spec.suggested:
        pytest.fail(f"{spec.name}: a stream read per parent costs a request per parent and is not suggested")


def test_given_the_source_when_streams_listed_then_exactly_the_declared_ones():
    from source_bigcommerce.source import SourceBigCommerce

    names = [s.name for s in SourceBigCommerce().streams({"store_hash": "abc123", "access_token": "t", "start_date": "2020-01-01"})]
    assert names == [spec.name for spec in CATALOGUE]
    assert len(names) == len(set(names)) >= 50


def test_given_store_without_logo_when_read_then_logo_is_null_not_an_empty_array():
    store = BigCommerceStream(BY_NAME["store"], CONFIG)
    assert store.transform({"id": "abc123", "logo": []}, None)["logo"] is None
    assert store.transform({"id": "abc123", "logo": {"url": "https://x/logo.png"}}, None)["logo"] == {"url": "https://x/logo.png"}


def test_given_the_spec_then_the_token_description_names_every_scope_a_stream_needs():
    import yaml

    from source_bigcommerce.source import SourceBigCommerce  # noqa: F401  (the package ships spec.yaml beside it)
    from pathlib import Path

    spec = yaml.safe_load((Path(__file__).resolve().parents[1] / "source_bigcommerce" / "spec.yaml").read_text())
    description = " ".join(spec["connectionSpecification"]["properties"]["access_token"]["description"].split())
    missing = sorted({s.scope.label for s in CATALOGUE if s.scope.label not in description})
    assert not missing, f"spec.yaml's access_token description does not name: {missing}"
