"""The standalone runner's own listening sockets: connections it accepts do not wait on Nagle."""

import asyncio
import socket

from apim_standalone.__main__ import _bind


async def test_connections_accepted_on_the_standalone_ports_send_without_nagle_delay() -> None:
    listener = _bind("127.0.0.1", 0)
    accepted: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        accepted.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
        writer.close()

    server = await asyncio.start_server(on_connect, sock=listener)
    try:
        _, writer = await asyncio.open_connection(*listener.getsockname()[:2])
        # Nagle's algorithm holds a response's second write until the client ACKs the first,
        # which a keep-alive client delays by 40 ms.
        assert await asyncio.wait_for(accepted, 5) != 0
        writer.close()
    finally:
        server.close()
        await server.wait_closed()
