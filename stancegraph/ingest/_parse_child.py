"""The child process of ``safeparse``: parses uploads, one frame in, one frame out.

Run as ``python -I _parse_child.py SANDBOX_PY MAX_MEMORY_BYTES ALLOW_OUTBOUND``. Imports
only the standard library, pyoxigraph and the sandbox module (by path: the stancegraph
package, with its heavy imports, is never loaded here). Frames: ``>II`` (header length,
body length), a JSON header, the body.
"""

from __future__ import annotations

import importlib.util
import json
import struct
import sys
from typing import Any
from xml.parsers import expat

import pyoxigraph as ox

JSONLD_MAX_DEPTH = 256


class Refused(Exception):
    def __init__(self, code: str, message: str, details: dict[str, Any] | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details or {}


def check_xml_dtd(data: bytes) -> None:
    """Refuse an RDF/XML document with a DTD that could declare or load entities.

    expat reads only as far as the root element: after it no DTD can come. No entity is
    expanded here (expat reports the declaration before any use) or by the engine (the
    document is refused).
    """

    class _Root(Exception):
        pass

    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)

    def where() -> dict[str, int]:
        return {"line": parser.CurrentLineNumber, "column": parser.CurrentColumnNumber + 1}

    def doctype(name: str, sysid: str | None, pubid: str | None, internal: int) -> None:
        if internal or sysid or pubid:
            raise Refused(
                "rdf_dtd_refused",
                f"RDF/XML with a document type declaration (<!DOCTYPE {name} …>, "
                "internal subset or external DTD) is refused: entities are not expanded "
                f"(line {where()['line']})",
                where(),
            )

    def entity(name: str, *_args: Any) -> None:
        raise Refused(
            "rdf_dtd_refused",
            f"RDF/XML entity declarations are refused (<!ENTITY {name} …> at line "
            f"{where()['line']})",
            where(),
        )

    def root(*_args: Any) -> None:
        raise _Root

    parser.StartDoctypeDeclHandler = doctype
    parser.EntityDeclHandler = entity
    parser.StartElementHandler = root
    try:
        parser.Parse(data, True)
    except _Root:
        return
    except expat.ExpatError as exc:
        raise Refused(
            "rdf_syntax",
            f"cannot parse the RDF/XML body: {expat.errors.messages[exc.code]} "
            f"at line {exc.lineno}, column {exc.offset + 1}",
            {"line": exc.lineno, "column": exc.offset + 1},
        ) from None


def check_json_depth(data: bytes, limit: int = JSONLD_MAX_DEPTH) -> None:
    """Refuse JSON nested deeper than ``limit`` (arrays and objects, outside strings).

    A linear scan (~80 ms a MB), skipped when there are too few brackets to matter.
    """
    if data.count(b"[") + data.count(b"{") <= limit:
        return
    depth = 0
    in_string = escaped = False
    for offset, byte in enumerate(data):
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):
            depth += 1
            if depth > limit:
                raise Refused(
                    "rdf_too_deep",
                    f"JSON-LD nested deeper than {limit} levels (at byte {offset})",
                    {"max_depth": limit, "offset": offset},
                )
        elif byte in (0x5D, 0x7D):
            depth -= 1


def parse(header: dict[str, Any], data: bytes) -> bytes:
    fmt = ox.RdfFormat.from_media_type(header["media_type"])
    if fmt is None:
        raise Refused("unsupported_media_type", f"cannot parse {header['media_type']}")
    if fmt == ox.RdfFormat.RDF_XML:
        check_xml_dtd(data)
    elif fmt == ox.RdfFormat.JSON_LD:
        check_json_depth(data, int(header.get("jsonld_max_depth", JSONLD_MAX_DEPTH)))
    try:
        quads = list(ox.parse(data, format=fmt, base_iri=header.get("base_iri")))
    except (SyntaxError, ValueError) as exc:
        raise Refused("rdf_syntax", f"cannot parse the {fmt.media_type} body: {exc}") from None
    if header.get("default_graph"):
        graph = ox.NamedNode(header["default_graph"])
        quads = [
            ox.Quad(q.subject, q.predicate, q.object, graph)
            if isinstance(q.graph_name, ox.DefaultGraph)
            else q
            for q in quads
        ]
    return ox.serialize(quads, format=ox.RdfFormat.N_QUADS) or b""


def read_exact(stream: Any, n: int) -> bytes:
    chunks = []
    while n:
        chunk = stream.read(n)
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def send(out: Any, header: dict[str, Any], body: bytes = b"") -> None:
    head = json.dumps(header).encode()
    out.write(struct.pack(">II", len(head), len(body)) + head + body)
    out.flush()


def main() -> None:
    sandbox_path, max_memory, allow_outbound = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1"
    spec = importlib.util.spec_from_file_location("_sg_sandbox", sandbox_path)
    assert spec is not None and spec.loader is not None
    sandbox = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sandbox)
    network = "allowed by the operator"
    if not allow_outbound:
        try:
            sandbox.deny_network()
            network = "denied"
        except sandbox.SandboxUnavailable as exc:
            network = f"NOT denied: {exc}"
    try:
        sandbox.cap_memory(max_memory)
        memory = "capped"
    except (OSError, ValueError) as exc:  # no /proc or RLIMIT_AS (not Linux)
        memory = f"NOT capped: {exc}"
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    send(stdout, {"hello": True, "network": network, "memory": memory})
    while True:
        try:
            hlen, blen = struct.unpack(">II", read_exact(stdin, 8))
        except EOFError:
            return
        header = json.loads(read_exact(stdin, hlen))
        data = read_exact(stdin, blen)
        try:
            send(stdout, {"ok": True}, parse(header, data))
        except Refused as exc:
            send(
                stdout,
                {"ok": False, "code": exc.code, "message": exc.message, "details": exc.details},
            )
        except MemoryError:
            sys.stderr.write("MemoryError\n")
            sys.stderr.flush()
            raise SystemExit(3) from None


if __name__ == "__main__":
    sys.setrecursionlimit(10_000)
    main()
