"""requests' transport for the API host: one kept-alive connection per worker thread, on http.client.

A request through requests' own HTTPAdapter goes through urllib3's pool, its retry and timeout
objects and its response wrapper: about a third of the CPU a page costs. Every request of a sync is a
GET to one host, so this adapter keeps one http.client connection per thread and host, shared by every
stream (a worker reads many streams), and builds the `requests.Response` itself. What it does not
handle, it hands to requests' HTTPAdapter: a proxy, a client certificate, a scheme other than http(s).

What holds as with HTTPAdapter: the same exceptions for the same failures (ConnectTimeout,
ReadTimeout, SSLError, ConnectionError, ChunkedEncodingError for a body cut short,
ContentDecodingError; unit_tests/test_transport.py compares the two answer by answer), gzip and deflate bodies decoded, certificates checked against `verify` (the
CA bundle, or False), a connection the server closed while idle noticed before it is used (as
urllib3 does), and no automatic retry: a failed request is retried by the CDK's error handler.
"""

from __future__ import annotations

import email.parser
import http.client
import os
import re
import select
import socket
import ssl
import threading
import zlib
from typing import Any, Dict, Iterator, List, Mapping, Optional, Tuple, Union
from urllib.parse import urlencode, urlsplit

import requests
from requests.adapters import DEFAULT_CA_BUNDLE_PATH, BaseAdapter, HTTPAdapter
from requests.structures import CaseInsensitiveDict
from requests.utils import check_header_validity, get_encoding_from_headers, select_proxy

from .config import MAX_WORKERS

# What this adapter can decode, whatever the session's default headers ask for (brotli and zstd too
# when those packages happen to be installed).
ACCEPT_ENCODING = "gzip, deflate"
_Timeout = Union[None, float, Tuple[Optional[float], Optional[float]]]


class KeepAliveAdapter(BaseAdapter):
    def __init__(self) -> None:
        super().__init__()
        self._connections = threading.local()  # per thread: {(scheme, host, port, verify): HTTPConnection}
        self._contexts: Dict[Any, ssl.SSLContext] = {}
        self._contexts_lock = threading.Lock()
        self._fallback = HTTPAdapter(pool_maxsize=MAX_WORKERS)

    def send(self, request: requests.PreparedRequest, stream: bool = False, timeout: _Timeout = None, verify: Union[bool, str] = True,
             cert: Any = None, proxies: Optional[Mapping[str, str]] = None) -> requests.Response:
        parts = urlsplit(request.url or "")
        if stream or cert or parts.scheme not in ("http", "https") or (proxies and select_proxy(request.url, proxies)):
            return self._fallback.send(request, stream=stream, timeout=timeout, verify=verify, cert=cert, proxies=proxies)
        connect_timeout, read_timeout = timeout if isinstance(timeout, tuple) else (timeout, timeout)
        key = (parts.scheme, parts.hostname, parts.port, verify)
        connection = self._connection(key, connect_timeout)
        if connection.sock is None:  # new, or closed after an answer that said `Connection: close`
            try:
                connection.connect()
            except Exception as error:
                self._drop(key)
                raise _as_requests_error(error, request, connecting=True) from error
        target = f"{parts.path or '/'}?{parts.query}" if parts.query else (parts.path or "/")
        body = request.body.encode("utf-8") if isinstance(request.body, str) else request.body
        answer: Optional[http.client.HTTPResponse] = None
        try:
            if connection.sock.gettimeout() != read_timeout:  # each settimeout is two fcntl calls, each one a release of the GIL
                connection.sock.settimeout(read_timeout)
            connection.putrequest(request.method or "GET", target, skip_host="host" in request.headers, skip_accept_encoding=True)
            for name, value in request.headers.items():
                connection.putheader(name, ACCEPT_ENCODING if name.lower() == "accept-encoding" else value)
            if "accept-encoding" not in request.headers:
                connection.putheader("Accept-Encoding", ACCEPT_ENCODING)
            connection.endheaders(body)
            answer = connection.getresponse()
            content = answer.read()
        except Exception as error:
            self._drop(key)
            raise (_as_requests_error(error, request, connecting=False) if answer is None else _body_error(error, request)) from error
        return self._response(request, answer, content)

    def close(self) -> None:
        # The calling thread's connections; another thread's close when that thread ends.
        for connection in getattr(self._connections, "by_key", {}).values():
            connection.close()
        self._connections.by_key = {}
        self._fallback.close()

    # -- connections
    def _connection(self, key: Tuple[Any, ...], connect_timeout: Optional[float]) -> http.client.HTTPConnection:
        by_key = self._connections.__dict__.setdefault("by_key", {})
        connection = by_key.get(key)
        if connection is not None and connection.sock is not None and _closed_by_peer(connection.sock):
            connection.close()  # the server closed it while it sat idle: open a new one rather than fail on it
        if connection is None:
            scheme, host, port, verify = key
            if scheme == "https":
                connection = _LeanHTTPSConnection(host, port, timeout=connect_timeout, context=self._context(verify))
            else:
                connection = _LeanHTTPConnection(host, port, timeout=connect_timeout)
            by_key[key] = connection
        connection.timeout = connect_timeout
        return connection

    def _drop(self, key: Tuple[Any, ...]) -> None:
        connection = getattr(self._connections, "by_key", {}).pop(key, None)
        if connection is not None:
            connection.close()

    def _context(self, verify: Union[bool, str]) -> ssl.SSLContext:
        with self._contexts_lock:
            if verify not in self._contexts:
                if verify is False:
                    context = ssl.create_default_context()
                    context.check_hostname = False
                    context.verify_mode = ssl.CERT_NONE
                elif isinstance(verify, str) and os.path.isdir(verify):
                    context = ssl.create_default_context(capath=verify)
                else:
                    context = ssl.create_default_context(cafile=verify if isinstance(verify, str) else DEFAULT_CA_BUNDLE_PATH)
                self._contexts[verify] = context
            return self._contexts[verify]

    # -- the answer
    def _response(self, request: requests.PreparedRequest, answer: http.client.HTTPResponse, content: bytes) -> requests.Response:
        headers: CaseInsensitiveDict = CaseInsensitiveDict()
        for name, value in answer.getheaders():
            if "\r\n" in value:  # a folded (obsolete) header: its lines joined by one space, as urllib3 joins them
                value = _FOLD.sub(" ", value)
            headers[name] = f"{headers[name]}, {value}" if name in headers else value  # repeated headers joined, as urllib3 does
        response = requests.Response()
        response.status_code = answer.status
        response.reason = answer.reason
        response.headers = headers
        response.encoding = get_encoding_from_headers(headers)
        response.url = request.url  # type: ignore[assignment]
        response.request = request
        response.connection = self
        try:
            response._content = _decoded(content, headers.get("content-encoding", ""))
        except zlib.error as error:
            raise requests.exceptions.ContentDecodingError(f"Received response with content-encoding: {headers.get('content-encoding')}, "
                                                           f"but failed to decode it: {error}", request=request) from error
        response._content_consumed = True
        response.raw = None
        return response


class _Headers:
    """A response's headers as http.client's `HTTPMessage` answers them (`get`, `get_all`, `items`: the
    first value of a name, every value, each line in order, names matched case-blind), for headers
    read by `_LeanResponse`."""

    __slots__ = ("_items",)

    def __init__(self, items: List[Tuple[str, str]]) -> None:
        self._items = items

    def get(self, name: str, failobj: Any = None) -> Any:
        name = name.lower()
        for key, value in self._items:
            if key.lower() == name:
                return value
        return failobj

    def get_all(self, name: str, failobj: Any = None) -> Any:
        name = name.lower()
        return [value for key, value in self._items if key.lower() == name] or failobj

    def items(self) -> List[Tuple[str, str]]:
        return list(self._items)

    def keys(self) -> List[str]:
        return [key for key, _ in self._items]

    def values(self) -> List[str]:
        return [value for _, value in self._items]

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.get(name) is not None

    def __getitem__(self, name: str) -> Any:
        return self.get(name)

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __len__(self) -> int:
        return len(self._items)


# An obsolete folded header's line breaks and the blanks around them, each replaced by one space (as urllib3 does).
_FOLD = re.compile(r"(?:(?<![ \t])[ \t]+)?\r\n[ \t]+")
# A header line the email parser reads as `name: value` and nothing else: a name of the characters it
# allows, a colon, a value with no line break inside (the email package splits lines at a bare CR too).
_PLAIN_HEADER = re.compile(r"([\041-\071\073-\176]+):[ \t]*([^\r\n]*)\r?\n")


def _read_header_block(fp: Any) -> _Headers | http.client.HTTPMessage:
    """The header lines, read as http.client reads them (its line and count limits), parsed as the email
    parser parses them when each line is a plain `name: value`; any other block (a folded line, a line
    that is not a header) goes to http.client's own parser."""
    lines = []
    while True:
        line = fp.readline(http.client._MAXLINE + 1)  # type: ignore[attr-defined]
        if len(line) > http.client._MAXLINE:  # type: ignore[attr-defined]
            raise http.client.LineTooLong("header line")
        if line in (b"\r\n", b"\n", b""):
            break
        lines.append(line)
        if len(lines) > http.client._MAXHEADERS:  # type: ignore[attr-defined]
            raise http.client.HTTPException(f"got more than {http.client._MAXHEADERS} headers")  # type: ignore[attr-defined]
    items = []
    for line in lines:
        matched = _PLAIN_HEADER.fullmatch(line.decode("iso-8859-1"))
        if matched is None:
            block = b"".join(lines).decode("iso-8859-1") + "\r\n"
            return email.parser.Parser(_class=http.client.HTTPMessage).parsestr(block)
        items.append((matched.group(1), matched.group(2)))
    return _Headers(items)


class _LeanResponse(http.client.HTTPResponse):
    """http.client's response, whose `begin` reads the headers with `_read_header_block` instead of the
    email package (whose parse took about 35 us a request, timed in a loop); the rest of `begin` (100 Continue, the version, chunked,
    keep-alive, the length) is http.client's own, as are the body's reads. Relies on HTTPResponse's
    attributes and `_read_status` (CPython 3.11, which the image runs; the transport tests compare
    every answer with requests' own adapter)."""

    def begin(self) -> None:
        if self.headers is not None:
            return
        while True:
            version, status, reason = self._read_status()  # type: ignore[attr-defined]
            if status != http.client.CONTINUE:
                break
            _read_header_block(self.fp)  # the 100 response's headers, skipped
        self.code = self.status = status
        self.reason = reason.strip()
        if version in ("HTTP/1.0", "HTTP/0.9"):
            self.version = 10
        elif version.startswith("HTTP/1."):
            self.version = 11
        else:
            raise http.client.UnknownProtocol(version)
        self.headers = self.msg = _read_header_block(self.fp)  # type: ignore[assignment]
        transfer_encoding = self.headers.get("transfer-encoding")
        if transfer_encoding and transfer_encoding.lower() == "chunked":
            self.chunked, self.chunk_left = True, None
        else:
            self.chunked = False
        self.will_close = self._check_close()  # type: ignore[attr-defined]
        self.length = None
        length = self.headers.get("content-length")
        if length and not self.chunked:
            try:
                self.length = int(length)
            except ValueError:
                self.length = None
            else:
                if self.length < 0:
                    self.length = None
        if status in (http.client.NO_CONTENT, http.client.NOT_MODIFIED) or 100 <= status < 200 or self._method == "HEAD":  # type: ignore[attr-defined]
            self.length = 0
        if not self.will_close and not self.chunked and self.length is None:
            self.will_close = True


class _LeanHTTPConnection(http.client.HTTPConnection):
    response_class = _LeanResponse


class _LeanHTTPSConnection(http.client.HTTPSConnection):
    response_class = _LeanResponse


def _decoded(content: bytes, encoding: str) -> bytes:
    for coding in reversed([c.strip().lower() for c in encoding.split(",") if c.strip()]):
        if coding in ("gzip", "x-gzip"):
            content = zlib.decompress(content, 16 + zlib.MAX_WBITS) if content else content
        elif coding == "deflate":
            try:
                content = zlib.decompress(content)
            except zlib.error:
                content = zlib.decompress(content, -zlib.MAX_WBITS)  # raw deflate, which some servers send
        elif coding != "identity":
            raise zlib.error(f"unsupported content-encoding {coding!r}")
    return content


def _closed_by_peer(sock: socket.socket) -> bool:
    """An idle connection that is readable has been closed by the server (or holds bytes nobody asked for)."""
    try:
        if not hasattr(select, "poll"):  # Windows
            return bool(select.select([sock], [], [], 0)[0])
        poller = select.poll()
        poller.register(sock, select.POLLIN)
        return bool(poller.poll(0))
    except (OSError, ValueError):
        return True


def _as_requests_error(error: Exception, request: requests.PreparedRequest, connecting: bool) -> Exception:
    if isinstance(error, ssl.SSLError):
        return requests.exceptions.SSLError(error, request=request)
    if isinstance(error, socket.timeout):
        return (requests.exceptions.ConnectTimeout if connecting else requests.exceptions.ReadTimeout)(error, request=request)
    if isinstance(error, (OSError, http.client.HTTPException)):
        return requests.exceptions.ConnectionError(error, request=request)
    return error


def _body_error(error: Exception, request: requests.PreparedRequest) -> Exception:
    if isinstance(error, socket.timeout):  # requests says so too, for a body that stops coming
        return requests.exceptions.ConnectionError(error, request=request)
    if isinstance(error, (OSError, http.client.HTTPException)):  # IncompleteRead: the body was cut short
        return requests.exceptions.ChunkedEncodingError(error, request=request)
    return error


SHARED = KeepAliveAdapter()  # every stream's session mounts this one: a worker thread keeps one connection per host


# -- the session's side of a request
#
# Before a request reaches the adapter, requests' Session merges its settings into it: headers,
# params, auth, cookies and hooks in `prepare_request`, proxies, stream, verify and cert in
# `merge_environment_settings`. requests 2.34 tests each mapping it merges against a runtime Protocol,
# which on Python 3.11 walks the Protocol's attributes every time: about 8 such tests a request. For
# the requests the CDK makes here (a GET with headers and a query, on a session with no auth, params,
# cookies or hooks of its own, that does not read the environment: see `environment_once`) the
# merges reduce to joining two dicts.
#
# Preparing such a GET is then a string: requests' `PreparedRequest.prepare` parses the URL again,
# re-quotes it and walks cookies, body, auth and hooks that a plain GET does not have (about 80 us of
# the 110 a request took). A URL made only of characters requests leaves as they are (a lower-case
# host, a port, a path of unreserved characters and slashes, no dot segments, no query of its own)
# plus a query of scalar values comes out of requests as `url?urlencode(params)`, so that is built
# directly; unit_tests/test_http_session.py compares the two on every shape either way handles.
# Anything else goes through requests' merges and `prepare` unchanged.

# What requests' prepare_url leaves unchanged: urllib3 lower-cases the host and removes dot segments,
# requote_uri quotes what is not unreserved, so only such URLs skip it.
_AS_REQUESTS_LEAVES_IT = re.compile(r"https?://[a-z0-9-]+(?:\.[a-z0-9-]+)*(?::[1-9][0-9]{0,4})?(?:/[A-Za-z0-9_.~-]*)*")
_SCALARS = (str, int, float)


def streamline(session: requests.Session) -> None:
    """Give `session` the lean merges, as instance attributes beside requests' methods."""
    session.prepare_request = lambda request: _prepare(session, request)  # type: ignore[method-assign]
    session.merge_environment_settings = (  # type: ignore[method-assign]
        lambda url, proxies, stream, verify, cert: _environment_settings(session, url, proxies, stream, verify, cert))


def _plain(session: requests.Session, request: requests.Request) -> bool:
    return (session.auth is None and not session.params and not session.cookies and not any(session.hooks.values())
            and not request.auth and not request.cookies and not any(request.hooks.values()) and not request.files
            and isinstance(request.headers, dict) and isinstance(request.params, dict)
            and not session.trust_env)


def _prepare(session: requests.Session, request: requests.Request) -> requests.PreparedRequest:
    if not _plain(session, request):
        return requests.Session.prepare_request(session, request)
    headers = CaseInsensitiveDict(session.headers)
    headers.update(request.headers)
    for name in [name for name, value in headers.items() if value is None]:
        del headers[name]  # as requests: a header set to None on the request drops the session's
    url = _plain_get_url(request)
    if url is None:
        prepared = requests.PreparedRequest()
        prepared.prepare(method=request.method.upper(), url=request.url, data=request.data, json=request.json, headers=headers,
                         params=request.params, cookies=requests.cookies.RequestsCookieJar(), hooks=requests.hooks.default_hooks())
        return prepared
    for header in headers.items():
        check_header_validity(header)  # as prepare_headers: a token with a line break is refused, not sent
    prepared = requests.PreparedRequest()  # its hooks are the default ones, its body None, as prepare leaves a GET's
    prepared.method = "GET"
    prepared.url = url
    prepared.headers = headers
    prepared._cookies = requests.cookies.RequestsCookieJar()
    return prepared


def _plain_get_url(request: requests.Request) -> Optional[str]:
    """The URL requests would prepare for a body-less GET whose URL and query it leaves as they are; None otherwise."""
    if request.method.upper() != "GET" or request.data or request.json is not None or not isinstance(request.url, str):
        return None
    url = request.url
    if not _AS_REQUESTS_LEAVES_IT.fullmatch(url) or "/./" in url or "/../" in url or url.endswith(("/.", "/..")):
        return None
    after_scheme = url.partition("://")[2]
    host_and_port = after_scheme.partition("/")[0]
    if ":" in host_and_port and int(host_and_port.partition(":")[2]) > 65535:
        return None
    query = []
    for name, value in request.params.items():
        if value is None:
            continue  # as requests: a parameter set to None is not sent
        if not isinstance(name, str) or not isinstance(value, _SCALARS):
            return None
        query.append((name, value))
    if not after_scheme.count("/"):
        url += "/"
    return f"{url}?{urlencode(query)}" if query else url


def _environment_settings(session: requests.Session, url: str, proxies: Any, stream: Any, verify: Any, cert: Any) -> Dict[str, Any]:
    if session.trust_env or not isinstance(proxies, (dict, type(None))) or not isinstance(session.proxies, dict):
        return requests.Session.merge_environment_settings(session, url, proxies, stream, verify, cert)
    if proxies is None:  # as requests' merge_setting: the session's own, as they are
        merged_proxies = session.proxies
    else:
        merged = {**session.proxies, **proxies}
        merged_proxies = {k: v for k, v in merged.items() if v is not None}
    return {"proxies": merged_proxies,
            "stream": session.stream if stream is None else stream,
            "verify": session.verify if verify is None else verify,
            "cert": session.cert if cert is None else cert}
