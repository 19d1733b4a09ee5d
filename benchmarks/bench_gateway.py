# ruff: noqa: S603, S607  (a benchmark starts the tools it measures: nginx, wrk, taskset)
"""The gateway's full chain against nginx as a reverse proxy and the backend hit directly.

One run measures, side by side on the same machine:

- backend direct: nginx returning a fixed 1 KiB JSON body, on core 0;
- nginx proxy: nginx on core 0 proxying (keep-alive upstream) to the backend on core 1;
- gateway: ``python -m apim_gateway`` on core 0 under each server of ``--servers`` (uvicorn with
  uvloop and httptools, granian), with the full chain: route, JWT (cached after the first
  verification), subscription, a counted rate limit, one addHeader policy, backend call through
  the upstream client, 1 KiB response, metrics and analytics.

- the same gateway at ``--baseline`` (a git revision, ``HEAD~1`` by default; ``none`` to skip),
  checked out into a temporary worktree and run under the first server of ``--servers``, so a
  change's cost per request is read against the code before it, in the same run.

wrk (``-t1 -c64``) and the backend run on core 1. Each server gets a 2 s warm-up, then 8 s
measured. Prints RPS, p50, p99, CPU per request of the server under test, and the ratio to nginx.

Then the latency a gateway adds at half its maximum load (issue 26, goal: added p99 < 3 ms): the
first gateway's RPS above is its maximum; the nginx proxy and each gateway are driven at half that
rate by a fixed-rate generator on core 1 (Debian's wrk has no ``-R``; this is a Python open-loop
client in the manner of wrk2: requests are due on a fixed schedule whatever the answers, sent on
64 kept-alive connections, and one that waits for a free connection is timed from when it was
due, so a slow server cannot slow the load down and hide its own delay). The event loop's timer
has a 1 ms resolution, so the requests due in each millisecond go together; nginx gets the same
pattern. Times are read with ``time.perf_counter`` (uvloop's ``loop.time`` moves in whole
milliseconds). The gateway's added p50 and p99 are its figures minus nginx's.

Last, the chain's instructions and CPU microseconds per request from ``bench_chain_instructions.py``
(in-process, callgrind) beside nginx's CPU per request measured above, and the goal (40 us).

    uv run python benchmarks/bench_gateway.py [--rounds N] [--duration S] [--connections C]
        [--servers uvicorn,granian] [--baseline REV|none] [--latency-seconds S] [--chain-requests N]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from httptools import HttpResponseParser

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

_NOWHERE = "http://127.0.0.1:9"  # the discard port: nothing answers there
ONE_KIB = '{"data": "' + "x" * (1024 - 12) + '"}'


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_for_port(port: int, timeout: float = 60.0) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}")


def ensure_tools() -> None:
    missing = [tool for tool in ("wrk", "nginx", "taskset") if shutil.which(tool) is None]
    if missing and shutil.which("apt-get") and os.geteuid() == 0:
        subprocess.run(["apt-get", "update", "-qq"], check=False)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk", "nginx"], check=True)
        missing = [tool for tool in ("wrk", "nginx", "taskset") if shutil.which(tool) is None]
    if missing:
        raise SystemExit(f"bench needs {', '.join(missing)} (Debian: apt-get install -y wrk nginx)")


def nginx(workdir: Path, name: str, core: int, server_block: str) -> subprocess.Popen[bytes]:
    directory = workdir / name
    directory.mkdir()
    user = "user root;\n" if os.geteuid() == 0 else ""
    conf = directory / "nginx.conf"
    conf.write_text(
        f"""{user}worker_processes 1;
daemon off;
master_process off;
pid {directory}/nginx.pid;
error_log {directory}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {directory};
    proxy_temp_path {directory};
    fastcgi_temp_path {directory};
    uwsgi_temp_path {directory};
    scgi_temp_path {directory};
    keepalive_requests 1000000;
    {server_block}
}}
"""
    )
    return subprocess.Popen(
        ["taskset", "-c", str(core), "nginx", "-c", str(conf), "-p", str(directory)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def backend_block(port: int) -> str:
    body = ONE_KIB.replace("'", "\\'")
    return f"""server {{
        listen 127.0.0.1:{port};
        location / {{ default_type application/json; return 200 '{body}'; }}
    }}"""


def proxy_block(port: int, backend: int) -> str:
    return f"""upstream backend {{ server 127.0.0.1:{backend}; keepalive 128; }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://backend;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }}
    }}"""


def cpu_seconds(pid: int) -> float:
    """User + system time of ``pid`` and its live descendants (granian serves in a child)."""
    total = 0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])
        for task in Path(f"/proc/{current}/task").iterdir():
            pending += [int(child) for child in (task / "children").read_text().split()]
    return total / os.sysconf("SC_CLK_TCK")


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    m = re.match(r"([\d.]+)(us|ms|s)", text)
    assert m is not None, text
    return float(m.group(1)) * _UNITS[m.group(2)]


def wrk(url: str, seconds: int, connections: int, script: Path | None) -> dict[str, float]:
    command = ["taskset", "-c", "1", "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency"]
    if script is not None:
        command += ["-s", str(script)]
    out = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"^\s*50%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"^\s*99%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    total = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    return {
        "rps": rps,
        "p50": p50,
        "p99": p99,
        "non2xx": float(non2xx.group(1)) if non2xx else 0.0,
        "n": total,
    }


def measure(
    url: str, pid: int, warmup: int, seconds: int, connections: int, script: Path | None
) -> dict[str, float]:
    wrk(url, warmup, connections, script)
    before = cpu_seconds(pid)
    result = wrk(url, seconds, connections, script)
    result["cpu_us"] = (cpu_seconds(pid) - before) / max(result["n"], 1) * 1e6
    return result


# -- the fixed-rate load (latency at a given load) ----------------------------------------------------


class _FixedRateConnection(asyncio.Protocol):
    """One kept-alive connection of the generator: one request at a time, timed from ``due``."""

    def __init__(self, load: _FixedRate) -> None:
        self.load = load
        self.parser = HttpResponseParser(self)
        self.transport: Any = None
        self.due = 0.0

    # asyncio.Protocol
    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.parser.feed_data(data)

    def connection_lost(self, exc: Exception | None) -> None:
        self.load.lost += 1
        self.load.finished.set()  # the answers still due will not come

    # httptools
    def on_message_complete(self) -> None:
        self.load.answered(self, self.parser.get_status_code())


class _FixedRate:
    """Sends ``rate`` requests a second for ``seconds``, whatever the answers (open loop)."""

    def __init__(self, request: bytes, rate: float, seconds: float) -> None:
        import collections

        self.request = request
        self.rate = rate
        self.total = int(rate * seconds)
        self.idle: collections.deque[_FixedRateConnection] = collections.deque()
        self.waiting: collections.deque[float] = collections.deque()  # due times without a connection
        self.latencies: list[float] = []
        self.errors = 0
        self.statuses: dict[int, int] = {}  # the answers other than 200, by status
        self.lost = 0
        self.loop: Any = None
        self.finished = asyncio.Event()

    def send(self, conn: _FixedRateConnection, due: float) -> None:
        conn.due = due
        conn.transport.write(self.request)

    def answered(self, conn: _FixedRateConnection, status: int) -> None:
        self.latencies.append(time.perf_counter() - conn.due)
        if len(self.latencies) >= self.total:
            self.finished.set()
        if status != 200:
            self.errors += 1
            self.statuses[status] = self.statuses.get(status, 0) + 1
        if self.waiting:
            self.send(conn, self.waiting.popleft())
        else:
            self.idle.append(conn)

    async def run(self, host: str, port: int, connections: int) -> dict[str, Any]:
        loop = self.loop = asyncio.get_running_loop()
        for _ in range(connections):
            _, conn = await loop.create_connection(lambda: _FixedRateConnection(self), host, port)
            self.idle.append(conn)
        start = time.perf_counter() + 0.01
        sent = 0
        while sent < self.total:
            now = time.perf_counter()
            due_now = min(self.total, int((now - start) * self.rate) + 1)
            while sent < due_now:
                if self.idle:
                    # Late only by the generator's own timer: timed from now.
                    self.send(self.idle.pop(), now)
                else:  # every connection busy: the server's delay, timed from when it was due
                    self.waiting.append(start + sent / self.rate)
                sent += 1
            await asyncio.sleep(0.0005)
        if len(self.latencies) < self.total:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.finished.wait(), 30)
        elapsed = time.perf_counter() - start
        latencies = sorted(self.latencies)
        answered = len(latencies)

        def quantile(q: float) -> float:
            return latencies[min(int(q * answered), answered - 1)] * 1000 if answered else float("nan")

        return {
            "rate": answered / elapsed,
            "p50": quantile(0.50),
            "p99": quantile(0.99),
            "errors": float(self.errors + self.total - answered),
            # What the errors were: answers by status, requests never answered, connections closed.
            "unanswered": float(self.total - answered),
            "lost": float(self.lost),
            "statuses": " ".join(f"{status}x{count}" for status, count in sorted(self.statuses.items())),
        }


def fixed_rate_client(args: list[str]) -> None:
    """In its own process on core 1: ``host port path rate seconds connections [header...]``."""
    host, port, path, rate, seconds, connections, *headers = args
    head = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}", *headers]
    request = ("\r\n".join(head) + "\r\n\r\n").encode()
    load = _FixedRate(request, float(rate), float(seconds))
    try:
        import uvloop

        runner: Any = uvloop.run
    except ImportError:
        runner = asyncio.run
    print(json.dumps(runner(load.run(host, int(port), int(connections)))))


def fixed_rate(url: str, rate: float, seconds: float, connections: int, headers: list[str]) -> dict[str, Any]:
    """Latency at ``rate`` requests a second, from a generator pinned to core 1."""
    match = re.match(r"http://([^:/]+):(\d+)(/.*)", url)
    assert match is not None, url
    host, port, path = match.groups()
    command = [
        "taskset", "-c", "1", sys.executable, str(Path(__file__).resolve()), "--fixed-rate-client",
        host, port, path, f"{rate:.1f}", str(seconds), str(connections), *headers,
    ]  # fmt: skip
    out = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


# -- the gateway under test ---------------------------------------------------------------------------


def bench_snapshot(backend_port: int, public_pem: str, issuer: str) -> dict[str, Any]:
    limit = {
        "type": "REQUESTCOUNTLIMIT",
        "requestCount": {"timeUnit": "min", "unitTime": 1, "requestCount": 10**9},
    }
    return {
        "publisher": {
            "environment": "Default",
            "gatewayPolicies": [],
            "artifacts": [
                {
                    "id": "api-bench",
                    "name": "Bench",
                    "context": "/bench",
                    "version": "1.0.0",
                    "isDefaultVersion": True,
                    "lifeCycleStatus": "PUBLISHED",
                    "tenant": "carbon.super",
                    "revisionId": "rev-1",
                    "environment": "Default",
                    "vhost": "localhost",
                    "securityScheme": ["oauth2"],
                    "policies": ["Bench"],
                    "endpointConfig": {
                        "endpoint_type": "http",
                        "production_endpoints": {"url": f"http://127.0.0.1:{backend_port}"},
                    },
                    "apiPolicies": {
                        "request": [
                            {
                                "policyName": "addHeader",
                                "policyVersion": "v1",
                                "parameters": {"headerName": "X-Bench", "headerValue": "1"},
                            }
                        ],
                        "response": [],
                        "fault": [],
                    },
                    "operations": [{"verb": "GET", "target": "/json", "authType": "Any"}],
                }
            ],
        },
        "devportal": {
            "applications": [
                {"applicationId": "app-1", "name": "BenchApp", "owner": "bench", "throttlingPolicy": "None"}
            ],
            "subscriptions": [
                {
                    "subscriptionId": "s-1",
                    "applicationId": "app-1",
                    "apiId": "api-bench",
                    "throttlingPolicy": "Bench",
                }
            ],
            "keyMappings": [
                {
                    "applicationId": "app-1",
                    "keyType": "PRODUCTION",
                    "keyManager": "Resident Key Manager",
                    "consumerKey": "bench",
                }
            ],
        },
        "admin": {
            "throttlePolicies": {
                "subscription": [{"policyName": "Bench", "defaultLimit": limit, "stopOnQuotaReach": True}],
                "application": [],
                "advanced": [],
                "custom": [],
            },
            "denyPolicies": [],
            "keyManagers": [
                {
                    "id": "km-1",
                    "name": "Resident Key Manager",
                    "issuer": issuer,
                    "certificates": {"type": "PEM", "value": public_pem},
                }
            ],
        },
    }


def baseline_tree(revision: str, workdir: Path) -> Path | None:
    """A worktree of ``revision``, or None when there is no such revision (a shallow clone, say)."""
    if revision == "none":
        return None
    tree = workdir / "baseline"
    done = subprocess.run(
        ["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(tree), revision],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        print(f"no baseline: git worktree add {revision} failed: {done.stderr.strip()}")
        return None
    return tree


def start_gateway(
    server: str, port: int, snapshot: Path, source: Path | None = None
) -> subprocess.Popen[bytes]:
    """``python -m apim_gateway`` on core 0, serving a synthetic model loaded as its cached snapshot.

    With ``source`` (a checkout of another revision), its gateway and apim_common come first on
    the path, ahead of the workspace's own editable installs.
    """
    paths = {}
    if source is not None:
        paths["PYTHONPATH"] = os.pathsep.join(
            str(source / part) for part in ("services/gateway", "libs/apim_common")
        )
    env = {
        **os.environ,
        **paths,
        "APIM_MODE": "development",
        "APIM_PORT": str(port),
        "APIM_GATEWAY_SERVER": server,
        "APIM_GATEWAY_SNAPSHOT_CACHE": str(snapshot),
        "APIM_GATEWAY_SNAPSHOT_WAIT": "0",
        "APIM_GATEWAY_SNAPSHOT_RETRY": "3600",
        "APIM_LOG_JSON": "false",
        "APIM_LOG_LEVEL": "WARNING",
        "OTEL_SDK_DISABLED": "true",
        # No control plane: whatever answers on the default port must not replace the model.
        **{f"APIM_{part}_URL": _NOWHERE for part in ("PUBLISHER", "DEVPORTAL", "ADMIN", "KEY_MANAGER")},
    }
    return subprocess.Popen(["taskset", "-c", "0", sys.executable, "-m", "apim_gateway"], env=env)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--duration", type=int, default=8)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument(
        "--servers", default="uvicorn,granian", help="ASGI servers to run the gateway under, comma-separated"
    )
    parser.add_argument(
        "--baseline", default="HEAD~1", help="a git revision whose gateway runs beside this one, or 'none'"
    )
    parser.add_argument(
        "--latency-seconds",
        type=float,
        default=8.0,
        help="seconds of fixed-rate load at half the gateway's maximum for the added latency; 0 skips",
    )
    parser.add_argument(
        "--chain-requests",
        type=int,
        default=200,
        help="requests bench_chain_instructions counts for the chain's instructions; 0 skips",
    )
    if sys.argv[1:2] == ["--fixed-rate-client"]:
        fixed_rate_client(sys.argv[2:])
        return
    args = parser.parse_args()
    ensure_tools()
    from cryptography.hazmat.primitives import serialization

    from tests.support.tokens import TokenFactory

    factory = TokenFactory()
    token = factory.mint("bench", client_id="bench", expires_in=24 * 3600)
    public_pem = (
        factory.key.get_op_key("verify")
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    workdir = Path(tempfile.mkdtemp(prefix="apim-bench-"))
    processes: list[subprocess.Popen[bytes]] = []
    try:
        backend_port, direct_port, proxy_port = (free_port() for _ in range(3))
        processes.append(nginx(workdir, "backend", 1, backend_block(backend_port)))
        direct = nginx(workdir, "direct", 0, backend_block(direct_port))
        proxy = nginx(workdir, "proxy", 0, proxy_block(proxy_port, backend_port))
        processes += [direct, proxy]
        snapshot = workdir / "snapshot.json"
        snapshot.write_text(json.dumps(bench_snapshot(backend_port, public_pem, factory.issuer)))
        gateways: list[tuple[str, int, subprocess.Popen[bytes]]] = []
        for server in args.servers.split(","):
            port = free_port()
            gateway = start_gateway(server, port, snapshot)
            processes.append(gateway)
            gateways.append((server, port, gateway))
        baseline = baseline_tree(args.baseline, workdir)
        if baseline is not None:
            server = args.servers.split(",")[0]
            port = free_port()
            gateway = start_gateway(server, port, snapshot, source=baseline)
            processes.append(gateway)
            gateways.append((f"{server} @{args.baseline}", port, gateway))
        for port in (backend_port, direct_port, proxy_port, *(port for _, port, _ in gateways)):
            wait_for_port(port)
        script = workdir / "auth.lua"
        script.write_text(f'wrk.headers["Authorization"] = "Bearer {token}"\n')
        targets = [
            ("backend hit directly", f"http://127.0.0.1:{direct_port}/json", direct.pid, None),
            ("nginx reverse proxy", f"http://127.0.0.1:{proxy_port}/json", proxy.pid, None),
            *(
                (f"gateway, {server}", f"http://127.0.0.1:{port}/bench/1.0.0/json", gateway.pid, script)
                for server, port, gateway in gateways
            ),
        ]
        results: dict[str, list[dict[str, float]]] = {name: [] for name, *_ in targets}
        for _ in range(args.rounds):
            for name, url, pid, lua in targets:
                results[name].append(measure(url, pid, args.warmup, args.duration, args.connections, lua))
        report(results, args)
        if args.latency_seconds > 0:
            first = f"gateway, {args.servers.split(',')[0]}"
            rate = _median(results[first], "rps") / 2
            auth = [f"Authorization: Bearer {token}"]
            loaded = [(name, url, auth if lua else []) for name, url, _, lua in targets[1:]]
            latencies: dict[str, dict[str, Any]] = {}
            for name, url, headers in loaded:
                fixed_rate(url, rate, 1.0, args.connections, headers)  # warm-up at the same rate
                latencies[name] = fixed_rate(url, rate, args.latency_seconds, args.connections, headers)
            report_latency(latencies, rate, first, args)
        if args.chain_requests > 0:
            report_chain(args.chain_requests, _median(results["nginx reverse proxy"], "cpu_us"))
    finally:
        for process in reversed(processes):
            process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        if (workdir / "baseline").exists():
            subprocess.run(
                ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(workdir / "baseline")],
                check=False,
            )
        shutil.rmtree(workdir, ignore_errors=True)


def _median(rows: list[dict[str, float]], key: str) -> float:
    values = sorted(row[key] for row in rows)
    return values[len(values) // 2]


def report(results: dict[str, list[dict[str, float]]], args: argparse.Namespace) -> None:
    nginx_rps = _median(results["nginx reverse proxy"], "rps")
    print(
        f"\nserver under test on core 0; wrk -t1 -c{args.connections} and the nginx backend"
        f" (1 KiB JSON) on core 1; {args.warmup} s warm-up, {args.duration} s measured,"
        f" median of {args.rounds}"
    )
    print(
        f"{'server on core 0':<24}{'RPS':>10}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'CPU us/req':>12}{'non-2xx':>9}{'/ nginx':>9}"
    )
    for name, rows in results.items():
        rps = _median(rows, "rps")
        print(
            f"{name:<24}{rps:>10,.0f}{_median(rows, 'p50'):>9.2f}{_median(rows, 'p99'):>9.2f}"
            f"{_median(rows, 'cpu_us'):>12.0f}{_median(rows, 'non2xx'):>9.0f}{rps / nginx_rps:>9.2f}"
        )
    for name, rows in results.items():
        if name.startswith("gateway"):
            ratio = _median(rows, "rps") / nginx_rps
            print(f"{name} / nginx reverse proxy: {ratio:.2f}x (goal: 0.35x)")
    baselines = [name for name in results if "@" in name]
    for name in baselines:
        current = name.split(" @")[0]
        if current in results:
            delta = _median(results[current], "cpu_us") - _median(results[name], "cpu_us")
            print(f"{current}: CPU per request {delta:+.1f} us against {name.split('@')[1]}")


def report_latency(
    latencies: dict[str, dict[str, Any]], rate: float, first: str, args: argparse.Namespace
) -> None:
    print(
        f"\nlatency at half of {first}'s maximum: {rate:,.0f} requests/s, fixed rate (open loop,"
        f" Python generator on core 1, {args.connections} connections), {args.latency_seconds:g} s"
        " after a 1 s warm-up"
    )
    print(f"{'server on core 0':<24}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}")
    for name, row in latencies.items():
        errors = f"{row['errors']:>8.0f}"
        if row["errors"]:
            errors += (
                f"  ({row.get('statuses') or 'no other status'}; {row.get('unanswered', 0):.0f} unanswered,"
                f" {row.get('lost', 0):.0f} connections closed)"
            )
        print(f"{name:<24}{row['rate']:>10,.0f}{row['p50']:>9.2f}{row['p99']:>9.2f}{errors}")
    reference = latencies["nginx reverse proxy"]
    for name, row in latencies.items():
        if name.startswith("gateway"):
            added_p50 = row["p50"] - reference["p50"]
            added_p99 = row["p99"] - reference["p99"]
            verdict = "met" if added_p99 < 3 else f"missed by {added_p99 - 3:.2f} ms"
            print(
                f"{name}: added p50 {added_p50:+.2f} ms, added p99 {added_p99:+.2f} ms"
                f" over nginx at the same load (goal: added p99 < 3 ms, {verdict})"
            )


def report_chain(requests: int, nginx_cpu_us: float) -> None:
    """The chain counted in-process (``bench_chain_instructions.py``) beside nginx's CPU above."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from bench_chain_instructions import cpu_us, instructions  # type: ignore[import-not-found,unused-ignore]

    out = Path(tempfile.mkdtemp(prefix="bench-chain-")) / "callgrind.out"
    try:
        counted = instructions(ROOT, requests, True, out)
        cpu = cpu_us(ROOT, 1000, 3, True)
    except (subprocess.CalledProcessError, FileNotFoundError, SystemExit) as exc:
        print(f"\nthe chain's instructions were not counted: {exc}")
        return
    finally:
        shutil.rmtree(out.parent, ignore_errors=True)
    print(
        f"\ngateway chain in-process (bench_chain_instructions, analytics on): {counted:,.0f}"
        f" instructions/request, {cpu:.1f} us CPU/request (best of 3 rounds of 1,000);"
        f" nginx reverse proxy above: {nginx_cpu_us:.0f} us CPU/request"
    )
    verdict = "met" if cpu <= 40 else f"missed by {cpu - 40:.1f} us"
    print(f"goal: the chain at <= 40 us CPU/request, about half of 390,444 instructions ({verdict})")


if __name__ == "__main__":
    main()
