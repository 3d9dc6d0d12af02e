// Verify wrapped documents with OpenAttestation's verifySignature and oa-verify, offline:
// a did:ethr resolver returning the implicit DID document, a stub provider (only its chain id is
// read, by the DNS-TXT verifier) and a DNS resolver answering from the request's table.
// stdin: {"documents": [wrapped...], "dns": {"domain": ["txt", ...]}, "chainId": 1}
// stdout: [{"signature": bool, "valid": bool, "fragments": [{name, type, status, code}]}]
"use strict";
const oa = require("@govtechsg/open-attestation");
const {
  verificationBuilder,
  openAttestationHash,
  openAttestationDidSignedDocumentStatus,
  openAttestationDidIdentityProof,
  openAttestationDnsTxtIdentityProof,
  openAttestationDnsDidIdentityProof,
  isValid,
} = require("@govtechsg/oa-verify");
const { Resolver } = require("did-resolver");
const { main } = require("./common");

function implicitEthr(did) {
  const address = did.split(":").pop();
  const method = {
    id: `${did}#controller`,
    type: "EcdsaSecp256k1RecoveryMethod2020",
    controller: did,
    blockchainAccountId: `eip155:1:${address}`,
  };
  return {
    "@context": ["https://www.w3.org/ns/did/v1"],
    id: did,
    verificationMethod: [method],
    authentication: [method.id],
    assertionMethod: [method.id],
  };
}

main(async (req) => {
  const resolver = new Resolver({
    ethr: async (did) => ({ didResolutionMetadata: {}, didDocumentMetadata: {}, didDocument: implicitEthr(did) }),
  });
  const chainId = req.chainId || 1;
  const provider = { getNetwork: async () => ({ chainId, name: "govledger" }) };
  const table = req.dns || {};
  const dnsResolver = async (domain) => ({
    AD: true,
    Answer: (table[domain] || []).map((data) => ({ name: domain, type: 16, TTL: 300, data: `"${data}"` })),
  });
  const verify = verificationBuilder(
    [
      openAttestationHash,
      openAttestationDidSignedDocumentStatus,
      openAttestationDidIdentityProof,
      openAttestationDnsTxtIdentityProof,
      openAttestationDnsDidIdentityProof,
    ],
    { provider, resolver, dnsResolvers: [dnsResolver] },
  );
  const out = [];
  for (const doc of req.documents) {
    let signature;
    try {
      signature = oa.verifySignature(doc);
    } catch (e) {
      signature = false;
    }
    const fragments = await verify(doc);
    out.push({
      signature,
      valid: isValid(fragments),
      fragments: fragments.map((f) => ({
        name: f.name,
        type: f.type,
        status: f.status,
        code: f.reason ? f.reason.codeString : "",
      })),
    });
  }
  return out;
});
