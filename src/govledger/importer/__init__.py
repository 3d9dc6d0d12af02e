"""Legacy bulk import ("shadow registry"): load an existing register from CSV into the ledger, and let
the legacy system follow the ledger's changes afterwards.

It is an edge, like the CLI: it talks to a node through the SDK (verified reads, signed batches) and
never touches storage or app internals beyond the apps' public body types.

Theory of operation
-------------------
1. **Stream** the CSV (`source.py`): one row at a time, strict header, bounded field sizes; memory
   does not grow with the file (only with the ids of committed rows, for resuming, ~70 bytes each).
2. **Plan** each row (`adapters/`): parse and validate its fields into the app's own transaction body
   (`import.*` codes for what the CSV gets wrong), with deterministic ids taken from the row and
   deterministic custodial keys for the people it registers (`custody.py`).
3. **Already there?** Read the row's key on the ledger, verified against a signed header: if present
   and equal, the row is a *duplicate* (imported before); if present and different, it is rejected
   (`import.conflict`). This is what makes a re-run idempotent even without a checkpoint.
4. **Sign and submit in batches** (`runner.py`): `submit_batch`, then wait for each commit. The
   transaction of a row is the same bytes on every run within an expiry window (nonce and expiry
   derive from the row), so a resubmission is recognised by the node (`tx.replay`, `tx.duplicate`).
   Ledger refusals carry the app's own codes (`land.unknown_party`, `company.name_taken`, ...).
5. **Record** each batch's outcome: the reconciliation report (`report.py`: one CSV line per row,
   imported / duplicate / rejected with code and reason, and a JSON summary), and the checkpoint
   (`checkpoint.py`: committed row ids, appended and fsynced per batch). A re-run skips the rows in
   the checkpoint; an interrupted run resumes where its last batch ended.
6. **Follow** the ledger (`follow.py`): the node's Server-Sent Events stream, replayed from a persisted
   cursor (last delivered height and event), each event POSTed to the legacy system's webhook with
   bounded retries and backoff.

People never cross into the ledger: the CSVs carry the vault's commitments (64 hex digits), never
names or addresses; the importer does not read personal data at all.
"""

from govledger.importer.adapters import ADAPTERS, Adapter
from govledger.importer.custody import Custody
from govledger.importer.runner import ImportOptions, ImportSummary, run_import

__all__ = ["ADAPTERS", "Adapter", "Custody", "ImportOptions", "ImportSummary", "run_import"]
