"""QR codes that lead a phone to a document's verification.

Two payloads, both plain strings a QR code carries:
- `action_url(uri, ...)`: OpenAttestation's universal action link
  (`https://action.openattestation.com/?q=<JSON>`), which TradeTrust and OpenAttestation viewers open:
  `{"type": "DOCUMENT", "payload": {"uri": ..., "permittedActions": ["VIEW"], "redirect": ...}}`,
  percent-encoded as JavaScript's `encodeURIComponent` does.
- `hash_uri(store, target_hash, merkle_root)`: `govledger:documents?...`, enough for a verifier app
  holding the document (or a printed copy) to ask the ledger for its status, with no web server.

`qr_png` / `qr_svg` render a payload with segno (error correction M: survives a crease or a stamp).
"""

from __future__ import annotations

import io
import json
import urllib.parse

import segno

ACTION_BASE = "https://action.openattestation.com/"
MAX_PAYLOAD_CHARS = 2000  # a version-40 QR code at level M holds 2,331 bytes


def _encode_uri_component(text: str) -> str:
    return urllib.parse.quote(text, safe="-_.!~*'()")


def action_url(uri: str, *, redirect: str = "https://tradetrust.io/", key: str = "") -> str:
    payload: dict[str, object] = {"uri": uri, "permittedActions": ["VIEW"], "redirect": redirect}
    if key:
        payload["key"] = key  # the decryption key of an encrypted document at `uri`
    q = json.dumps({"type": "DOCUMENT", "payload": payload}, separators=(",", ":"), ensure_ascii=False)
    return ACTION_BASE + "?q=" + _encode_uri_component(q)


def hash_uri(store: str, target_hash: str, merkle_root: str) -> str:
    query = urllib.parse.urlencode({"store": store, "target": target_hash, "root": merkle_root})
    return "govledger:documents?" + query


def _qr(payload: str) -> segno.QRCode:
    if not payload or len(payload) > MAX_PAYLOAD_CHARS:
        raise ValueError(f"a QR payload is 1..{MAX_PAYLOAD_CHARS} characters")
    return segno.make(payload, error="m", micro=False)


def qr_png(payload: str, *, scale: int = 4) -> bytes:
    buf = io.BytesIO()
    _qr(payload).save(buf, kind="png", scale=scale)
    return buf.getvalue()


def qr_svg(payload: str, *, scale: int = 4) -> bytes:
    buf = io.BytesIO()
    _qr(payload).save(buf, kind="svg", scale=scale)
    return buf.getvalue()
