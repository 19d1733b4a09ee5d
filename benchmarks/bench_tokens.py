# ruff: noqa: S603, S607  (a benchmark starts the tools it measures: wrk, openssl, taskset)
"""Tokens a second from one key-manager process on one core, beside what OpenSSL signs on that core.

The key manager (``python -m apim_key_manager``, uvicorn, SQLite in a temp dir, development mode)
runs pinned to core 0; wrk (``-t1``, a Lua script for the form POST) runs on core 1, so the load
generator is not the limit. In the same run, on the same core 0:

- ``openssl speed rsa2048 ecdsap256``: RSA-2048 and ECDSA P-256 signatures (and verifications) a
  second, the ceiling of RS256 and ES256 tokens;
- the signing alone, in this process: the key manager's signer (``cryptography`` on a header
  encoded once per key) beside jwcrypto's JWS, same claims and keys;
- two key-manager processes one after the other: "before", every POST through FastAPI's routing
  (``create_app(oauth_front=False)``), and "after", the plain-ASGI front of /oauth2/token and
  /oauth2/introspect (the default). Each serves GET /health (the HTTP stack with no work), POST
  /oauth2/token (client_credentials) while the tenant's resident key manager signs RS256, then ES256
  (the tenant's row that the key-managers event of admin-api writes, written here directly), and
  POST /oauth2/introspect of an RS256 token;
- the gateway's signature check (``apim_gateway.security.keys.verify_signature``, what a token the
  gateway has not cached costs) for RS256 and ES256, in a loop in this process on core 0.

OpenSSL's ``speed`` counts per second of CPU time; so does the "CPU" column here (requests over the
server's user + system time while wrk ran), which holds on a machine others share, beside the
wall-clock rate wrk saw.

Goals (issue 26): RS256 tokens >= 0.7x OpenSSL's RSA-2048 signatures a second; ES256 >= 5,000/s.
"""

from __future__ import annotations

import asyncio
import base64
import ctypes
import json
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
from asgi_lifespan import LifespanManager
from jwcrypto import jwk, jws

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "benchmarks")]

from bench_chain_instructions import callgrind_helper  # noqa: E402

from apim_common.events.bus import InProcessBus  # noqa: E402
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


def cpu_seconds(pid: int) -> float:
    """User + system time of the process ``pid`` (all its threads)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Rate:
    wall: float  # requests a second of wall time
    cpu: float  # requests a second of the server's CPU time, as OpenSSL's speed counts

    def __str__(self) -> str:
        return f"{self.wall:7.0f} /s wall {self.cpu:7.0f} /s CPU"


def measure(url: str, pid: int, script: Path | None = None) -> Rate:
    wrk(url, WARMUP, script)
    before, started = cpu_seconds(pid), time.perf_counter()
    rate, failed = wrk(url, SECONDS, script)
    used, elapsed = cpu_seconds(pid) - before, time.perf_counter() - started
    if failed:
        raise SystemExit(f"{url}: {failed} answers were not 2xx")
    return Rate(rate, rate * elapsed / max(used, 1e-9))


# The key manager without the plain-ASGI front: every POST through FastAPI's routing ("before").
THROUGH_FASTAPI = (
    "import uvicorn\n"
    "from apim_key_manager.app import create_app\n"
    "from apim_key_manager.settings import Settings\n"
    "s = Settings()\n"
    "uvicorn.run(create_app(s, oauth_front=False), host=s.host, port=s.port, log_config=None,"
    " access_log=False, proxy_headers=True)\n"
)


def start_server(port: int, data_dir: Path, *, front: bool) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "APIM_MODE": "development",
        "APIM_DATABASE_URL": f"sqlite+aiosqlite:///{data_dir / 'key_manager.db'}",
        "APIM_HOST": "127.0.0.1",
        "APIM_PORT": str(port),
        "APIM_LOG_LEVEL": "WARNING",
        # The ring (keys and tenants' algorithms) is re-read every second, so the ES256 row shows soon.
        "APIM_CACHE_TTL": "1",
    }
    program = ["-m", "apim_key_manager"] if front else ["-c", THROUGH_FASTAPI]
    return subprocess.Popen(["taskset", "-c", SERVER_CORE, sys.executable, *program], env=env)


def wait_up(base: str) -> None:
    deadline = time.monotonic() + 60.0
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


def serve_and_measure(*, front: bool) -> Served:
    """One key-manager process (with or without the plain-ASGI front) under wrk."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp)
        server = start_server(port, data, front=front)
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


async def _token_requests(requests: int, counted: bool) -> None:
    """``requests`` client_credentials tokens through the key manager's ASGI app (the plain-ASGI
    front, no HTTP server), after a warm-up; with ``counted``, callgrind counts them and then the
    same number of signatures of a token's claims alone, each between its own start and stop."""
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
        )
        bus = InProcessBus()
        service = create_app(settings, bus=bus)
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

            async def one() -> None:
                await app(dict(scope), receive, send)

            for _ in range(200):
                await one()
            answers.clear()
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


def token_instructions(requests: int) -> tuple[float, float, float, float]:
    """Instructions per token and per signature alone, counted; CPU us per token and per
    signature alone, natively (one process, one after the other)."""
    callgrind_helper()
    here = Path(__file__).resolve()
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(str(ROOT / p) for p in ("benchmarks", "")),
        "APIM_LOG_LEVEL": "ERROR",
        "OTEL_SDK_DISABLED": "true",
    }
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.tokens.out"
        command = [
            "valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}",
            sys.executable, str(here), "--measure-tokens", str(requests),
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
        [sys.executable, str(here), "--measure-tokens", str(requests * 5), "--native"],
        env=env, capture_output=True, text=True, check=True,
    )  # fmt: skip
    token_us, signature_us = (float(v) for v in native.stdout.split()[-2:])
    return totals[0] / requests, totals[1] / requests, token_us, signature_us


def main() -> None:
    if "--measure-tokens" in sys.argv:
        requests = int(sys.argv[sys.argv.index("--measure-tokens") + 1])
        asyncio.run(_token_requests(requests, counted="--native" not in sys.argv))
        return
    if "--instructions" in sys.argv:
        per_token, per_signature, token_us, signature_us = token_instructions(200)
        print(
            f"RS256 client_credentials token in process (plain-ASGI front, no HTTP server), "
            f"load average {os.getloadavg()[0]:.2f}:\n"
            f"  {per_token:,.0f} instructions per token, {per_signature:,.0f} of them the signature "
            f"alone, {per_token - per_signature:,.0f} around it\n"
            f"  {token_us:.1f} us CPU per token natively, {signature_us:.1f} the signature alone, "
            f"{token_us - signature_us:.1f} around it"
        )
        return
    ensure_wrk()
    os.sched_setaffinity(0, {int(SERVER_CORE)})
    ssl = openssl_speed()
    before = serve_and_measure(front=False)
    after = serve_and_measure(front=True)
    signing = signing_costs()
    gateway_rs256 = gateway_verifications(after.rs256_token, after.jwks)
    gateway_es256 = gateway_verifications(after.es256_token, after.jwks)
    load = os.getloadavg()
    rsa, ec = ssl["rsa_sign"], ssl["ec_sign"]
    print(
        f"key manager on core {SERVER_CORE} (uvicorn, 1 worker), wrk -t1 -c{CONNECTIONS} on core "
        f"{LOAD_CORE}; before = every POST through FastAPI's routing, after = the plain-ASGI front"
    )
    print(f"  load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores")
    print(f"  reference  OpenSSL RSA-2048 sign            {rsa:9.0f} /s   verify {ssl['rsa_verify']:8.0f} /s")
    print(f"  reference  OpenSSL ECDSA P-256 sign         {ec:9.0f} /s   verify {ssl['ec_verify']:8.0f} /s")
    print(f"  reference  GET /health (FastAPI, no work)   {after.health}")
    for alg in (crypto.RS256, crypto.ES256):
        reference = rsa if alg == crypto.RS256 else ec
        ours, theirs = signing[f"ours {alg}"], signing[f"jwcrypto {alg}"]
        print(
            f"  measured   {alg} signing alone, ours        {ours:9.0f} /s CPU   "
            f"jwcrypto {theirs:7.0f} /s CPU   ({ours / reference:.2f}x OpenSSL)"
        )
    print(f"  before     RS256 client_credentials tokens  {before.rs256}   {ratio(before.rs256, rsa)} RSA")
    print(
        f"  after      RS256 client_credentials tokens  {after.rs256}   {ratio(after.rs256, rsa)} RSA"
        "   goal >= 0.70x"
    )
    print(f"  before     ES256 client_credentials tokens  {before.es256}")
    print(f"  after      ES256 client_credentials tokens  {after.es256}   goal >= 5,000 /s CPU")
    print(f"  before     introspection of an RS256 token  {before.introspect}")
    print(f"  after      introspection of an RS256 token  {after.introspect}")
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
