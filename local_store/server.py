"""A local double of the BigCommerce REST API, served over real HTTP.

`LocalStore` runs a threaded HTTP/1.1 server on 127.0.0.1 that answers the routes a BigCommerce
connector reads, the way BigCommerce does: v2 bare arrays with 204 past the last page, v3 `data`/`meta`
envelopes, customers' keyset cursors, the filters and sorts each real endpoint documents (in strict mode,
the default, anything else is a 400; lenient, it is ignored as BigCommerce ignores it), scopes, the four rate-limit headers and 429s, and the failures a
connector must survive (5xx, connections dropped mid-body, 200s whose JSON is cut short, latency,
merchants editing records mid-sync, a suspended store).

The records themselves live in `StoreData` (local_store/data.py) in canonical form; every response is
rendered through `StoreData.to_api`. The package splits by concern: query.py (parameters, filters,
sorts), endpoints.py (routes and handlers; which records go out and how they are wrapped),
resources*.py (one declaration per further resource), chaos.py (quota, faults, stats), and this module:
the options, the store's state and clock, and HTTP. Query parameters were checked against BigCommerce's
OpenAPI files (bigcommerce/docs, `reference/*.yml`) and its developer docs.
"""

from __future__ import annotations

import random
import socket
import sys
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable, Iterator, Mapping, Optional
from urllib.parse import parse_qsl, urlsplit

from .data import StoreData
from .chaos import FAULT_TITLES, FaultPlan, FixedWindowLimiter, Stats
from .endpoints import (
    ApiError,
    ApiRequest,
    Reply,
    Route,
    STORE_PREFIX,
    has_scope,
    json_reply,
    match_route,
)

UTC = timezone.utc



# --------------------------------------------------------------------------------------------------
# Options
# --------------------------------------------------------------------------------------------------


@dataclass
class LocalStoreOptions:
    """Everything that makes one local store differ from another. Mutable: a running store reads it on
    every request, so a test may flip `suspended` or `quota` while the server runs."""

    seed: int = 1
    scale: float = 1.0
    store_hash: str = "localstore"
    tokens: dict[str, Optional[frozenset]] = field(default_factory=lambda: {"local-token": None})  # token -> scopes (None = all)
    latency_ms: float = 0
    jitter_ms: float = 0
    quota: Optional[int] = None  # requests per window; None = unlimited (headers still sent)
    quota_window_ms: int = 30000
    other_app_share: float = 0  # share of every window another app on the store spends, steadily through the window
    initially_spent: int = 0  # requests of the first window already spent when the store starts
    fault_5xx: float = 0  # probabilities per data request
    fault_drop: float = 0
    fault_truncate: float = 0
    fault_seed: int = 0
    change_every: Optional[int] = None  # every N data requests a merchant edits something
    delete_every: Optional[int] = None  # every N data requests a merchant deletes a customer, product or order
    before_answer: Optional[Callable[..., None]] = None  # (store, route template, query) before each data answer: a merchant acting at a chosen moment
    shuffle_ties: bool = False  # BigCommerce promises no order among equal sort keys
    suspended: bool = False  # every API request -> 503
    clock_offset_seconds: float = 0  # the store's clock against the host's (BigCommerce's servers are not the connector's)
    strict: bool = True  # answer 400 to a query parameter the route does not model (BigCommerce ignores it; a test should not)
    broken_routes: dict = field(default_factory=dict)  # route template (e.g. "/v3/catalog/categories") -> status it always answers
    dropping_routes: frozenset = frozenset()  # route templates whose every answer is cut off mid-body (the connection drops)
    broken_paths: dict = field(default_factory=dict)  # one resource's path (e.g. "/v3/orders/142/transactions") -> status it always answers


# --------------------------------------------------------------------------------------------------
# The store
# --------------------------------------------------------------------------------------------------


@dataclass
class Answer:
    """What the HTTP layer writes: the reply, the route template for the stats, and any fault."""

    reply: Reply
    template: str
    fault: Optional[str] = None
    fault_detail: Any = None


class LocalStore:
    """The BigCommerce double. Use as a context manager, or `start()` / `stop()`.

    All reads and writes of `data` happen under `lock`; merchant edits go through `touch`/`add`.
    """

    def __init__(self, options: Optional[LocalStoreOptions] = None, **overrides: Any):
        self.options = replace(options or LocalStoreOptions(), **overrides)
        o = self.options
        self.data = StoreData(seed=o.seed, scale=o.scale, store_hash=o.store_hash)
        self.lock = threading.RLock()
        self.base_url: Optional[str] = None
        self.tie_random = random.Random(o.seed ^ 0x5EED)
        self._change_random = random.Random(o.seed ^ 0xC4A9)
        self._stats = Stats()
        self._limiter = FixedWindowLimiter(o)
        self._faults = FaultPlan(o)
        self._data_requests = 0
        self.deleted: list = []  # (stream, key) of every record deleted by `delete_every`
        self._injected = 0
        self._server: Optional[ThreadingHTTPServer] = None
        self._thread: Optional[threading.Thread] = None

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self, port: int = 0) -> str:
        """Serve on 127.0.0.1 (`port` 0 = any free port) in a background thread; return the base URL."""
        if self._server is not None:
            return self.base_url
        server = LocalStoreHTTPServer(("127.0.0.1", port), LocalStoreRequestHandler)
        server.local_store = self
        self._server = server
        self.base_url = f"http://127.0.0.1:{server.server_address[1]}"
        self._thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="local-store-http", daemon=True)
        self._thread.start()
        return self.base_url

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.close_open_connections()
        server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> "LocalStore":
        self.start()
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.stop()

    # -- data --------------------------------------------------------------------------------------

    def touch(self, stream: str, key: Any) -> dict:
        """A merchant edits one record now."""
        with self.lock:
            record = self.data.touch(stream, key, self.now())
            self._changed()
            return record

    def delete(self, stream: str, key: Any) -> dict:
        """A merchant deletes one record now (BigCommerce's lists then simply no longer show it)."""
        with self.lock:
            record = self.data.delete(stream, key)
            self._changed()
            return record

    def add(self, stream: str) -> dict:
        """A merchant (or shopper) creates one record now."""
        with self.lock:
            record = self.data.add(stream, self.now())
            self._changed()
            return record

    def now(self) -> datetime:
        """The store's clock (whole seconds, UTC): the host's, shifted by `clock_offset_seconds`."""
        return (datetime.now(UTC) + timedelta(seconds=self.options.clock_offset_seconds)).replace(microsecond=0)

    def ground_truth(self) -> dict:
        """What a correct connector emits from this store: canonical records, with order link urls
        pointing at this server (as they were served) once it has started."""
        with self.lock:
            return self.data.ground_truth(base_url_for_links=self.base_url) if self.base_url else self.data.ground_truth()

    def _changed(self) -> None:
        self._stats.count_change()

    def children(self, stream: str, order_id: int) -> list:
        """An order's products or transactions (StoreData keeps the index, also through edits)."""
        return self.data.children_of(stream, order_id)

    def _inject_delete_if_due(self) -> None:
        every = self.options.delete_every
        with self.lock:
            if not every or self._data_requests % every:
                return
            stream = self._change_random.choice(("customers", "products", "orders"))
            keys = list(self.data.records[stream])
            if len(keys) > 1:
                key = self._change_random.choice(keys)
                self.data.delete(stream, key)
                self.deleted.append((stream, key))
                self._changed()

    def _inject_change_if_due(self) -> None:
        """Every `change_every` data requests a merchant edits a random order, customer or product;
        every third change is a new order instead, and every fifth a new refund."""
        every = self.options.change_every
        with self.lock:
            self._data_requests += 1
            if not every or self._data_requests % every:
                return
            self._injected += 1
            if self._injected % 5 == 0:  # a refund issued while the sync runs
                from .resources_orders import add_refund

                add_refund(self._change_random, self.data, self.now())
                self._changed()
                return
            if self._injected % 3 == 0:
                self.add("orders")
                return
            stream = self._change_random.choice(("orders", "customers", "products"))
            keys = list(self.data.records[stream])
            if keys:
                self.touch(stream, self._change_random.choice(keys))

    # -- stats -------------------------------------------------------------------------------------

    def stats(self) -> dict:
        return self._stats.snapshot()

    def request_log(self) -> list:
        with self._stats.lock:
            return [dict(entry) for entry in self._stats.log]

    @contextmanager
    def in_flight(self) -> Iterator[None]:
        """Count one API request as being served (for `peak_concurrency`) while the block runs."""
        self._stats.begin()
        try:
            yield
        finally:
            self._stats.end()

    def record_request(self, method: str, path: str, query: Mapping[str, str], answer: "Answer", received: float) -> None:
        self._stats.record(method, answer.template, path, query, answer.reply.status, answer.fault, received)

    def reset_stats(self) -> None:
        """Zero the counters and the log, and start a fresh rate-limit window (a benchmark run
        should not inherit the previous run's quota)."""
        self._stats.reset()
        self._limiter.reset()

    # -- answering ---------------------------------------------------------------------------------

    def answer_api(self, method: str, path: str, query: Mapping[str, str], token: Optional[str]) -> Answer:
        """Decide the answer to one API request. Checks run in the gateway's order: suspension,
        credentials, store, quota, route, scope; then the merchant's edits, the faults, the data."""
        self._sleep_latency()
        found = STORE_PREFIX.match(path)
        route, path_params = match_route(found["rest"]) if found else (None, {})
        template = route.template if route else "(unknown)"
        o = self.options

        def gateway(status: int, title: str, headers: Optional[dict] = None) -> Answer:
            reply = ApiError(status, title).reply()
            reply.headers.update(headers or self._limiter.peek())
            return Answer(reply, template)

        if o.suspended:
            return gateway(503, "This store is suspended or in maintenance.")
        if token is None or token not in o.tokens:
            return gateway(401, "Unauthorized: the X-Auth-Token header is missing or not valid for this API.")
        if not found or found["store_hash"] != o.store_hash:
            return gateway(404, "Not found: no store with this store hash.")
        allowed, headers = self._limiter.take()
        if not allowed:
            return gateway(429, "Too many requests: the store's API quota for this window is used up.", headers)
        if route is None:
            return gateway(404, f"Not found: {found['rest']} is not a route this local store serves.", headers)
        if method != "GET":
            return gateway(405, f"Method {method} is not allowed on {route.template}.", headers)
        if not has_scope(o.tokens[token], route.scope):
            return gateway(403, f"Forbidden: the token lacks the {route.scope}_read_only scope needed for {route.template}.", headers)
        unknown = sorted(set(query) - route.accepts)
        if o.strict and unknown:  # BigCommerce would ignore them; a test should hear of the typo
            return gateway(400, f"Strict mode: {route.template} does not take {', '.join(unknown)} (it takes {', '.join(sorted(route.accepts)) or 'no parameters'}).", headers)
        answer = self._answer_data(route, path_params, query)
        answer.reply.headers.update(headers)
        return answer

    def _answer_data(self, route: Route, path_params: Mapping[str, str], query: Mapping[str, str]) -> Answer:
        self._inject_change_if_due()
        self._inject_delete_if_due()
        if self.options.before_answer is not None:
            self.options.before_answer(self, route.template, query)
        path = route.template.replace("{id}", path_params.get("id", "{id}"))
        broken = self.options.broken_routes.get(route.template) or self.options.broken_paths.get(path)
        if broken:  # an outage of one resource, however often it is asked
            return Answer(ApiError(broken, FAULT_TITLES.get(broken, "Local store outage")).reply(), route.template, "5xx", broken)
        fault, detail = self._faults.draw()
        if route.template in self.options.dropping_routes:
            fault, detail = "drop", "mid_body"
        if fault == "5xx":
            return Answer(ApiError(detail, FAULT_TITLES[detail]).reply(), route.template, fault, detail)
        request = ApiRequest(path_params, query, self.now(), route.template.startswith("/v2/"))
        try:
            with self.lock:
                reply = route.serve(self, request)
        except ApiError as error:
            reply = error.reply()
        if fault == "truncate" and len(reply.body) < 2:
            fault = None  # nothing to cut short (204): serve it whole
        return Answer(reply, route.template, fault, detail)

    def _sleep_latency(self) -> None:
        # Sleeping in the handler thread keeps concurrent clients concurrent, as a real API is.
        o = self.options
        delay_ms = o.latency_ms + (random.uniform(0, o.jitter_ms) if o.jitter_ms else 0)
        if delay_ms > 0:
            time.sleep(delay_ms / 1000)

    def answer_admin(self, method: str, path: str, query: Mapping[str, str]) -> Reply:
        """`/__local_store/...`: for a local_store in another process. Not counted, limited nor faulted."""
        name = path[len("/__local_store/") :]
        try:
            action = ADMIN_ACTIONS[(method, name)]
        except KeyError:
            known = sorted(f"{m} /__local_store/{n}" for m, n in ADMIN_ACTIONS)
            return ApiError(404, f"Unknown admin endpoint {method} {path}; known: {', '.join(known)}").reply()
        try:
            return json_reply(200, action(self, query))
        except ApiError as error:
            return error.reply()
        except ValueError as refused:  # e.g. StoreData refuses to touch a transaction
            return ApiError(422, str(refused)).reply()


def _admin_record_key(store: LocalStore, query: Mapping[str, str]) -> tuple:
    stream = query.get("stream", "")
    if stream not in store.data.records:
        raise ApiError(404, f"Unknown stream '{stream}'.")
    raw = query.get("id", "")
    key = raw if stream == "store" else (int(raw) if raw.lstrip("-").isdigit() else raw)
    if key not in store.data.records[stream]:
        raise ApiError(404, f"No {stream} record with id '{raw}'.")
    return stream, key


def _admin_add(store: LocalStore, query: Mapping[str, str]) -> dict:
    stream = query.get("stream", "")
    if stream not in store.data.records:
        raise ApiError(404, f"Unknown stream '{stream}'.")
    return store.add(stream)


def _admin_ground_truth(store: LocalStore, _query: Mapping[str, str]) -> dict:
    # Lists, not dicts: JSON object keys are strings, and the records carry their ids anyway.
    return {stream: list(records.values()) for stream, records in store.ground_truth().items()}


def _admin_reset(store: LocalStore, _query: Mapping[str, str]) -> dict:
    store.reset_stats()
    return {"reset": True}


ADMIN_ACTIONS = {
    ("GET", "stats"): lambda store, _q: store.stats(),
    ("GET", "log"): lambda store, _q: store.request_log(),
    ("GET", "ground_truth"): _admin_ground_truth,
    ("POST", "reset"): _admin_reset,
    ("POST", "touch"): lambda store, q: store.touch(*_admin_record_key(store, q)),
    ("POST", "add"): _admin_add,
}


# --------------------------------------------------------------------------------------------------
# HTTP
# --------------------------------------------------------------------------------------------------


class LocalStoreHTTPServer(ThreadingHTTPServer):
    daemon_threads = True  # a kept-alive connection must never keep the process alive
    request_queue_size = 128  # bursts of parallel clients should queue, not be refused
    local_store: LocalStore

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._open: set = set()
        self._open_lock = threading.Lock()

    def track(self, connection: socket.socket, is_open: bool) -> None:
        with self._open_lock:
            (self._open.add if is_open else self._open.discard)(connection)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client hanging up mid-answer is ordinary (and the drop fault does it on purpose).
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)

    def close_open_connections(self) -> None:
        """On stop, end kept-alive connections so clients see the server go, not a hang."""
        with self._open_lock:
            for connection in list(self._open):
                try:
                    connection.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass


class LocalStoreRequestHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so `requests` reuses connections
    server_version = "BigCommerceLocalStore/1.0"
    # Headers and body leave in separate writes; with Nagle on, a kept-alive client waits out its
    # delayed ACK (~40 ms) on every request, which no real API costs.
    disable_nagle_algorithm = True
    timeout = 30  # idle kept-alive connections are closed after this many seconds
    server: LocalStoreHTTPServer

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, False)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the stdlib's name
        pass  # the stats and the request log record every request; stderr stays quiet

    def do_GET(self) -> None:
        self._dispatch()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_GET

    def _dispatch(self) -> None:
        received = time.time()
        self._discard_request_body()
        split = urlsplit(self.path)
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        store = self.server.local_store
        if split.path.startswith("/__local_store/"):
            self._write(store.answer_admin(self.command, split.path, query))
            return
        # In flight while the answer is worked out (latency included), not while it is written: a client
        # may send its next request the moment the last byte arrives, before this thread gets here.
        with store.in_flight():
            answer = store.answer_api(self.command, split.path, query, self.headers.get("X-Auth-Token"))
            store.record_request(self.command, split.path, query, answer, received)
        if answer.fault == "drop":
            self._write_dropped(answer.reply, answer.fault_detail)
        else:
            self._write(answer.reply, truncate=answer.fault == "truncate")

    def _discard_request_body(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)

    def _write_head(self, reply: Reply, content_length: int) -> None:
        self.send_response(reply.status)
        for name, value in reply.headers.items():
            self.send_header(name, value)
        if reply.status != 204:  # a 204 has no body and, per RFC 9110, no Content-Length
            self.send_header("Content-Length", str(content_length))
        self.end_headers()

    def _write(self, reply: Reply, *, truncate: bool = False) -> None:
        # A truncated body is a *complete* HTTP message: Content-Length matches the cut JSON, so only
        # a client that parses (and trusts nothing else) notices.
        body = reply.body[: len(reply.body) // 2] if truncate else reply.body
        self._write_head(reply, len(body))
        if body:
            self.wfile.write(body)

    def _write_dropped(self, reply: Reply, mode: str) -> None:
        """Promise the whole body, send the headers (and maybe half of it), then hang up."""
        self.close_connection = True
        if not reply.body:
            return  # nothing promised to cut: close before answering at all
        self._write_head(reply, len(reply.body))
        if mode == "mid_body":
            self.wfile.write(reply.body[: len(reply.body) // 2])
        self.wfile.flush()
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
