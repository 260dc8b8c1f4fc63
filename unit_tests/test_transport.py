"""The connector's transport (transport.KeepAliveAdapter) against requests' own HTTPAdapter, answer by
answer: a loopback server sends scripted bytes (compressed, chunked, cut short, late, closed), and
both adapters must give the same status, headers and body, or the same kind of exception."""

from __future__ import annotations

import gzip
import socket
import ssl
import subprocess
import threading
import time
import zlib
from typing import Callable, Dict, List
from urllib.parse import urlsplit

import pytest
import requests
from requests.adapters import HTTPAdapter

from source_bigcommerce.transport import KeepAliveAdapter

BODY = b'{"data": [{"id": 1, "name": "caf\xc3\xa9"}], "meta": {}}'


def _answer(status: str, headers: Dict[str, str], body: bytes) -> bytes:
    head = f"HTTP/1.1 {status}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return head.encode() + b"\r\n" + body


def _chunked(body: bytes) -> bytes:
    return b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (body[:10], body[10:])) + b"0\r\n\r\n"


# path -> what the server writes, then whether it closes the connection
SCRIPTS: Dict[str, Callable[[], List]] = {
    "/plain": lambda: [_answer("200 OK", {"Content-Type": "application/json", "Content-Length": str(len(BODY))}, BODY)],
    "/gzip": lambda: [_answer("200 OK", {"Content-Encoding": "gzip", "Content-Length": str(len(gzip.compress(BODY)))}, gzip.compress(BODY))],
    "/deflate": lambda: [_answer("200 OK", {"Content-Encoding": "deflate", "Content-Length": str(len(zlib.compress(BODY)))}, zlib.compress(BODY))],
    "/raw-deflate": lambda: [_answer("200 OK", {"Content-Encoding": "deflate", "Content-Length": str(len(_raw_deflate(BODY)))}, _raw_deflate(BODY))],
    "/bad-gzip": lambda: [_answer("200 OK", {"Content-Encoding": "gzip", "Content-Length": "9"}, b"not gzip!")],
    "/chunked": lambda: [_answer("200 OK", {"Transfer-Encoding": "chunked"}, _chunked(BODY))],
    "/repeated": lambda: [_answer("429 Too Many Requests", {"X-Rate-Limit-Time-Reset-Ms": "1500", "Vary": "Accept", "vary": "Origin",
                                                            "Content-Length": "2"}, b"[]")],
    "/no-content": lambda: [_answer("204 No Content", {}, b"")],
    "/then-close": lambda: [_answer("200 OK", {"Connection": "close", "Content-Length": str(len(BODY))}, BODY), "close"],
    "/until-close": lambda: [_answer("200 OK", {"Connection": "close"}, BODY), "close"],
    "/cut-short": lambda: [_answer("200 OK", {"Content-Length": str(len(BODY) + 50)}, BODY), "close"],
    "/cut-chunk": lambda: [_answer("200 OK", {"Transfer-Encoding": "chunked"}, b"40\r\n" + BODY[:20]), "close"],
    "/no-answer": lambda: ["close"],
    "/garbage": lambda: [b"SMTP ready\r\n\r\n", "close"],
    "/late": lambda: [("sleep", 1.5), _answer("200 OK", {"Content-Length": "2"}, b"[]")],
    "/late-body": lambda: [_answer("200 OK", {"Content-Length": "4"}, b"[1"), ("sleep", 1.5), b"2]"],
    # header lines the lean reader takes, and those it hands to the email parser
    "/odd-values": lambda: [b"HTTP/1.1 200 OK\r\nX-Spaces:   padded  \r\nX-Empty:\r\nX-Latin: caf\xe9\r\nx-rate-limit-requests-left:7\r\n"
                            b"Content-Length: 2\r\n\r\n[]"],
    "/folded": lambda: [b"HTTP/1.1 200 OK\r\nX-Folded: first\r\n  second\r\nContent-Length: 2\r\n\r\n[]"],
    "/not-a-header": lambda: [b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nthis is no header\r\nX-After: lost\r\n\r\n[]"],
    "/bare-cr": lambda: [b"HTTP/1.1 200 OK\r\nX-Cr: a\rb\r\nContent-Length: 2\r\n\r\n[]"],
    "/continue-first": lambda: [b"HTTP/1.1 100 Continue\r\nX-Interim: 1\r\n\r\n" + _answer("200 OK", {"Content-Length": "2"}, b"[]")],
    "/http10": lambda: [b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\n[]", "close"],
    "/many-headers": lambda: [b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-%d: v\r\n" % n for n in range(120)) + b"Content-Length: 2\r\n\r\n[]", "close"],
    "/long-header": lambda: [b"HTTP/1.1 200 OK\r\nX-Long: " + b"v" * 70000 + b"\r\nContent-Length: 2\r\n\r\n[]", "close"],
}


def _raw_deflate(body: bytes) -> bytes:
    packer = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return packer.compress(body) + packer.flush()


class ScriptedServer:
    """A loopback HTTP/1.1 server that plays SCRIPTS and counts the connections it accepted."""

    def __init__(self, tls: ssl.SSLContext = None) -> None:
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.tls = tls
        self.connections = 0
        self.requests: List[bytes] = []
        self.live: List[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        try:
            if self.tls is not None:
                client = self.tls.wrap_socket(client, server_side=True)
            self.live.append(client)
            buffered = b""
            while True:
                while b"\r\n\r\n" not in buffered:
                    chunk = client.recv(65536)
                    if not chunk:
                        return
                    buffered += chunk
                head, buffered = buffered.split(b"\r\n\r\n", 1)
                self.requests.append(head)
                path = urlsplit(head.split(b" ")[1].decode()).path  # a proxy is sent the absolute URL
                for step in SCRIPTS[path]():
                    if step == "close":
                        client.close()
                        return
                    if isinstance(step, tuple):
                        time.sleep(step[1])
                    else:
                        client.sendall(step)
        except (OSError, ssl.SSLError):
            return

    def close_idle(self) -> None:
        for client in self.live:
            try:
                client.shutdown(socket.SHUT_RDWR)
                client.close()
            except OSError:
                pass

    def stop(self) -> None:
        self.listener.close()
        self.close_idle()


@pytest.fixture
def server():
    running = ScriptedServer()
    yield running
    running.stop()


def _session(adapter) -> requests.Session:
    session = requests.Session()
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def _outcome(session: requests.Session, url: str, **kwargs):
    try:
        response = session.get(url, timeout=kwargs.pop("timeout", (2, 0.5)), **kwargs)
    except requests.RequestException as error:
        return type(error).__name__
    headers = {k.lower(): v for k, v in response.headers.items() if k.lower() not in ("date", "server", "connection", "keep-alive")}
    return response.status_code, response.reason, headers, response.content, response.encoding, response.ok


@pytest.mark.parametrize("path", sorted(SCRIPTS))
def test_given_a_scripted_answer_then_both_adapters_give_the_same_outcome(server, path):
    url = f"http://127.0.0.1:{server.port}{path}?limit=250&page=2"
    ours = _outcome(_session(KeepAliveAdapter()), url)
    theirs = _outcome(_session(HTTPAdapter()), url)
    assert ours == theirs
    if path in ("/plain", "/gzip", "/deflate", "/raw-deflate", "/chunked", "/then-close", "/until-close"):
        assert ours[3] == BODY  # the comparison above is about something: the body came through decoded


def test_given_several_requests_from_one_thread_then_they_share_one_connection(server):
    session = _session(KeepAliveAdapter())
    for path in ("/plain", "/gzip", "/chunked", "/repeated", "/no-content", "/plain"):
        session.get(f"http://127.0.0.1:{server.port}{path}", timeout=2)
    assert server.connections == 1
    session.get(f"http://127.0.0.1:{server.port}/then-close", timeout=2)
    session.get(f"http://127.0.0.1:{server.port}/plain", timeout=2)
    assert server.connections == 2


def test_given_threads_then_each_keeps_its_own_connection(server):
    adapter = KeepAliveAdapter()

    def read_three() -> None:
        session = _session(adapter)
        for _ in range(3):
            assert session.get(f"http://127.0.0.1:{server.port}/plain", timeout=2).content == BODY

    threads = [threading.Thread(target=read_three) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert server.connections == 4


def test_given_the_server_closed_an_idle_connection_then_the_next_request_opens_a_new_one_without_failing(server):
    session = _session(KeepAliveAdapter())
    assert session.get(f"http://127.0.0.1:{server.port}/plain", timeout=2).ok
    server.close_idle()
    time.sleep(0.1)
    assert session.get(f"http://127.0.0.1:{server.port}/plain", timeout=2).content == BODY
    assert server.connections == 2


def test_given_a_failed_request_then_its_connection_is_not_used_again(server):
    session = _session(KeepAliveAdapter())
    assert _outcome(session, f"http://127.0.0.1:{server.port}/late") == "ReadTimeout"
    assert session.get(f"http://127.0.0.1:{server.port}/plain", timeout=2).content == BODY  # not the late answer
    assert server.connections == 2


def test_given_nothing_listening_then_a_connection_error_as_with_requests():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/plain"
    assert _outcome(_session(KeepAliveAdapter()), url) == _outcome(_session(HTTPAdapter()), url) == "ConnectionError"


def test_given_the_sent_request_then_it_carries_the_headers_and_query_requests_prepared(server):
    session = _session(KeepAliveAdapter())
    session.get(f"http://127.0.0.1:{server.port}/plain", params={"limit": 250, "date_modified:min": "2024-01-01T00:00:00+00:00"},
                headers={"X-Auth-Token": "t0ken", "Accept": "application/json"}, timeout=2)
    line, *header_lines = server.requests[-1].decode().split("\r\n")
    headers = dict(h.split(": ", 1) for h in header_lines)
    assert line == "GET /plain?limit=250&date_modified%3Amin=2024-01-01T00%3A00%3A00%2B00%3A00 HTTP/1.1"
    assert headers["X-Auth-Token"] == "t0ken" and headers["Accept"] == "application/json"
    assert headers["Host"] == f"127.0.0.1:{server.port}"
    assert headers["Accept-Encoding"] == "gzip, deflate"  # only what it decodes
    assert list(headers).count("Accept-Encoding") == 1


def test_given_a_proxy_for_the_host_then_requests_adapter_sends_it_through_the_proxy(server):
    """A proxy is requests' business: the request goes through the proxy (here the scripted server,
    which sees the absolute URL a proxy is sent)."""
    session = _session(KeepAliveAdapter())
    response = session.get("http://api.bigcommerce.invalid/plain", proxies={"http": f"http://127.0.0.1:{server.port}"}, timeout=2)
    assert response.content == BODY
    assert server.requests[-1].startswith(b"GET http://api.bigcommerce.invalid/plain HTTP/1.1")


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tls")
    key, cert = folder / "key.pem", folder / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2",
                    "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    return key, cert


@pytest.fixture
def tls_server(certificate):
    key, cert = certificate
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(cert), str(key))
    running = ScriptedServer(tls=context)
    yield running
    running.stop()


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")
@pytest.mark.parametrize("verify", ["the certificate", True, False])
def test_given_https_then_certificates_are_checked_as_requests_checks_them(tls_server, certificate, verify):
    verify = str(certificate[1]) if verify == "the certificate" else verify
    url = f"https://127.0.0.1:{tls_server.port}/gzip"
    ours = _outcome(_session(KeepAliveAdapter()), url, verify=verify)
    theirs = _outcome(_session(HTTPAdapter()), url, verify=verify)
    assert ours == theirs
    assert (ours == "SSLError") == (verify is True)  # a self-signed certificate is refused unless it is the one trusted
    if verify is not True:
        assert ours[3] == BODY


HEADER_BLOCKS = [
    b"Content-Type: application/json\r\nContent-Length: 12\r\nX-Rate-Limit-Requests-Left: 149\r\n\r\n",
    b"A: 1\r\na: 2\r\nVary: Accept\r\nvary: Origin\r\n\r\n",
    b"X-Spaces: \t padded \t\r\nX-Empty:\r\nX-Colon: a:b: c\r\nX-Latin: caf\xe9\r\n\r\n",
    b"Unix-LF: yes\nOther: too\n\n",
    b"X-Folded: first\r\n\tsecond\r\n third\r\nNext: 1\r\n\r\n",
    b"  leading: continuation\r\nA: 1\r\n\r\n",
    b": no name\r\nA: 1\r\n\r\n",
    b"A: 1\r\nnot a header\r\nB: 2\r\n\r\n",
    b"From nobody\r\nA: 1\r\n\r\n",
    b"X-Cr: a\rb\r\nA: 1\r\n\r\n",
    b"Bad Name: x\r\nA: 1\r\n\r\n",
    b"A: 1\r\nB: no end",
    b"\r\n",
]


@pytest.mark.parametrize("block", HEADER_BLOCKS)
def test_given_a_header_block_then_the_lean_reader_reads_what_http_client_reads(block):
    import io
    import http.client

    from source_bigcommerce import transport

    ours, theirs = transport._read_header_block(io.BytesIO(block)), http.client.parse_headers(io.BytesIO(block))

    assert ours.items() == theirs.items()
    for name in ("content-length", "A", "vary", "x-spaces", "x-folded", "missing"):
        assert ours.get(name) == theirs.get(name) and ours.get_all(name) == theirs.get_all(name)


def test_given_plain_header_lines_then_the_lean_reader_does_not_hand_them_to_the_email_parser():
    import io

    from source_bigcommerce import transport

    assert type(transport._read_header_block(io.BytesIO(HEADER_BLOCKS[0]))) is transport._Headers
    assert type(transport._read_header_block(io.BytesIO(HEADER_BLOCKS[4]))) is not transport._Headers
