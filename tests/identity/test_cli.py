"""The identity CLI group, in-process."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from govledger.identity import sdjwt, sdjwt_vc
from govledger.identity.cli import app
from govledger.identity.did import did_key
from govledger.identity.jose import JwsSigner
from govledger.identity.status_list import StatusBits, status_list_token

runner = CliRunner()


def test_new_key_resolve_verify_qr_status(tmp_path: Path) -> None:
    r = runner.invoke(app, ["new-key", "--alg", "EdDSA", "--out", str(tmp_path / "k.jwk")])
    assert r.exit_code == 0, r.output
    dids = json.loads(r.output)
    assert runner.invoke(app, ["resolve", dids["did_key"]]).exit_code == 0
    bad = runner.invoke(app, ["resolve", "did:nope"])
    assert bad.exit_code == 2 and "did.malformed" in bad.output
    signer = JwsSigner.from_private_jwk(json.loads((tmp_path / "k.jwk").read_text()))
    iss = did_key(signer.public_key)
    raw = sdjwt_vc.issue(
        signer, iss=iss, vct="v", claims={"a": 1}, sd_paths=[("a",)], holder_jwk=None, iat=1000
    )
    (tmp_path / "c.txt").write_text(sdjwt.present(raw, None))
    ok = runner.invoke(app, ["verify", str(tmp_path / "c.txt"), "--no-kb", "--now", "1000"])
    assert ok.exit_code == 0 and json.loads(ok.output)["claims"]["a"] == 1
    assert runner.invoke(app, ["verify", str(tmp_path / "c.txt"), "--now", "1000"]).exit_code == 2
    assert (
        runner.invoke(
            app, ["qr", "openid-credential-offer://?x=1", "--out", str(tmp_path / "q.svg")]
        ).exit_code
        == 0
    )
    assert (tmp_path / "q.svg").read_text().startswith("<?xml") or "<svg" in (tmp_path / "q.svg").read_text()
    tok = status_list_token(StatusBits.empty(16, 2).with_value(3, 2), uri="u", signer=signer, iat=1)
    st = runner.invoke(app, ["status", tok, "--index", "3"])
    assert st.exit_code == 0 and json.loads(st.output)["status"] == 2
