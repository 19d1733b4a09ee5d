"""A tiny SOAP service for the SOAP-to-REST tests, on the stdlib alone: it serves its WSDL at
``GET /calc?wsdl`` and answers ``Add``, ``Divide`` (a fault when dividing by zero) and ``Ping``
(no input fields), in SOAP 1.1 or 1.2 as asked. Every request it takes is kept (headers and body)
for the tests to look at."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.etree import ElementTree

NS = "http://example.com/calc"
SOAP11 = "http://schemas.xmlsoap.org/soap/envelope/"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
# Add with this ``a`` answers plain text, as a broken backend would.
NOT_XML_TRIGGER = 666

_BINDING = """
  <binding name="CalcSoap{suffix}" type="tns:CalcPortType">
    <{p}:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>
    <operation name="Add"><{p}:operation soapAction="http://example.com/calc/Add"/>
      <input><{p}:body use="literal"/></input><output><{p}:body use="literal"/></output></operation>
    <operation name="Divide"><{p}:operation soapAction="http://example.com/calc/Divide"/>
      <input><{p}:body use="literal"/></input><output><{p}:body use="literal"/></output></operation>
    <operation name="Ping"><{p}:operation soapAction="http://example.com/calc/Ping"/>
      <input><{p}:body use="literal"/></input><output><{p}:body use="literal"/></output></operation>
  </binding>"""
_PORT = (
    '<port name="CalcSoap{suffix}" binding="tns:CalcSoap{suffix}"><{p}:address location="{address}"/></port>'
)


def calc_wsdl(address: str, versions: tuple[str, ...] = ("1.1", "1.2")) -> bytes:
    """The calculator's WSDL (document/literal) with a binding per SOAP version in ``versions``."""
    prefixes = {"1.1": ("soap", ""), "1.2": ("soap12", "12")}
    bindings = "".join(_BINDING.format(p=prefixes[v][0], suffix=prefixes[v][1]) for v in versions)
    ports = "".join(_PORT.format(p=prefixes[v][0], suffix=prefixes[v][1], address=address) for v in versions)
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="http://schemas.xmlsoap.org/wsdl/"
  xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" xmlns:soap12="http://schemas.xmlsoap.org/wsdl/soap12/"
  xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:tns="{NS}" targetNamespace="{NS}" name="Calc">
  <types>
    <xs:schema targetNamespace="{NS}" elementFormDefault="qualified">
      <xs:element name="Add"><xs:complexType><xs:sequence>
        <xs:element name="a" type="xs:int"/><xs:element name="b" type="xs:int"/>
      </xs:sequence></xs:complexType></xs:element>
      <xs:element name="AddResponse"><xs:complexType><xs:sequence>
        <xs:element name="result" type="xs:int"/>
        <xs:element name="step" type="xs:string" minOccurs="0" maxOccurs="unbounded"/>
      </xs:sequence></xs:complexType></xs:element>
      <xs:element name="Divide"><xs:complexType><xs:sequence>
        <xs:element name="a" type="xs:double"/><xs:element name="b" type="xs:double"/>
      </xs:sequence></xs:complexType></xs:element>
      <xs:element name="DivideResponse"><xs:complexType><xs:sequence>
        <xs:element name="result" type="xs:double"/>
      </xs:sequence></xs:complexType></xs:element>
      <xs:element name="Ping"><xs:complexType><xs:sequence/></xs:complexType></xs:element>
      <xs:element name="PingResponse"><xs:complexType><xs:sequence>
        <xs:element name="status" type="xs:string"/>
      </xs:sequence></xs:complexType></xs:element>
    </xs:schema>
  </types>
  <message name="AddIn"><part name="parameters" element="tns:Add"/></message>
  <message name="AddOut"><part name="parameters" element="tns:AddResponse"/></message>
  <message name="DivideIn"><part name="parameters" element="tns:Divide"/></message>
  <message name="DivideOut"><part name="parameters" element="tns:DivideResponse"/></message>
  <message name="PingIn"><part name="parameters" element="tns:Ping"/></message>
  <message name="PingOut"><part name="parameters" element="tns:PingResponse"/></message>
  <portType name="CalcPortType">
    <operation name="Add"><input message="tns:AddIn"/><output message="tns:AddOut"/></operation>
    <operation name="Divide"><input message="tns:DivideIn"/><output message="tns:DivideOut"/></operation>
    <operation name="Ping"><input message="tns:PingIn"/><output message="tns:PingOut"/></operation>
  </portType>{bindings}
  <service name="CalcService">{ports}</service>
</definitions>
""".encode()


@dataclass
class Seen:
    headers: dict[str, str]
    body: bytes


@dataclass
class SoapService:
    port: int
    requests: list[Seen] = field(default_factory=list)

    @property
    def address(self) -> str:
        return f"http://127.0.0.1:{self.port}/calc"


def _envelope(namespace: str, content: str) -> bytes:
    return (
        f'<?xml version="1.0"?><env:Envelope xmlns:env="{namespace}">'
        f"<env:Body>{content}</env:Body></env:Envelope>"
    ).encode()


def _fault(namespace: str, text: str) -> bytes:
    if namespace == SOAP12:
        fault = (
            "<env:Fault><env:Code><env:Value>env:Sender</env:Value></env:Code>"
            f'<env:Reason><env:Text xml:lang="en">{text}</env:Text></env:Reason></env:Fault>'
        )
    else:
        fault = f"<env:Fault><faultcode>env:Client</faultcode><faultstring>{text}</faultstring></env:Fault>"
    return _envelope(namespace, fault)


def _answer(body: bytes) -> tuple[int, str, bytes]:
    root = ElementTree.fromstring(body)
    namespace = root.tag[1:].partition("}")[0]
    media = "application/soap+xml" if namespace == SOAP12 else "text/xml"
    call = root[0][0]
    name = call.tag.rpartition("}")[2]
    values = {child.tag.rpartition("}")[2]: child.text or "" for child in call}
    if name == "Add":
        a, b = int(values["a"]), int(values["b"])
        if a == NOT_XML_TRIGGER:
            return 200, "text/plain", b"the calculator is out of order"
        content = (
            f'<c:AddResponse xmlns:c="{NS}"><c:result>{a + b}</c:result>'
            f"<c:step>took {a}</c:step><c:step>added {b}</c:step></c:AddResponse>"
        )
        return 200, media, _envelope(namespace, content)
    if name == "Divide":
        a_f, b_f = float(values["a"]), float(values["b"])
        if b_f == 0:
            return 500, media, _fault(namespace, "Division by zero")
        content = f'<c:DivideResponse xmlns:c="{NS}"><c:result>{a_f / b_f}</c:result></c:DivideResponse>'
        return 200, media, _envelope(namespace, content)
    if name == "Ping":
        content = f'<c:PingResponse xmlns:c="{NS}"><c:status>ok</c:status></c:PingResponse>'
        return 200, media, _envelope(namespace, content)
    return 500, media, _fault(namespace, f"No operation {name}")


@contextmanager
def soap_service() -> Iterator[SoapService]:
    """The service on a free port, in a thread of its own, for as long as the block runs."""
    state = SoapService(port=0)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def _send(self, status: int, media: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", f"{media}; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self) -> None:
            if self.path.startswith("/calc?wsdl"):
                versions = ("1.2",) if "soap12" in self.path else ("1.1", "1.2")
                self._send(200, "text/xml", calc_wsdl(state.address, versions))
            else:
                self._send(404, "text/plain", b"not found")

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            state.requests.append(Seen({k.lower(): v for k, v in self.headers.items()}, body))
            try:
                status, media, answer = _answer(body)
            except (ElementTree.ParseError, IndexError, KeyError, ValueError) as exc:
                status, media, answer = 400, "text/plain", f"bad request: {exc}".encode()
            self._send(status, media, answer)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
