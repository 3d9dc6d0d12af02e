"""Who may connect: pinning, the allow-list callback, the expected key, the network name."""

from __future__ import annotations

import asyncio
import datetime
import ssl
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.x509.oid import NameOID

from govledger.net import channels
from govledger.net.identity import NodeIdentity

from .helpers import FAST, LOCALHOST, Node, config, connect_pair, identity, raw_client, run


def forged_context(tmp: Path, claimed: NodeIdentity, trusted: NodeIdentity, server: bool) -> ssl.SSLContext:
    """TLS context whose certificate names `claimed` (CN = its key id) over a different, fresh key."""
    key = Ed25519PrivateKey.generate()
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, claimed.key_id.hex())])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(claimed.certificate.serial_number)
        .not_valid_before(datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC))
        .not_valid_after(datetime.datetime(9999, 1, 1, tzinfo=datetime.UTC))
        .sign(key, None)
    )
    (tmp / "c.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp / "k.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER if server else ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_cert_chain(tmp / "c.pem", tmp / "k.pem")
    context.load_verify_locations(cadata=trusted.certificate_pem.decode())
    return context


def test_disallowed_key_is_rejected_in_both_directions() -> None:
    async def scenario() -> None:
        ia, ib, im = identity(80), identity(81), identity(82)
        # a pins m's certificate, so TLS succeeds and the allow-list is what says no
        a = await Node(ia, [ib, im], allowed={ib.key_id}.__contains__).start()
        m = await Node(im, [ia]).start()
        a.dial(m)  # configured, but not allowed: a's own check refuses the key m proves
        m.dial(a)  # m dials in: a refuses it
        await a.until(lambda: a.disconnects("not_allowed") >= 4)  # repeated attempts, both directions
        await m.until(lambda: m.disconnects("refused") >= 2)
        assert not a.pm.connected() and not m.pm.connected()
        assert a.events == [] and m.events == []
        await a.pm.stop()
        await m.pm.stop()

    run(scenario())


def test_unpinned_certificate_fails_the_tls_handshake_both_ways() -> None:
    async def scenario() -> None:
        ia, ix = identity(83), identity(84)
        a = await Node(ia, [], allowed=lambda _: True).start()  # allows anyone, pins no one
        x = await Node(ix, [ia]).start()
        x.dial(a)
        a.dial(x)
        await a.until(lambda: a.disconnects("tls_failed") >= 2)
        await x.until(lambda: x.disconnects("tls_failed") + x.disconnects("refused") >= 2)
        assert not a.pm.connected() and not x.pm.connected()
        await a.pm.stop()
        await x.pm.stop()

    run(scenario())


def test_certificate_for_another_key_under_a_pinned_name_is_rejected(tmp_path: Path) -> None:
    async def scenario() -> None:
        ia, ib = identity(85), identity(86)
        a = await Node(ia, [ib]).start()
        # An impostor listens where a expects b, with a certificate naming b (CN, serial) over its own key.
        (tmp_path / "srv").mkdir()
        server_ctx = forged_context(tmp_path / "srv", ib, ia, server=True)
        handshakes: list[str] = []

        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            try:
                await writer.start_tls(server_ctx)
                handshakes.append("ok")
            except (OSError, ssl.SSLError) as exc:
                handshakes.append(repr(exc))
            finally:
                writer.transport.abort()

        impostor = await asyncio.start_server(serve, LOCALHOST, 0)
        port = impostor.sockets[0].getsockname()[1]
        a.pm.set_peers({ib.key_id: (LOCALHOST, port)})
        await a.until(lambda: a.disconnects("tls_failed") >= 2)
        assert not a.pm.connected() and "ok" not in handshakes

        # ... and the impostor dialing in with that certificate fails too.
        (tmp_path / "cli").mkdir()
        client_ctx = forged_context(tmp_path / "cli", ib, ia, server=False)
        before = a.disconnects("tls_failed")
        _reader, writer = await asyncio.open_connection(*a.addr, ssl=client_ctx)
        await a.until(lambda: a.disconnects("tls_failed") > before)
        assert not a.pm.connected() and a.events == []
        writer.transport.abort()
        await a.pm.stop()  # no more dials to the impostor
        impostor.close()
        await asyncio.sleep(0)  # a `serve` accepted just before close runs its first step and aborts

    run(scenario())


def test_pinned_allowed_peer_at_the_wrong_address_is_not_taken_for_another() -> None:
    async def scenario() -> None:
        ia, ib, ic = identity(87), identity(88), identity(89)
        a = await Node(ia, [ib, ic]).start()
        c = await Node(ic, [ia]).start()
        # a believes b lives at c's address; c is genuine and allowed, but it is not b
        a.pm.set_peers({ib.key_id: c.addr})
        await a.until(lambda: a.disconnects("unexpected_peer") >= 2)
        assert not a.pm.connected() and not c.pm.connected()
        assert c.disconnects("refused") >= 1
        await a.pm.stop()
        await c.pm.stop()

    run(scenario())


def test_different_network_name_fails_hello() -> None:
    async def scenario() -> None:
        ia, ib = identity(90), identity(91)
        a = await Node(ia, [ib]).start()
        b = await Node(ib, [ia], cfg=config(network="other-net")).start()
        b.dial(a)
        await a.until(lambda: a.disconnects("hello_failed") >= 1)
        await b.until(lambda: b.disconnects("hello_failed") >= 1)
        assert not a.pm.connected() and not b.pm.connected()
        await a.pm.stop()
        await b.pm.stop()

    run(scenario())


def test_revoking_a_peer_closes_it_and_keeps_it_out() -> None:
    async def scenario() -> None:
        ia, ib = identity(92), identity(93)
        allowed = {ib.key_id}
        a = await Node(ia, [ib], allowed=allowed.__contains__).start()
        b = await Node(ib, [ia]).start()
        await connect_pair(a, b)
        b.dial(a)  # b keeps trying once revoked
        assert a.pm.send(b.id, channels.EVIDENCE, b"still trusted")
        await b.frames_until(lambda: len(b.frames[(a.id, channels.EVIDENCE)]) == 1)

        allowed.clear()  # governance removed b from the validator set
        a.pm.refresh_allowed()
        assert a.events[-1] == ("down", b.id, "not_allowed")
        before = a.disconnects("not_allowed")
        await a.until(lambda: a.disconnects("not_allowed") >= before + 2)  # b's redials are refused
        assert b.id not in a.pm.connected()
        await a.pm.stop()
        await b.pm.stop()

    run(scenario())


def test_self_connection_is_refused() -> None:
    async def scenario() -> None:
        ia, ib = identity(94), identity(95)
        a = await Node(ia, [ia, ib], cfg=FAST).start()
        a.pm.set_peers({ib.key_id: a.addr})  # a misconfigured address pointing at ourselves
        await a.until(lambda: a.disconnects("unexpected_peer") + a.disconnects("self") >= 2)
        assert not a.pm.connected()
        await a.pm.stop()

    run(scenario())


def test_tls_is_1_3_without_session_tickets() -> None:
    async def scenario() -> None:
        ia, ic = identity(96), identity(97)
        a = await Node(ia, [ic], cfg=config(ping_interval_s=0.05, idle_timeout_s=1.0)).start()
        reader, writer = await raw_client(ic, [ia.certificate_pem], a.addr)
        await reader.readexactly(6)  # a PING: any ticket the server sent would have arrived before it
        ssl_object = writer.get_extra_info("ssl_object")
        assert ssl_object.version() == "TLSv1.3"
        assert ssl_object.session is not None and not ssl_object.session.has_ticket
        assert not ssl_object.session_reused
        writer.transport.abort()
        await a.pm.stop()

    run(scenario())
