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

/* The same three calls with a GCancellable, so a caller can bound them: libsecret's sync calls
   wait on D-Bus (default timeout 25 s) and on unlock prompts, and cancelling makes them return
   G_IO_ERROR_CANCELLED at once. g_cancellable_cancel is thread-safe. */
static inline gboolean pec_secret_store_cancellable(const char *service, const char *username,
                                                    const char *label, const char *password,
                                                    GCancellable *cancellable, GError **error) {
    return secret_password_store_sync(pec_secret_schema(), SECRET_COLLECTION_DEFAULT,
                                      label, password, cancellable, error,
                                      "service", service, "username", username, NULL);
}

static inline gchar *pec_secret_lookup_cancellable(const char *service, const char *username,
                                                   GCancellable *cancellable, GError **error) {
    return secret_password_lookup_sync(pec_secret_schema(), cancellable, error,
                                       "service", service, "username", username, NULL);
}

static inline gboolean pec_secret_clear_cancellable(const char *service, const char *username,
                                                    GCancellable *cancellable, GError **error) {
    return secret_password_clear_sync(pec_secret_schema(), cancellable, error,
                                      "service", service, "username", username, NULL);
}

/* Whether the session bus has a Secret Service, asked cheaply before libsecret is used (libsecret
   itself may autolaunch a bus or activate a keyring daemon and wait a long time).
   Returns 1 when org.freedesktop.secrets has an owner, 2 when it is only activatable, 0 when
   neither, -1 when the session bus cannot be reached (error is set). Each D-Bus call waits at most
   timeout_ms; the cancellable bounds the connection. */
static inline int pec_secret_service_probe(int timeout_ms, GCancellable *cancellable, GError **error) {
    GDBusConnection *bus = g_bus_get_sync(G_BUS_TYPE_SESSION, cancellable, error);
    if (bus == NULL) return -1;
    int result = 0;
    GVariant *reply = g_dbus_connection_call_sync(
        bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus", "NameHasOwner",
        g_variant_new("(s)", "org.freedesktop.secrets"), G_VARIANT_TYPE("(b)"),
        G_DBUS_CALL_FLAGS_NO_AUTO_START, timeout_ms, cancellable, error);
    if (reply == NULL) { g_object_unref(bus); return -1; }
    gboolean owned = FALSE;
    g_variant_get(reply, "(b)", &owned);
    g_variant_unref(reply);
    if (owned) { g_object_unref(bus); return 1; }
    reply = g_dbus_connection_call_sync(
        bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
        "ListActivatableNames", NULL, G_VARIANT_TYPE("(as)"), G_DBUS_CALL_FLAGS_NO_AUTO_START,
        timeout_ms, cancellable, error);
    if (reply == NULL) { g_object_unref(bus); return -1; }
    GVariantIter *names = NULL;
    const gchar *name = NULL;
    g_variant_get(reply, "(as)", &names);
    while (g_variant_iter_loop(names, "&s", &name)) {
        if (g_strcmp0(name, "org.freedesktop.secrets") == 0) { result = 2; }
    }
    g_variant_iter_free(names);
    g_variant_unref(reply);
    g_object_unref(bus);
    return result;
}

/* The libsecret version the build compiled against (for `pec --version --verbose`). */
static inline unsigned pec_secret_major_version(void) { return SECRET_MAJOR_VERSION; }
static inline unsigned pec_secret_minor_version(void) { return SECRET_MINOR_VERSION; }
static inline unsigned pec_secret_micro_version(void) { return SECRET_MICRO_VERSION; }
#endif
