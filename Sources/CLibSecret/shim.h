#ifndef PEC_CLIBSECRET_SHIM_H
#define PEC_CLIBSECRET_SHIM_H
#include <libsecret/secret.h>

/* The schema Python's `keyring` library uses (org.freedesktop.Secret.Generic with the attributes
   `service` and `username`), so passwords stored by the Python pec-cli are found and vice versa.
   DONT_MATCH_NAME: items stored by other tools under another schema name still match. */
static inline const SecretSchema *pec_secret_schema(void) {
    static const SecretSchema schema = {
        "org.freedesktop.Secret.Generic", SECRET_SCHEMA_DONT_MATCH_NAME,
        {
            { "service", SECRET_SCHEMA_ATTRIBUTE_STRING },
            { "username", SECRET_SCHEMA_ATTRIBUTE_STRING },
            { NULL, 0 },
        }
    };
    return &schema;
}

/* secret_password_{store,lookup,clear}_sync are C-variadic (NULL-terminated attribute lists):
   Swift cannot call them, so they are wrapped here. */
static inline gboolean pec_secret_store(const char *service, const char *username,
                                        const char *label, const char *password, GError **error) {
    return secret_password_store_sync(pec_secret_schema(), SECRET_COLLECTION_DEFAULT,
                                      label, password, NULL, error,
                                      "service", service, "username", username, NULL);
}

/* Returns NULL when not found (error stays NULL); free the result with secret_password_free. */
static inline gchar *pec_secret_lookup(const char *service, const char *username, GError **error) {
    return secret_password_lookup_sync(pec_secret_schema(), NULL, error,
                                       "service", service, "username", username, NULL);
}

static inline gboolean pec_secret_clear(const char *service, const char *username, GError **error) {
    return secret_password_clear_sync(pec_secret_schema(), NULL, error,
                                       "service", service, "username", username, NULL);
}

/* The libsecret version the build compiled against (for `pec --version --verbose`). */
static inline unsigned pec_secret_major_version(void) { return SECRET_MAJOR_VERSION; }
static inline unsigned pec_secret_minor_version(void) { return SECRET_MINOR_VERSION; }
static inline unsigned pec_secret_micro_version(void) { return SECRET_MICRO_VERSION; }
#endif
