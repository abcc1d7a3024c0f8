#ifndef PEC_XADES_H
#define PEC_XADES_H
/* The XML-DSig (XAdES) check of REM evidence with libxmlsec1 over OpenSSL, for
   PECCore/REM/EvidenceSignatureVerifier.swift. xmlsec checks the references and the signature value with
   the key of the embedded certificate; the certificate chain is left to the Swift side, which checks it as
   it does for S/MIME. This header names no libxml2 or xmlsec type, so Swift never imports theirs. */

struct x509_st;
struct stack_st_X509;

typedef enum {
    PEC_XADES_VALID = 0,
    /* A signature is there but does not hold, or cannot be processed. */
    PEC_XADES_INVALID = 1,
    /* The document has no ds:Signature. */
    PEC_XADES_UNSIGNED = 2,
} pec_xades_status;

typedef struct {
    pec_xades_status status;
    /* The certificate whose key verified the signature (a reference pec_xades_result_free drops), or NULL. */
    struct x509_st *certificate;
    /* Every certificate of the KeyInfo (freed by pec_xades_result_free), or NULL. */
    struct stack_st_X509 *certificates;
    /* xades:SigningTime of the signed properties, as written, or empty. */
    char signing_time[64];
    /* The signature method's name: rsa-sha256. */
    char method[64];
    char reason[256];
} pec_xades_result;

/* Parses `xml` (no network, no entity substitution, no DTD loading) and checks its first ds:Signature. */
void pec_xades_verify(const unsigned char *xml, int length, pec_xades_result *result);

void pec_xades_result_free(pec_xades_result *result);

#endif
