"""What the demo's seeding steps share: the client, keys, custodial keys, progress, vault writes.

`Demo` carries one run: the verifying SDK client, the home's member keys (loaded once), the demo's
custody secret (`<home>/demo/custody.secret`, created on first run; it derives the keys of the
synthetic parties, as the importer does for a legacy register), the Rich progress bar and the
summary. `send` submits a round of independent transactions and accepts the codes that mean "already
done" (so a second run changes nothing); `vault_write` stores personal data through the node's vault
route, signed by an office's member key.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import msgspec
from rich.progress import Progress, TaskID

from govledger.api.vault_requests import NewRecord, StoredRecord, WriteAnswer, sign_write
from govledger.certificates.remote import api_request
from govledger.certificates.submit import Item, Outcome, send
from govledger.cli.common import CliState
from govledger.cli.demo_data import DemoScale
from govledger.codec import to_json
from govledger.crypto.signatures import SigningKey
from govledger.errors import GovledgerError
from govledger.importer.custody import Custody
from govledger.sdk import Client


@dataclass
class DemoSummary:
    counts: dict[str, int] = field(default_factory=dict)

    def add(self, what: str, n: int = 1) -> None:
        if n:
            self.counts[what] = self.counts.get(what, 0) + n

    def line(self) -> str:
        return ", ".join(f"{k}: {v}" for k, v in self.counts.items()) or "nothing to do"


@dataclass
class Demo:
    client: Client
    st: CliState
    scale: DemoScale
    summary: DemoSummary
    progress: Progress | None = None
    _keys: dict[str, SigningKey] = field(default_factory=dict)
    _custody: Custody | None = None
    _vault_id: bytes = b""

    # --- keys ------------------------------------------------------------------------------------------

    def key(self, name: str) -> SigningKey:
        """A member's key by member id: its dev key file, or the file of its rotated key."""
        if name not in self._keys:
            self._keys[name] = self._member_key(name)
        return self._keys[name]

    def _member_key(self, member_id: str) -> SigningKey:
        if self.st.key_path(member_id).exists():
            return self.st.load_key(member_id)
        member = self.client.query("governance", "member", id=member_id)
        active = {
            k["public_key"]["key"] for k in (member or {}).get("keys", []) if not k.get("revoked_height")
        }
        for path in sorted(self.st.paths.keys.glob(f"{member_id}-*.key.json")):
            name = path.name.removesuffix(".key.json")
            key = self.st.load_key(name)
            if base64.b64encode(bytes(key.public_key.key)).decode() in active:
                return key
        raise GovledgerError(
            "keys.not_found", f"no active key of member {member_id!r} in {self.st.paths.keys}"
        )

    @property
    def custody_path(self) -> Path:
        return self.st.home / "demo" / "custody.secret"

    @property
    def custody(self) -> Custody:
        if self._custody is None:
            path = self.custody_path
            if not path.exists():
                path.parent.mkdir(parents=True, exist_ok=True)
                Custody.create(path)
            self._custody = Custody.load(path)
        return self._custody

    def party_key(self, app: str, party_id: str) -> SigningKey:
        return self.custody.key(app, party_id)

    # --- transactions ----------------------------------------------------------------------------------

    def send(self, items: Sequence[Item], *, done: Iterable[str] = (), what: str = "") -> list[Outcome]:
        """Submit one round; codes in `done` mean "already there" and count as success."""
        if not items:
            return []
        outcomes = send(self.client, items)
        allowed = frozenset(done)
        for i, o in zip(items, outcomes, strict=True):
            if not o.ok and o.code not in allowed:
                raise GovledgerError(o.code, f"{i.app}.{i.op}: {o.message}")
        if what:
            self.summary.add(what, sum(1 for o in outcomes if o.ok))
        return outcomes

    # --- the vault -------------------------------------------------------------------------------------

    def vault_id(self) -> bytes:
        if not self._vault_id:
            info = api_request(self.client, "GET", "/v1/vault").json()
            self._vault_id = msgspec.convert(info, type=dict[str, bytes], strict=False)["vault_id"]
        return self._vault_id

    def vault_write(self, registry: str, signer: str, records: list[NewRecord]) -> list[StoredRecord]:
        out: list[StoredRecord] = []
        for start in range(0, len(records), 500):
            req = sign_write(self.key(signer), self.vault_id(), registry, records[start : start + 500])
            resp = api_request(self.client, "POST", "/v1/vault/records", content=to_json(req), headers=_JSON)
            answer = msgspec.json.decode(resp.content, type=WriteAnswer)
            out.extend(answer.records)
            self.summary.add("personal records sealed in the vault", sum(r.created for r in answer.records))
        return out

    # --- progress --------------------------------------------------------------------------------------

    def task(self, label: str, total: int) -> TaskID | None:
        return self.progress.add_task(label, total=total) if self.progress is not None else None

    def advance(self, task: TaskID | None, n: int = 1) -> None:
        if self.progress is not None and task is not None:
            self.progress.advance(task, n)

    def finish(self, task: TaskID | None) -> None:
        if self.progress is not None and task is not None:
            total = self.progress.tasks[task].total or 0
            self.progress.update(task, completed=total)

    def query(self, app: str, name: str, **params: Any) -> Any:
        return self.client.query(app, name, **params)


_JSON = {"content-type": "application/json"}
