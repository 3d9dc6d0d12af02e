// Wrap raw documents with OpenAttestation's own library (and optionally DID-sign or obfuscate them).
// stdin: {"documents": [raw...], "batch": true, "sign": {"privateKey": "0x..", "key": "did:ethr:0x..#controller"},
//         "obfuscate": ["path", ...]}
// stdout: [wrapped...]
"use strict";
const oa = require("@govtechsg/open-attestation");
const { main } = require("./common");

main(async (req) => {
  let docs = req.batch
    ? oa.wrapDocuments(req.documents)
    : req.documents.map((d) => oa.wrapDocument(d));
  if (req.obfuscate && req.obfuscate.length) {
    docs = docs.map((d) => oa.obfuscateDocument(d, req.obfuscate));
  }
  if (req.sign) {
    const key = { private: req.sign.privateKey, public: req.sign.key };
    docs = await Promise.all(docs.map((d) => oa.signDocument(d, oa.SUPPORTED_SIGNING_ALGORITHM.Secp256k1VerificationKey2018, key)));
  }
  return docs;
});
