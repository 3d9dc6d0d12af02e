// Integrity-only verification rate of OpenAttestation's verifySignature, one Node process.
// stdin: {"documents": [wrapped...], "seconds": 2}   stdout: {"verified": n, "seconds": s, "per_second": r}
"use strict";
const oa = require("@govtechsg/open-attestation");
const { main } = require("./common");

main(async (req) => {
  const docs = req.documents;
  for (const d of docs.slice(0, 50)) oa.verifySignature(d); // warm up the JIT
  const start = process.hrtime.bigint();
  const budget = BigInt(Math.round((req.seconds || 2) * 1e9));
  let n = 0;
  while (process.hrtime.bigint() - start < budget) {
    if (!oa.verifySignature(docs[n % docs.length])) throw new Error("a document failed to verify");
    n += 1;
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return { verified: n, seconds, per_second: n / seconds };
});
