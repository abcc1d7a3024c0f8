/* libxml2 and libxmlsec1 through dlopen on first use (included by xades.c after their headers).
   Linking them would load libxmlsec1, libxslt, libxml2 and the system ICU at the start of every
   command, `pec --version` included, while only the XAdES check of REM evidence needs them. Each
   name below is redirected to a pointer dlsym found, typed from the library's own declaration. */
#ifndef PEC_XMLSEC_LAZY_H
#define PEC_XMLSEC_LAZY_H
#include <dlfcn.h>

#undef xmlFree

static struct {
    __typeof__(&xmlDocGetRootElement) xmlDocGetRootElement;
    __typeof__(&xmlFreeDoc) xmlFreeDoc;
    __typeof__(&xmlGetID) xmlGetID;
    __typeof__(&xmlInitParser) xmlInitParser;
    __typeof__(&xmlNodeGetContent) xmlNodeGetContent;
    __typeof__(&xmlReadMemory) xmlReadMemory;
    __typeof__(&xmlSetGenericErrorFunc) xmlSetGenericErrorFunc;
    __typeof__(&__xmlGenericError) __xmlGenericError;
    __typeof__(&__xmlGenericErrorContext) __xmlGenericErrorContext;
    __typeof__(&xmlSecAddIDs) xmlSecAddIDs;
    __typeof__(&xmlSecCheckVersionExt) xmlSecCheckVersionExt;
    __typeof__(&xmlSecDSigCtxCreate) xmlSecDSigCtxCreate;
    __typeof__(&xmlSecDSigCtxDestroy) xmlSecDSigCtxDestroy;
    __typeof__(&xmlSecDSigCtxEnableReferenceTransform) xmlSecDSigCtxEnableReferenceTransform;
    __typeof__(&xmlSecDSigCtxVerify) xmlSecDSigCtxVerify;
    __typeof__(&xmlSecErrorsDefaultCallbackEnableOutput) xmlSecErrorsDefaultCallbackEnableOutput;
    __typeof__(&xmlSecFindNode) xmlSecFindNode;
    __typeof__(&xmlSecInit) xmlSecInit;
    __typeof__(&xmlSecKeyGetData) xmlSecKeyGetData;
    __typeof__(&xmlSecKeysMngrCreate) xmlSecKeysMngrCreate;
    __typeof__(&xmlSecKeysMngrDestroy) xmlSecKeysMngrDestroy;
    __typeof__(&xmlSecOpenSSLAppDefaultKeysMngrInit) xmlSecOpenSSLAppDefaultKeysMngrInit;
    __typeof__(&xmlSecOpenSSLAppInit) xmlSecOpenSSLAppInit;
    __typeof__(&xmlSecOpenSSLInit) xmlSecOpenSSLInit;
    __typeof__(&xmlSecOpenSSLKeyDataX509GetCert) xmlSecOpenSSLKeyDataX509GetCert;
    __typeof__(&xmlSecOpenSSLKeyDataX509GetCertsSize) xmlSecOpenSSLKeyDataX509GetCertsSize;
    __typeof__(&xmlSecOpenSSLKeyDataX509GetKeyCert) xmlSecOpenSSLKeyDataX509GetKeyCert;
    __typeof__(&xmlSecOpenSSLKeyDataX509GetKlass) xmlSecOpenSSLKeyDataX509GetKlass;
    __typeof__(&xmlSecOpenSSLTransformSha1GetKlass) xmlSecOpenSSLTransformSha1GetKlass;
    __typeof__(&xmlSecOpenSSLTransformSha224GetKlass) xmlSecOpenSSLTransformSha224GetKlass;
    __typeof__(&xmlSecOpenSSLTransformSha256GetKlass) xmlSecOpenSSLTransformSha256GetKlass;
    __typeof__(&xmlSecOpenSSLTransformSha384GetKlass) xmlSecOpenSSLTransformSha384GetKlass;
    __typeof__(&xmlSecOpenSSLTransformSha512GetKlass) xmlSecOpenSSLTransformSha512GetKlass;
    __typeof__(&xmlSecPtrListGetItem) xmlSecPtrListGetItem;
    __typeof__(&xmlSecPtrListGetSize) xmlSecPtrListGetSize;
    __typeof__(&xmlSecTransformBase64GetKlass) xmlSecTransformBase64GetKlass;
    __typeof__(&xmlSecTransformEnvelopedGetKlass) xmlSecTransformEnvelopedGetKlass;
    __typeof__(&xmlSecTransformExclC14NGetKlass) xmlSecTransformExclC14NGetKlass;
    __typeof__(&xmlSecTransformExclC14NWithCommentsGetKlass) xmlSecTransformExclC14NWithCommentsGetKlass;
    __typeof__(&xmlSecTransformInclC14N11GetKlass) xmlSecTransformInclC14N11GetKlass;
    __typeof__(&xmlSecTransformInclC14N11WithCommentsGetKlass) xmlSecTransformInclC14N11WithCommentsGetKlass;
    __typeof__(&xmlSecTransformInclC14NGetKlass) xmlSecTransformInclC14NGetKlass;
    __typeof__(&xmlSecTransformInclC14NWithCommentsGetKlass) xmlSecTransformInclC14NWithCommentsGetKlass;
    __typeof__(&xmlSecTransformXPath2GetKlass) xmlSecTransformXPath2GetKlass;
    __typeof__(&xmlSecTransformXPathGetKlass) xmlSecTransformXPathGetKlass;
    /* Variables: dlsym gives their address. */
    __typeof__(&xmlFree) xmlFree;
    __typeof__(&xmlSecDSigNs[0]) xmlSecDSigNs;
    __typeof__(&xmlSecNodeSignature[0]) xmlSecNodeSignature;
} pec_xmlsec;

/* NULL when loaded, else what is missing (a static string). Called once, under pthread_once. */
static const char *pec_xmlsec_load(void) {
    /* The OpenSSL back end; dlsym on its handle also finds libxmlsec1's and libxml2's symbols. */
    void *handle = dlopen("libxmlsec1-openssl.so.1", RTLD_NOW | RTLD_LOCAL);
    if (handle == NULL) return "libxmlsec1-openssl.so.1 is not installed (Debian: apt-get install libxmlsec1-openssl)";
#define PEC_BIND(name) \
    if ((*(void **)(&pec_xmlsec.name) = dlsym(handle, #name)) == NULL) return "libxmlsec1 lacks " #name;
    PEC_BIND(xmlDocGetRootElement)
    PEC_BIND(xmlFreeDoc)
    PEC_BIND(xmlGetID)
    PEC_BIND(xmlInitParser)
    PEC_BIND(xmlNodeGetContent)
    PEC_BIND(xmlReadMemory)
    PEC_BIND(xmlSetGenericErrorFunc)
    PEC_BIND(__xmlGenericError)
    PEC_BIND(__xmlGenericErrorContext)
    PEC_BIND(xmlSecAddIDs)
    PEC_BIND(xmlSecCheckVersionExt)
    PEC_BIND(xmlSecDSigCtxCreate)
    PEC_BIND(xmlSecDSigCtxDestroy)
    PEC_BIND(xmlSecDSigCtxEnableReferenceTransform)
    PEC_BIND(xmlSecDSigCtxVerify)
    PEC_BIND(xmlSecErrorsDefaultCallbackEnableOutput)
    PEC_BIND(xmlSecFindNode)
    PEC_BIND(xmlSecInit)
    PEC_BIND(xmlSecKeyGetData)
    PEC_BIND(xmlSecKeysMngrCreate)
    PEC_BIND(xmlSecKeysMngrDestroy)
    PEC_BIND(xmlSecOpenSSLAppDefaultKeysMngrInit)
    PEC_BIND(xmlSecOpenSSLAppInit)
    PEC_BIND(xmlSecOpenSSLInit)
    PEC_BIND(xmlSecOpenSSLKeyDataX509GetCert)
    PEC_BIND(xmlSecOpenSSLKeyDataX509GetCertsSize)
    PEC_BIND(xmlSecOpenSSLKeyDataX509GetKeyCert)
    PEC_BIND(xmlSecOpenSSLKeyDataX509GetKlass)
    PEC_BIND(xmlSecOpenSSLTransformSha1GetKlass)
    PEC_BIND(xmlSecOpenSSLTransformSha224GetKlass)
    PEC_BIND(xmlSecOpenSSLTransformSha256GetKlass)
    PEC_BIND(xmlSecOpenSSLTransformSha384GetKlass)
    PEC_BIND(xmlSecOpenSSLTransformSha512GetKlass)
    PEC_BIND(xmlSecPtrListGetItem)
    PEC_BIND(xmlSecPtrListGetSize)
    PEC_BIND(xmlSecTransformBase64GetKlass)
    PEC_BIND(xmlSecTransformEnvelopedGetKlass)
    PEC_BIND(xmlSecTransformExclC14NGetKlass)
    PEC_BIND(xmlSecTransformExclC14NWithCommentsGetKlass)
    PEC_BIND(xmlSecTransformInclC14N11GetKlass)
    PEC_BIND(xmlSecTransformInclC14N11WithCommentsGetKlass)
    PEC_BIND(xmlSecTransformInclC14NGetKlass)
    PEC_BIND(xmlSecTransformInclC14NWithCommentsGetKlass)
    PEC_BIND(xmlSecTransformXPath2GetKlass)
    PEC_BIND(xmlSecTransformXPathGetKlass)
    PEC_BIND(xmlFree)
    PEC_BIND(xmlSecDSigNs)
    PEC_BIND(xmlSecNodeSignature)
#undef PEC_BIND
    return NULL;
}

#define xmlDocGetRootElement (*pec_xmlsec.xmlDocGetRootElement)
#define xmlFreeDoc (*pec_xmlsec.xmlFreeDoc)
#define xmlGetID (*pec_xmlsec.xmlGetID)
#define xmlInitParser (*pec_xmlsec.xmlInitParser)
#define xmlNodeGetContent (*pec_xmlsec.xmlNodeGetContent)
#define xmlReadMemory (*pec_xmlsec.xmlReadMemory)
#define xmlSetGenericErrorFunc (*pec_xmlsec.xmlSetGenericErrorFunc)
#define __xmlGenericError (*pec_xmlsec.__xmlGenericError)
#define __xmlGenericErrorContext (*pec_xmlsec.__xmlGenericErrorContext)
#define xmlSecAddIDs (*pec_xmlsec.xmlSecAddIDs)
#define xmlSecCheckVersionExt (*pec_xmlsec.xmlSecCheckVersionExt)
#define xmlSecDSigCtxCreate (*pec_xmlsec.xmlSecDSigCtxCreate)
#define xmlSecDSigCtxDestroy (*pec_xmlsec.xmlSecDSigCtxDestroy)
#define xmlSecDSigCtxEnableReferenceTransform (*pec_xmlsec.xmlSecDSigCtxEnableReferenceTransform)
#define xmlSecDSigCtxVerify (*pec_xmlsec.xmlSecDSigCtxVerify)
#define xmlSecErrorsDefaultCallbackEnableOutput (*pec_xmlsec.xmlSecErrorsDefaultCallbackEnableOutput)
#define xmlSecFindNode (*pec_xmlsec.xmlSecFindNode)
#define xmlSecInit (*pec_xmlsec.xmlSecInit)
#define xmlSecKeyGetData (*pec_xmlsec.xmlSecKeyGetData)
#define xmlSecKeysMngrCreate (*pec_xmlsec.xmlSecKeysMngrCreate)
#define xmlSecKeysMngrDestroy (*pec_xmlsec.xmlSecKeysMngrDestroy)
#define xmlSecOpenSSLAppDefaultKeysMngrInit (*pec_xmlsec.xmlSecOpenSSLAppDefaultKeysMngrInit)
#define xmlSecOpenSSLAppInit (*pec_xmlsec.xmlSecOpenSSLAppInit)
#define xmlSecOpenSSLInit (*pec_xmlsec.xmlSecOpenSSLInit)
#define xmlSecOpenSSLKeyDataX509GetCert (*pec_xmlsec.xmlSecOpenSSLKeyDataX509GetCert)
#define xmlSecOpenSSLKeyDataX509GetCertsSize (*pec_xmlsec.xmlSecOpenSSLKeyDataX509GetCertsSize)
#define xmlSecOpenSSLKeyDataX509GetKeyCert (*pec_xmlsec.xmlSecOpenSSLKeyDataX509GetKeyCert)
#define xmlSecOpenSSLKeyDataX509GetKlass (*pec_xmlsec.xmlSecOpenSSLKeyDataX509GetKlass)
#define xmlSecOpenSSLTransformSha1GetKlass (*pec_xmlsec.xmlSecOpenSSLTransformSha1GetKlass)
#define xmlSecOpenSSLTransformSha224GetKlass (*pec_xmlsec.xmlSecOpenSSLTransformSha224GetKlass)
#define xmlSecOpenSSLTransformSha256GetKlass (*pec_xmlsec.xmlSecOpenSSLTransformSha256GetKlass)
#define xmlSecOpenSSLTransformSha384GetKlass (*pec_xmlsec.xmlSecOpenSSLTransformSha384GetKlass)
#define xmlSecOpenSSLTransformSha512GetKlass (*pec_xmlsec.xmlSecOpenSSLTransformSha512GetKlass)
#define xmlSecPtrListGetItem (*pec_xmlsec.xmlSecPtrListGetItem)
#define xmlSecPtrListGetSize (*pec_xmlsec.xmlSecPtrListGetSize)
#define xmlSecTransformBase64GetKlass (*pec_xmlsec.xmlSecTransformBase64GetKlass)
#define xmlSecTransformEnvelopedGetKlass (*pec_xmlsec.xmlSecTransformEnvelopedGetKlass)
#define xmlSecTransformExclC14NGetKlass (*pec_xmlsec.xmlSecTransformExclC14NGetKlass)
#define xmlSecTransformExclC14NWithCommentsGetKlass (*pec_xmlsec.xmlSecTransformExclC14NWithCommentsGetKlass)
#define xmlSecTransformInclC14N11GetKlass (*pec_xmlsec.xmlSecTransformInclC14N11GetKlass)
#define xmlSecTransformInclC14N11WithCommentsGetKlass (*pec_xmlsec.xmlSecTransformInclC14N11WithCommentsGetKlass)
#define xmlSecTransformInclC14NGetKlass (*pec_xmlsec.xmlSecTransformInclC14NGetKlass)
#define xmlSecTransformInclC14NWithCommentsGetKlass (*pec_xmlsec.xmlSecTransformInclC14NWithCommentsGetKlass)
#define xmlSecTransformXPath2GetKlass (*pec_xmlsec.xmlSecTransformXPath2GetKlass)
#define xmlSecTransformXPathGetKlass (*pec_xmlsec.xmlSecTransformXPathGetKlass)
#define xmlFree (*pec_xmlsec.xmlFree)
#define xmlSecDSigNs (pec_xmlsec.xmlSecDSigNs)
#define xmlSecNodeSignature (pec_xmlsec.xmlSecNodeSignature)
#endif
