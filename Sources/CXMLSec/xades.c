/* See include/pec_xades.h. */
#include "pec_xades.h"

#include <pthread.h>
#include <string.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/valid.h>
#include <libxml/xmlerror.h>
#include <openssl/x509.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/errors.h>
#include <xmlsec/xmltree.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/transforms.h>
#include <xmlsec/keys.h>
#include <xmlsec/keysmngr.h>
#include <xmlsec/openssl/app.h>
#include <xmlsec/openssl/crypto.h>
#include <xmlsec/openssl/x509.h>
#include "xmlsec_lazy.h"

static int *pec_xades_init_status(void) {
    static int status = -1;
    return &status;
}

/* Why the libraries could not be loaded, or NULL. */
static const char *pec_xades_load_failure;

static void pec_xades_init_once(void) {
    int *status = pec_xades_init_status();
    if ((pec_xades_load_failure = pec_xmlsec_load()) != NULL) {
        *status = 0;
        return;
    }
    xmlInitParser();
    /* The library's own error printer writes to stderr; the caller words the failure itself. */
    xmlSecErrorsDefaultCallbackEnableOutput(0);
    if (xmlSecInit() < 0 || xmlSecCheckVersion() != 1 || xmlSecOpenSSLAppInit(NULL) < 0 || xmlSecOpenSSLInit() < 0) {
        *status = 0;
        return;
    }
    *status = 1;
}

static void pec_xml_silent(void *context, const char *message, ...) {
    (void)context;
    (void)message;
}

static void pec_xades_reason(pec_xades_result *result, pec_xades_status status, const char *reason) {
    result->status = status;
    strncpy(result->reason, reason, sizeof result->reason - 1);
    result->reason[sizeof result->reason - 1] = '\0';
}

/* The allow-list of reference transforms and digests: canonicalisations, enveloped, XPath filters.
   XSLT and XPointer are left out: evidence never needs them and XSLT runs programs. */
static int pec_xades_enable_transforms(xmlSecDSigCtxPtr context) {
    xmlSecTransformId ids[] = {
        xmlSecTransformInclC14NId, xmlSecTransformInclC14NWithCommentsId, xmlSecTransformInclC14N11Id,
        xmlSecTransformInclC14N11WithCommentsId, xmlSecTransformExclC14NId, xmlSecTransformExclC14NWithCommentsId,
        xmlSecTransformEnvelopedId, xmlSecTransformXPathId, xmlSecTransformXPath2Id, xmlSecTransformBase64Id,
        xmlSecOpenSSLTransformSha1Id, xmlSecOpenSSLTransformSha224Id, xmlSecOpenSSLTransformSha256Id,
        xmlSecOpenSSLTransformSha384Id, xmlSecOpenSSLTransformSha512Id,
    };
    for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
        if (xmlSecDSigCtxEnableReferenceTransform(context, ids[i]) < 0) return -1;
    }
    return 0;
}

/* The SigningTime inside the element a SignedProperties reference points to. */
static void pec_xades_signing_time(xmlDocPtr doc, xmlSecDSigReferenceCtxPtr reference, pec_xades_result *result) {
    static const char *type = "http://uri.etsi.org/01903#SignedProperties";
    if (reference->type == NULL || strcmp((const char *)reference->type, type) != 0) return;
    if (reference->uri == NULL || reference->uri[0] != '#') return;
    xmlAttrPtr id = xmlGetID(doc, reference->uri + 1);
    if (id == NULL || id->parent == NULL) return;
    static const char *namespaces[] = {"http://uri.etsi.org/01903/v1.3.2#", "http://uri.etsi.org/01903/v1.4.1#"};
    for (size_t i = 0; i < 2; i++) {
        xmlNodePtr node = xmlSecFindNode(id->parent, BAD_CAST "SigningTime", BAD_CAST namespaces[i]);
        if (node == NULL) continue;
        xmlChar *text = xmlNodeGetContent(node);
        if (text == NULL) return;
        strncpy(result->signing_time, (const char *)text, sizeof result->signing_time - 1);
        result->signing_time[sizeof result->signing_time - 1] = '\0';
        xmlFree(text);
        return;
    }
}

static void pec_xades_collect(xmlDocPtr doc, xmlSecDSigCtxPtr context, pec_xades_result *result) {
    int coversDocument = 0;
    xmlSecSize count = xmlSecPtrListGetSize(&context->signedInfoReferences);
    for (xmlSecSize i = 0; i < count; i++) {
        xmlSecDSigReferenceCtxPtr reference = xmlSecPtrListGetItem(&context->signedInfoReferences, i);
        if (reference == NULL) continue;
        if (reference->uri != NULL && reference->uri[0] == '\0' && reference->status == xmlSecDSigStatusSucceeded) {
            coversDocument = 1;
        }
        pec_xades_signing_time(doc, reference, result);
    }
    if (context->signMethod != NULL && context->signMethod->id != NULL && context->signMethod->id->name != NULL) {
        strncpy(result->method, (const char *)context->signMethod->id->name, sizeof result->method - 1);
        result->method[sizeof result->method - 1] = '\0';
    }
    if (context->signKey != NULL) {
        xmlSecKeyDataPtr data = xmlSecKeyGetData(context->signKey, xmlSecOpenSSLKeyDataX509Id);
        if (data != NULL) {
            X509 *certificate = xmlSecOpenSSLKeyDataX509GetKeyCert(data);
            if (certificate != NULL && X509_up_ref(certificate) == 1) result->certificate = certificate;
            result->certificates = sk_X509_new_null();
            xmlSecSize size = xmlSecOpenSSLKeyDataX509GetCertsSize(data);
            for (xmlSecSize i = 0; result->certificates != NULL && i < size; i++) {
                X509 *other = xmlSecOpenSSLKeyDataX509GetCert(data, i);
                if (other != NULL && X509_up_ref(other) == 1 && sk_X509_push(result->certificates, other) <= 0) {
                    X509_free(other);
                }
            }
        }
    }
    if (!coversDocument) {
        pec_xades_reason(result, PEC_XADES_INVALID,
            "the signature does not cover the evidence: it has no reference to the whole document (URI=\"\")");
        return;
    }
    result->status = PEC_XADES_VALID;
}

void pec_xades_verify(const unsigned char *xml, int length, pec_xades_result *result) {
    memset(result, 0, sizeof *result);
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, pec_xades_init_once);
    if (*pec_xades_init_status() != 1) {
        pec_xades_reason(result, PEC_XADES_INVALID,
            pec_xades_load_failure != NULL ? pec_xades_load_failure : "libxmlsec1 could not be initialised");
        return;
    }
    /* libxml2's generic error handler is per thread: silence it for this check, then put it back. */
    xmlGenericErrorFunc previous = xmlGenericError;
    void *previousContext = xmlGenericErrorContext;
    xmlSetGenericErrorFunc(NULL, pec_xml_silent);

    xmlDocPtr doc = xmlReadMemory((const char *)xml, length, "evidence.xml", NULL,
        XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    xmlNodePtr root = doc != NULL ? xmlDocGetRootElement(doc) : NULL;
    xmlSecKeysMngrPtr manager = NULL;
    xmlSecDSigCtxPtr context = NULL;
    if (root == NULL) {
        pec_xades_reason(result, PEC_XADES_INVALID, "the evidence is not well-formed XML");
        goto done;
    }
    static const xmlChar *idAttributes[] = {BAD_CAST "Id", NULL};
    xmlSecAddIDs(doc, root, idAttributes);
    xmlNodePtr signature = xmlSecFindNode(root, xmlSecNodeSignature, xmlSecDSigNs);
    if (signature == NULL) {
        pec_xades_reason(result, PEC_XADES_UNSIGNED, "the evidence has no XML signature (ds:Signature)");
        goto done;
    }
    manager = xmlSecKeysMngrCreate();
    if (manager == NULL || xmlSecOpenSSLAppDefaultKeysMngrInit(manager) < 0) {
        pec_xades_reason(result, PEC_XADES_INVALID, "libxmlsec1 could not create a keys manager");
        goto done;
    }
    context = xmlSecDSigCtxCreate(manager);
    if (context == NULL || pec_xades_enable_transforms(context) < 0) {
        pec_xades_reason(result, PEC_XADES_INVALID, "libxmlsec1 could not create a signature context");
        goto done;
    }
    /* The key comes from the embedded certificate; its chain is checked afterwards, at the signing time. */
    context->keyInfoReadCtx.flags |= XMLSEC_KEYINFO_FLAGS_X509DATA_DONT_VERIFY_CERTS;
    /* Only references inside the document: never a file or a URL. */
    context->enabledReferenceUris = xmlSecTransformUriTypeEmpty | xmlSecTransformUriTypeSameDocument;
    context->keyInfoReadCtx.retrievalMethodCtx.enabledUris =
        xmlSecTransformUriTypeEmpty | xmlSecTransformUriTypeSameDocument;
    context->flags |= XMLSEC_DSIG_FLAGS_STORE_SIGNEDINFO_REFERENCES;
    if (xmlSecDSigCtxVerify(context, signature) < 0) {
        pec_xades_reason(result, PEC_XADES_INVALID,
            "the XML signature cannot be processed (a reference, algorithm or key it names is missing or not allowed)");
        goto done;
    }
    if (context->status != xmlSecDSigStatusSucceeded) {
        pec_xades_collect(doc, context, result);
        pec_xades_reason(result, PEC_XADES_INVALID,
            "the XML signature does not match the evidence: changed after signing, or forged");
        goto done;
    }
    pec_xades_collect(doc, context, result);
done:
    if (context != NULL) xmlSecDSigCtxDestroy(context);
    if (manager != NULL) xmlSecKeysMngrDestroy(manager);
    if (doc != NULL) xmlFreeDoc(doc);
    xmlSetGenericErrorFunc(previousContext, previous);
}

void pec_xades_result_free(pec_xades_result *result) {
    if (result->certificate != NULL) X509_free(result->certificate);
    if (result->certificates != NULL) sk_X509_pop_free(result->certificates, X509_free);
    result->certificate = NULL;
    result->certificates = NULL;
}

