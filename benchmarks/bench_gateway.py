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

    uv run python benchmarks/bench_gateway.py [--rounds N] [--duration S] [--connections C]
        [--servers uvicorn,granian] [--baseline REV|none]
"""

from __future__ import annotations

import argparse
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


if __name__ == "__main__":
    main()
