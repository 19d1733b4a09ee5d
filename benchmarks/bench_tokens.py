# ruff: noqa: S603, S607  (a benchmark starts the tools it measures: wrk, openssl, taskset)
"""Tokens a second from one key-manager process on one core, beside what OpenSSL signs on that core.

The key manager (``python -m apim_key_manager``, uvicorn, SQLite in a temp dir, development mode)
runs pinned to core 0; wrk (``-t1``, a Lua script for the form POST) runs on core 1, so the load
generator is not the limit. In the same run, on the same core 0:

- ``openssl speed rsa2048 ecdsap256``: RSA-2048 and ECDSA P-256 signatures (and verifications) a
  second, the ceiling of RS256 and ES256 tokens;
- the signing alone, in this process: the key manager's signer (``cryptography`` on a header
  encoded once per key) beside jwcrypto's JWS, same claims and keys;
- key-manager processes, one after the other, alternately for ``--rounds`` rounds (2 by default):
  "before", served as ``run_service`` served it until this change (uvicorn's ``server`` header,
  its proxy-headers middleware trusting loopback, FastAPI's native telemetry check on every
  request); "after", ``python -m apim_key_manager`` as it is (same trust in forwarded headers);
  "after, no proxy", the same with ``FORWARDED_ALLOW_IPS`` empty (no proxy trusted, no
  proxy-headers middleware); with ``--granian``, also the same app under granian (one worker,
  uvloop; no proxy-headers middleware, no TLS listener). Each serves GET /health (the HTTP stack
  with no work), POST /oauth2/token (client_credentials) while the tenant's resident key manager
  signs RS256, then ES256 (the tenant's row that the key-managers event of admin-api writes,
  written here directly), and POST /oauth2/introspect of an RS256 token;
- the gateway's signature check (``apim_gateway.security.keys.verify_signature``, what a token the
  gateway has not cached costs) for RS256 and ES256, in a loop in this process on core 0.

OpenSSL's ``speed`` counts per second of CPU time; so does the "CPU" column here (requests over the
server's user + system time while wrk ran, its worker processes included), which holds on a
machine others share, beside the wall-clock rate wrk saw.

``--instructions``: one token in process, counted by callgrind (see ``token_instructions``).

Goals (issue 26): RS256 tokens >= 0.7x OpenSSL's RSA-2048 signatures a second; ES256 >= 5,000/s.
"""

from __future__ import annotations

import asyncio
import base64
import ctypes
import gc
import json
import os
import re
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import formatdate
from pathlib import Path

import httpx
import uvicorn
from asgi_lifespan import LifespanManager
from jwcrypto import jwk, jws
from starlette.types import ASGIApp
from uvicorn.server import ServerState

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "benchmarks")]

from bench_chain_instructions import callgrind_helper  # noqa: E402

from apim_common.events.bus import InProcessBus  # noqa: E402
from apim_common.runner import server_options  # noqa: E402
from apim_gateway.security.keys import b64url_decode, public_key_from_jwk, verify_signature  # noqa: E402
from apim_key_manager.app import create_app  # noqa: E402
from apim_key_manager.keys import crypto  # noqa: E402
from apim_key_manager.settings import Settings  # noqa: E402

SECONDS = int(os.environ.get("BENCH_TOKENS_SECONDS", "6"))
WARMUP = int(os.environ.get("BENCH_TOKENS_WARMUP", "2"))
CONNECTIONS = int(os.environ.get("BENCH_TOKENS_CONNECTIONS", "32"))
SERVER_CORE, LOAD_CORE = "0", "1"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def ensure_wrk() -> None:
    if shutil.which("wrk") is None and shutil.which("apt-get") and os.geteuid() == 0:
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=False)
    if shutil.which("wrk") is None or shutil.which("taskset") is None:
        raise SystemExit("bench_tokens needs wrk and taskset (Debian: apt-get install -y wrk util-linux)")


def openssl_speed() -> dict[str, float]:
    """Signatures and verifications a second on the server's core, from OpenSSL itself."""
    out = subprocess.run(
        ["taskset", "-c", SERVER_CORE, "openssl", "speed", "-seconds", "3", "rsa2048", "ecdsap256"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rsa = re.search(r"^rsa 2048 bits\s+\S+\s+\S+\s+([\d.]+)\s+([\d.]+)", out, re.M)
    ecdsa = re.search(r"256 bits ecdsa \(nistp256\)\s+\S+\s+\S+\s+([\d.]+)\s+([\d.]+)", out, re.M)
    assert rsa is not None, out
    assert ecdsa is not None, out
    return {
        "rsa_sign": float(rsa.group(1)),
        "rsa_verify": float(rsa.group(2)),
        "ec_sign": float(ecdsa.group(1)),
        "ec_verify": float(ecdsa.group(2)),
    }


def post_script(directory: Path, name: str, body: str, authorization: str) -> Path:
    script = directory / f"{name}.lua"
    script.write_text(
        'wrk.method = "POST"\n'
        f"wrk.body = {json.dumps(body)}\n"
        'wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\n'
        f'wrk.headers["Authorization"] = "{authorization}"\n'
    )
    return script


def wrk(url: str, seconds: int, script: Path | None = None) -> tuple[float, int]:
    """Requests a second, and the answers that were not 2xx."""
    command = ["taskset", "-c", LOAD_CORE, "wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s"]
    if script is not None:
        command += ["-s", str(script)]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    assert rate is not None, out
    failed = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    return float(rate.group(1)), int(failed.group(1)) if failed else 0


def cpu_seconds(pid: int) -> tuple[float, float]:
    """User and system time of the process ``pid`` and its descendants (granian serves in a child)."""
    user, system, pending = 0.0, 0.0, [pid]
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
            user += int(fields[11]) / os.sysconf("SC_CLK_TCK")
            system += int(fields[12]) / os.sysconf("SC_CLK_TCK")
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(child) for child in (task / "children").read_text().split()]
        except FileNotFoundError:  # it ended meanwhile
            continue
    return user, system


@dataclass
class Rate:
    wall: float  # requests a second of wall time
    cpu: float  # requests a second of the server's CPU time, as OpenSSL's speed counts
    system: float  # the share of that CPU time spent in the kernel

    def __str__(self) -> str:
        return f"{self.wall:7.0f} /s wall {self.cpu:7.0f} /s CPU ({self.system:3.0%} kernel)"


def measure(url: str, pid: int, script: Path | None = None) -> Rate:
    wrk(url, WARMUP, script)
    (user, system), started = cpu_seconds(pid), time.perf_counter()
    rate, failed = wrk(url, SECONDS, script)
    (user_after, system_after), elapsed = cpu_seconds(pid), time.perf_counter() - started
    if failed:
        raise SystemExit(f"{url}: {failed} answers were not 2xx")
    used = max(user_after - user + system_after - system, 1e-9)
    return Rate(rate, rate * elapsed / used, (system_after - system) / used)


# The key manager as ``run_service`` served it before uvicorn lost its ``server`` header and the
# service app builder turned FastAPI's native telemetry off ("before").
BEFORE = (
    "import uvicorn\n"
    "from apim_key_manager.app import create_app\n"
    "from apim_key_manager.settings import Settings\n"
    "s = Settings()\n"
    "app = create_app(s)\n"
    "app._telemetry.update(tracing=True, metrics=True, logs=True)\n"
    "uvicorn.run(app, host=s.host, port=s.port, log_config=None, access_log=False, proxy_headers=True)\n"
)
# The same app under granian, as the gateway's ``APIM_GATEWAY_SERVER=granian`` serves.
GRANIAN = (
    "from granian.constants import Interfaces, Loops\n"
    "from granian.log import LogLevels\n"
    "from granian.server import Server\n"
    "from apim_key_manager.settings import Settings\n"
    "s = Settings()\n"
    "Server('apim_key_manager.app:create_app', address=s.host, port=s.port, interface=Interfaces.ASGI,"
    " workers=1, loop=Loops.uvloop, factory=True, log_level=LogLevels.warning, log_access=False).serve()\n"
)


@dataclass(frozen=True)
class Variant:
    name: str
    program: tuple[str, ...]
    env: tuple[tuple[str, str], ...] = ()


VARIANTS = {
    "before": Variant("before", ("-c", BEFORE)),
    "after": Variant("after", ("-m", "apim_key_manager")),
    "after, no proxy": Variant("after, no proxy", ("-m", "apim_key_manager"), (("FORWARDED_ALLOW_IPS", ""),)),
    "granian": Variant("granian", ("-c", GRANIAN)),
}


def start_server(port: int, data_dir: Path, variant: Variant) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "APIM_MODE": "development",
        "APIM_DATABASE_URL": f"sqlite+aiosqlite:///{data_dir / 'key_manager.db'}",
        "APIM_HOST": "127.0.0.1",
        "APIM_PORT": str(port),
        "APIM_LOG_LEVEL": "WARNING",
        # The ring (keys and tenants' algorithms) is re-read every second, so the ES256 row shows soon.
        "APIM_CACHE_TTL": "1",
        **dict(variant.env),
    }
    return subprocess.Popen(["taskset", "-c", SERVER_CORE, sys.executable, *variant.program], env=env)


def wait_up(base: str) -> None:
    deadline = time.monotonic() + 180.0  # a loaded machine starts it slowly
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/health").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError("the key manager did not start")


def token_of(base: str, auth: tuple[str, str]) -> str:
    r = httpx.post(f"{base}/oauth2/token", data={"grant_type": "client_credentials"}, auth=auth)
    r.raise_for_status()
    return str(r.json()["access_token"])


def algorithm_of(token: str) -> str:
    return str(json.loads(b64url_decode(token.split(".")[0]))["alg"])


def gateway_verifications(token: str, jwks: dict[str, object], seconds: float = 2.0) -> float:
    """Signature checks a second of CPU time by the gateway's own function, on this process's core."""
    header, _, signature = token.split(".")
    kid = json.loads(b64url_decode(header))["kid"]
    document = next(k for k in jwks["keys"] if isinstance(k, dict) and k["kid"] == kid)  # type: ignore[attr-defined]
    key = public_key_from_jwk(document)
    assert key is not None
    alg, signing_input, raw = algorithm_of(token), token.rsplit(".", 1)[0].encode(), b64url_decode(signature)
    n, started = 0, time.process_time()
    while time.process_time() - started < seconds:
        for _ in range(200):
            assert verify_signature(key, alg, signing_input, raw)
        n += 200
    return n / (time.process_time() - started)


@dataclass
class Served:
    health: Rate
    rs256: Rate
    es256: Rate
    introspect: Rate
    rs256_token: str
    es256_token: str
    jwks: dict[str, object]


def serve_and_measure(variant: Variant) -> Served:
    """One key-manager process (one variant) under wrk."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        server = start_server(port, data, variant)
        try:
            wait_up(base)
            r = httpx.post(
                f"{base}/client-registration/v0.17/register",
                json={"clientName": "bench", "owner": "admin", "grantType": "client_credentials"},
                auth=("admin", "admin"),
            )
            r.raise_for_status()
            client = r.json()
            auth = (client["clientId"], client["clientSecret"])
            basic = "Basic " + base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode()
            grant = post_script(data, "token", "grant_type=client_credentials", basic)
            pid = server.pid
            health = measure(f"{base}/health", pid)
            rs256_token = token_of(base, auth)
            assert algorithm_of(rs256_token) == "RS256"
            rs256 = measure(f"{base}/oauth2/token", pid, grant)
            introspect = measure(
                f"{base}/oauth2/introspect",
                pid,
                post_script(data, "introspect", f"token={rs256_token}", basic),
            )
            # What the key manager stores when admin-api sets the resident key manager to ES256.
            with sqlite3.connect(data / "key_manager.db") as db:
                db.execute("INSERT INTO tenant_signing_algorithms VALUES ('carbon.super', 'ES256')")
            deadline = time.monotonic() + 10
            while algorithm_of(es256_token := token_of(base, auth)) != "ES256":
                assert time.monotonic() < deadline, "the key manager did not switch to ES256"
                time.sleep(0.2)
            es256 = measure(f"{base}/oauth2/token", pid, grant)
            jwks = httpx.get(f"{base}/oauth2/jwks").json()
        finally:
            server.terminate()
            server.wait(timeout=30)
    return Served(health, rs256, es256, introspect, rs256_token, es256_token, jwks)


def per_second(work: Callable[[], object], seconds: float = 1.0) -> float:
    """Calls a second of this process's CPU time."""
    n, started = 0, time.process_time()
    while time.process_time() - started < seconds:
        for _ in range(50):
            work()
        n += 50
    return n / (time.process_time() - started)


def signing_costs() -> dict[str, float]:
    """Tokens a second of CPU that the signing alone allows: the key manager's signer (cryptography
    on a header encoded once per key) beside jwcrypto's JWS, same claims, same keys."""
    now = int(time.time())
    claims = {
        "iss": "https://localhost:9443/oauth2/token",
        "sub": "admin@carbon.super",
        "aud": "client-id-of-21-chars",
        "azp": "client-id-of-21-chars",
        "scope": "default",
        "tenant": "carbon.super",
        "iat": now,
        "nbf": now,
        "exp": now + 3600,
        "jti": uuid.uuid4().hex,
        "token_type": "Bearer",
        "roles": ["admin"],
    }
    rates: dict[str, float] = {}
    for alg in (crypto.RS256, crypto.ES256):
        key = crypto.generate(alg)
        signer = crypto.Signer("kid", key, alg)
        rates[f"ours {alg}"] = per_second(lambda signer=signer: signer.sign(claims))
        jwk_key = jwk.JWK.from_pyca(key)
        header = json.dumps({"alg": alg, "typ": "JWT", "kid": "kid"})

        def with_jwcrypto(jwk_key: jwk.JWK = jwk_key, header: str = header) -> str:
            token = jws.JWS(json.dumps(claims, separators=(",", ":")))
            token.add_signature(jwk_key, None, protected=header)
            return str(token.serialize(compact=True))

        rates[f"jwcrypto {alg}"] = per_second(with_jwcrypto)
    return rates


def ratio(rate: Rate, reference: float) -> str:
    return f"{rate.cpu / reference:.2f}x"


# -- instructions per token, in process, under callgrind ------------------------------------------------


class _Connection(asyncio.Transport):
    """One keep-alive connection from 127.0.0.1 as uvicorn's protocol sees it, its answers kept."""

    def __init__(self) -> None:
        super().__init__()
        self.written: list[bytes] = []
        self.answered = asyncio.Event()  # set at each answer's second write, its body
        self._extra = {"peername": ("127.0.0.1", 50_000), "sockname": ("127.0.0.1", 9443)}

    def get_extra_info(self, name: str, default: object = None) -> object:
        return self._extra.get(name, default)

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.written.append(bytes(data))
        if len(self.written) % 2 == 0:
            self.answered.set()

    def is_closing(self) -> bool:
        return False

    def pause_reading(self) -> None:
        pass

    def resume_reading(self) -> None:
        pass


def _uvicorn_protocol(app: ASGIApp, server: str, settings: Settings) -> asyncio.Protocol:
    """uvicorn's HTTP protocol (httptools) for ``app``, configured as ``server`` serves it."""
    if server == "before":  # as run_service configured uvicorn before
        options = {"proxy_headers": True, "log_config": None, "access_log": False}
    else:
        options = {k: v for k, v in server_options(settings).items() if k not in ("host", "port")}
    config = uvicorn.Config(app, **options, lifespan="off", http="httptools")
    config.load()
    state = ServerState()
    date = [(b"date", formatdate(usegmt=True).encode())] if config.date_header else []
    state.default_headers = date + config.encoded_headers
    protocol: asyncio.Protocol = config.http_protocol_class(config=config, server_state=state, app_state={})
    return protocol


async def _token_requests(requests: int, counted: bool, server: str) -> None:
    """``requests`` client_credentials tokens through the key manager's ASGI app (the plain-ASGI
    front), after a warm-up; with ``counted``, callgrind counts them and then the same number of
    signatures of a token's claims alone, each between its own start and stop.

    ``server``: "asgi", the app called directly (no HTTP server); otherwise the request's bytes go
    through uvicorn's HTTP protocol (parsing, headers, keep-alive; no socket) configured as
    "before" (``run_service`` until this change, with FastAPI's own native telemetry check), "after"
    (``server_options``) or "after, no proxy" (the same, ``FORWARDED_ALLOW_IPS`` empty)."""
    helper = ctypes.CDLL(str(callgrind_helper())) if counted else None
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            mode="development",
            database_url=f"sqlite+aiosqlite:///{tmp}/key_manager.db",
            password_time_cost=1,
            password_memory_cost=1024,
            # Under callgrind the run is fifty times slower: the client, keys and role maps read
            # once per run, not once per 5 s (what a token costs at full rate, not a reload's).
            cache_ttl=3600,
            # Nor the outbox relay's polls (two a second) counted in with the tokens: they come as
            # often as the run is slow, so the machine's load would move the count.
            outbox_poll_interval=3600,
        )
        bus = InProcessBus()
        service = create_app(settings, bus=bus)
        if server == "before":
            # The "before" of apim_common.app's telemetry setting: FastAPI's own defaults.
            service._telemetry.update(tracing=True, metrics=True, logs=True)  # noqa: SLF001
        async with LifespanManager(service, startup_timeout=60) as manager:
            await bus.start()
            app = manager.app
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://km"
            ) as http:
                r = await http.post(
                    "/client-registration/v0.17/register",
                    json={"clientName": "bench", "owner": "admin", "grantType": "client_credentials"},
                    auth=("admin", "admin"),
                )
                r.raise_for_status()
                client = r.json()
            basic = base64.b64encode(f"{client['clientId']}:{client['clientSecret']}".encode())
            body = b"grant_type=client_credentials"
            scope = {
                "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
                "scheme": "http", "path": "/oauth2/token", "raw_path": b"/oauth2/token",
                "query_string": b"", "root_path": "", "client": ("127.0.0.1", 50_000),
                "server": ("127.0.0.1", 9443),
                "headers": [
                    (b"host", b"127.0.0.1:9443"), (b"authorization", b"Basic " + basic),
                    (b"content-type", b"application/x-www-form-urlencoded"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }  # fmt: skip
            message = {"type": "http.request", "body": body, "more_body": False}
            answers: list[bytes] = []

            async def receive() -> dict[str, object]:
                return message

            async def send(sent: dict[str, object]) -> None:
                if sent["type"] == "http.response.body":
                    answers.append(sent["body"])  # type: ignore[arg-type]

            async def called() -> None:
                await app(dict(scope), receive, send)

            one = called
            if server != "asgi":
                connection = _Connection()
                protocol = _uvicorn_protocol(app, server, settings)
                protocol.connection_made(connection)
                head = b"POST /oauth2/token HTTP/1.1\r\n" + b"".join(
                    name.title() + b": " + value + b"\r\n" for name, value in scope["headers"]
                )
                request = head + b"\r\n" + body

                async def served() -> None:
                    connection.answered.clear()
                    protocol.data_received(request)
                    await connection.answered.wait()
                    answers.append(connection.written[-1])
                    await asyncio.sleep(0)  # the request's task ends

                one = served

            for _ in range(200):
                await one()
            answers.clear()
            # The app's objects out of the collector's way: whether a full collection of them falls
            # inside the counted requests or not moved the count by tens of thousands a token.
            gc.collect()
            gc.freeze()
            if helper is not None:
                helper.cg_start()
            cpu = time.process_time()
            for _ in range(requests):
                await one()
            cpu = time.process_time() - cpu
            if helper is not None:
                helper.cg_stop()
            tokens = [json.loads(a)["access_token"] for a in answers]
            if len(tokens) != requests:
                raise SystemExit(f"{requests - len(tokens)} of {requests} requests got no token")
            key_manager = service.state.key_manager
            signer = key_manager.tokens.ring.access_signer("carbon.super")
            claims = json.loads(base64.urlsafe_b64decode(tokens[-1].split(".")[1] + "=="))
            if helper is not None:
                helper.cg_start()
            signing = time.process_time()
            for _ in range(requests):
                signer.sign(claims)
            signing = time.process_time() - signing
            if helper is not None:
                helper.cg_stop()
            print(f"{cpu / requests * 1e6:.1f} {signing / requests * 1e6:.1f}")
            await bus.stop()


def token_instructions(requests: int, server: str) -> tuple[float, float, float, float]:
    """Instructions per token and per signature alone, counted; CPU us per token and per
    signature alone, natively (one process, one after the other)."""
    variant = ["--server", server]
    callgrind_helper()
    here = Path(__file__).resolve()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(str(ROOT / p) for p in ("benchmarks", "")),
        "APIM_LOG_LEVEL": "ERROR",
        "OTEL_SDK_DISABLED": "true",
        "PYTHONHASHSEED": "0",  # the same dict and set layouts in every run
    }
    env.pop("FORWARDED_ALLOW_IPS", None)
    if server == "after, no proxy":
        env["FORWARDED_ALLOW_IPS"] = ""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.tokens.out"
        command = [
            "valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}",
            sys.executable, str(here), "--measure-tokens", str(requests), *variant,
        ]  # fmt: skip
        subprocess.run(command, env=env, capture_output=True, text=True, check=True)
        totals = []
        for dump in sorted(
            Path(tmp).glob("callgrind.tokens.out*"),
            key=lambda d: int(d.name.rsplit(".", 1)[-1]) if d.name[-1].isdigit() else 0,
        ):
            text = dump.read_text(errors="replace")
            match = re.search(r"^totals:\s+(\d+)", text, re.M)
            if "Trigger: Client Request: measured" in text and match:
                totals.append(int(match.group(1)))
    if len(totals) != 2:
        raise SystemExit(f"expected two measured dumps, found {len(totals)}")
    native = subprocess.run(
        [sys.executable, str(here), "--measure-tokens", str(requests * 5), "--native", *variant],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    token_us, signature_us = (float(v) for v in native.stdout.split()[-2:])
    return totals[0] / requests, totals[1] / requests, token_us, signature_us


def _median(rates: list[Rate]) -> Rate:
    """The middle round's rate (by CPU rate); of two rounds, their mean."""
    ordered = sorted(rates, key=lambda r: r.cpu)
    middle = ordered[(len(ordered) - 1) // 2 : len(ordered) // 2 + 1]
    return Rate(*(statistics.fmean(getattr(r, f) for r in middle) for f in ("wall", "cpu", "system")))


def _rates(rates: list[Rate]) -> str:
    """The median of the rounds, and each round's CPU rate."""
    return f"{_median(rates)}   (rounds: {', '.join(f'{r.cpu:.0f}' for r in rates)})"


def _instructions() -> None:
    print(
        "RS256 client_credentials token in process, 200 after 200 of warm-up "
        f"(load {os.getloadavg()[0]:.2f}):"
    )
    for server in ("asgi", "before", "after", "after, no proxy"):
        per_token, per_signature, token_us, signature_us = token_instructions(200, server)
        print(
            f"  {server:16} {per_token:,.0f} instructions per token, {per_signature:,.0f} the signature "
            f"alone, {per_token - per_signature:,.0f} around it; natively {token_us:.1f} us CPU per "
            f"token, {signature_us:.1f} the signature, {token_us - signature_us:.1f} around it "
            f"(load {os.getloadavg()[0]:.2f})"
        )


def main() -> None:
    if "--help" in sys.argv or "-h" in sys.argv:
        print(__doc__)
        print("options: --rounds N (default 2), --granian, --instructions")
        return
    if "--measure-tokens" in sys.argv:
        requests = int(sys.argv[sys.argv.index("--measure-tokens") + 1])
        asyncio.run(
            _token_requests(
                requests,
                counted="--native" not in sys.argv,
                server=sys.argv[sys.argv.index("--server") + 1] if "--server" in sys.argv else "asgi",
            )
        )
        return
    if "--instructions" in sys.argv:
        _instructions()
        return
    rounds = int(sys.argv[sys.argv.index("--rounds") + 1]) if "--rounds" in sys.argv else 2
    names = ["before", "after", "after, no proxy"] + (["granian"] if "--granian" in sys.argv else [])
    ensure_wrk()
    os.sched_setaffinity(0, {int(SERVER_CORE)})
    ssl = openssl_speed()
    served: dict[str, list[Served]] = {name: [] for name in names}
    for round_ in range(rounds):
        for name in names if round_ % 2 == 0 else reversed(names):
            served[name].append(run := serve_and_measure(VARIANTS[name]))
            print(f"  round {round_ + 1} {name:16} RS256 {run.rs256}   load {os.getloadavg()[0]:.2f}")
    after = served["after"][-1]
    signing = signing_costs()
    gateway_rs256 = gateway_verifications(after.rs256_token, after.jwks)
    gateway_es256 = gateway_verifications(after.es256_token, after.jwks)
    load = os.getloadavg()
    rsa, ec = ssl["rsa_sign"], ssl["ec_sign"]
    print(
        f"key manager on core {SERVER_CORE} (1 worker), wrk -t1 -c{CONNECTIONS} on core {LOAD_CORE}, "
        f"{rounds} rounds of {', '.join(names)} alternately (median, then each round's CPU rate)"
    )
    print(f"  load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores")
    print(f"  reference  OpenSSL RSA-2048 sign            {rsa:9.0f} /s   verify {ssl['rsa_verify']:8.0f} /s")
    print(f"  reference  OpenSSL ECDSA P-256 sign         {ec:9.0f} /s   verify {ssl['ec_verify']:8.0f} /s")
    for alg in (crypto.RS256, crypto.ES256):
        reference = rsa if alg == crypto.RS256 else ec
        ours, theirs = signing[f"ours {alg}"], signing[f"jwcrypto {alg}"]
        print(
            f"  measured   {alg} signing alone, ours        {ours:9.0f} /s CPU   "
            f"jwcrypto {theirs:7.0f} /s CPU   ({ours / reference:.2f}x OpenSSL)"
        )
    for name in names:
        runs = served[name]
        rs256 = _median([r.rs256 for r in runs])
        print(f"  {name:16} GET /health (no work)            {_rates([r.health for r in runs])}")
        print(
            f"  {name:16} RS256 client_credentials tokens {_rates([r.rs256 for r in runs])}   "
            f"{ratio(rs256, rsa)} RSA, goal >= 0.70x"
        )
        print(
            f"  {name:16} ES256 client_credentials tokens {_rates([r.es256 for r in runs])}   goal >= 5,000"
        )
        print(f"  {name:16} introspection of an RS256 token {_rates([r.introspect for r in runs])}")
    print(
        f"  measured   gateway RS256 signature check    {gateway_rs256:9.0f} /s   "
        f"{gateway_rs256 / ssl['rsa_verify']:.2f}x RSA-2048 verify"
    )
    print(
        f"  measured   gateway ES256 signature check    {gateway_es256:9.0f} /s   "
        f"{gateway_es256 / ssl['ec_verify']:.2f}x P-256 verify"
    )


if __name__ == "__main__":
    main()
