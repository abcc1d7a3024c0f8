#define _GNU_SOURCE /* dladdr, explicit_bzero */
#include "pec_secret.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* GLib and libsecret types, as their public headers define them (stable ABI since libsecret 0.18):
   declared here so nothing links against them. */
typedef int gboolean;
typedef unsigned int GQuark;
typedef struct {
    GQuark domain;
    int code;
    char *message;
} GError;
typedef struct {
    const char *name;
    int type; /* SecretSchemaAttributeType: 0 = SECRET_SCHEMA_ATTRIBUTE_STRING */
} SecretSchemaAttribute;
typedef struct {
    const char *name;
    int flags; /* SecretSchemaFlags */
    SecretSchemaAttribute attributes[32];
    int reserved;
    void *reserved1, *reserved2, *reserved3, *reserved4, *reserved5, *reserved6, *reserved7;
} SecretSchema;

enum {
    SECRET_SCHEMA_DONT_MATCH_NAME = 1 << 1,
    SECRET_SCHEMA_ATTRIBUTE_STRING = 0,
    G_BUS_TYPE_SESSION = 2,
    G_DBUS_CALL_FLAGS_NO_AUTO_START = 1 << 0,
    G_IO_ERROR_CANCELLED = 19,
};

/* The schema Python's `keyring` library uses (org.freedesktop.Secret.Generic with the attributes
   `service` and `username`), so passwords stored by the Python pec-cli are found and vice versa.
   DONT_MATCH_NAME: items stored by other tools under another schema name still match. */
static const SecretSchema schema = {
    "org.freedesktop.Secret.Generic", SECRET_SCHEMA_DONT_MATCH_NAME,
    {
        {"service", SECRET_SCHEMA_ATTRIBUTE_STRING},
        {"username", SECRET_SCHEMA_ATTRIBUTE_STRING},
        {NULL, 0},
    },
    0, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
};

static struct {
    void *handle;
    const char *failure;
    char path[4096];
    void *(*cancellable_new)(void);
    void (*cancellable_cancel)(void *);
    void *(*object_ref)(void *);
    void (*object_unref)(void *);
    void (*error_free)(GError *);
    GQuark (*io_error_quark)(void);
    gboolean (*store)(const SecretSchema *, const char *, const char *, const char *, void *, GError **, ...);
    char *(*lookup)(const SecretSchema *, void *, GError **, ...);
    gboolean (*clear)(const SecretSchema *, void *, GError **, ...);
    void (*password_free)(char *);
    void *(*bus_get)(int, void *, GError **);
    void *(*variant_new)(const char *, ...);
    void *(*call)(void *, const char *, const char *, const char *, const char *, void *, const char *, int, int,
                  void *, GError **);
    void (*variant_get)(void *, const char *, ...);
    void (*variant_unref)(void *);
    gboolean (*iter_loop)(void *, const char *, ...);
    void (*iter_free)(void *);
} lib;

static pthread_once_t load_once = PTHREAD_ONCE_INIT;

#define BIND(field, name)                                                                                    \
    do {                                                                                                     \
        *(void **)(&lib.field) = dlsym(lib.handle, name);                                                    \
        if (lib.field == NULL) {                                                                             \
            lib.failure = "libsecret-1.so.0 lacks " name;                                                    \
            return;                                                                                          \
        }                                                                                                    \
    } while (0)

static void load(void) {
    /* dlsym on the handle also finds the GLib, GObject and GIO functions libsecret depends on. */
    lib.handle = dlopen("libsecret-1.so.0", RTLD_NOW | RTLD_LOCAL);
    if (lib.handle == NULL) {
        lib.failure = "libsecret-1.so.0 is not installed (Debian: apt-get install libsecret-1-0)";
        return;
    }
    BIND(cancellable_new, "g_cancellable_new");
    BIND(cancellable_cancel, "g_cancellable_cancel");
    BIND(object_ref, "g_object_ref");
    BIND(object_unref, "g_object_unref");
    BIND(error_free, "g_error_free");
    BIND(io_error_quark, "g_io_error_quark");
    BIND(store, "secret_password_store_sync");
    BIND(lookup, "secret_password_lookup_sync");
    BIND(clear, "secret_password_clear_sync");
    BIND(password_free, "secret_password_free");
    BIND(bus_get, "g_bus_get_sync");
    BIND(variant_new, "g_variant_new");
    BIND(call, "g_dbus_connection_call_sync");
    BIND(variant_get, "g_variant_get");
    BIND(variant_unref, "g_variant_unref");
    BIND(iter_loop, "g_variant_iter_loop");
    BIND(iter_free, "g_variant_iter_free");
    Dl_info info;
    if (dladdr(*(void **)(&lib.lookup), &info) != 0 && info.dli_fname != NULL) {
        strncpy(lib.path, info.dli_fname, sizeof lib.path - 1);
    }
}

const char *pec_secret_load(void) {
    pthread_once(&load_once, load);
    return lib.failure;
}

const char *pec_secret_library_path(void) {
    return (lib.handle != NULL && lib.failure == NULL && lib.path[0] != '\0') ? lib.path : NULL;
}

static int loaded(char **message) {
    const char *failure = pec_secret_load();
    if (failure == NULL) return 1;
    if (message != NULL) *message = strdup(failure);
    return 0;
}

/* Moves a GError into a malloc'd message and a cancellation flag. */
static void take(GError *error, char **message, int *cancelled) {
    if (error == NULL) return;
    if (cancelled != NULL) {
        *cancelled = error->domain == lib.io_error_quark() && error->code == G_IO_ERROR_CANCELLED;
    }
    if (message != NULL) *message = strdup(error->message != NULL ? error->message : "unknown error");
    lib.error_free(error);
}

pec_secret_cancellable *pec_secret_cancellable_new(void) {
    if (pec_secret_load() != NULL) return NULL;
    return lib.cancellable_new();
}

pec_secret_cancellable *pec_secret_cancellable_ref(pec_secret_cancellable *cancellable) {
    return lib.object_ref(cancellable);
}

void pec_secret_cancellable_unref(pec_secret_cancellable *cancellable) { lib.object_unref(cancellable); }

void pec_secret_cancellable_cancel(pec_secret_cancellable *cancellable) { lib.cancellable_cancel(cancellable); }

int pec_secret_store(const char *service, const char *username, const char *label, const char *password,
                     pec_secret_cancellable *cancellable, char **message, int *cancelled) {
    if (!loaded(message)) return 0;
    GError *error = NULL;
    gboolean ok = lib.store(&schema, "default", label, password, cancellable, &error, "service", service,
                            "username", username, (char *)NULL);
    take(error, message, cancelled);
    return ok ? 1 : 0;
}

char *pec_secret_lookup(const char *service, const char *username, pec_secret_cancellable *cancellable,
                        char **message, int *cancelled) {
    if (!loaded(message)) return NULL;
    GError *error = NULL;
    char *secret = lib.lookup(&schema, cancellable, &error, "service", service, "username", username, (char *)NULL);
    take(error, message, cancelled);
    if (secret == NULL) return NULL;
    char *copy = strdup(secret);
    lib.password_free(secret); /* clears the bytes it held */
    return copy;
}

int pec_secret_clear(const char *service, const char *username, pec_secret_cancellable *cancellable,
                     char **message, int *cancelled) {
    if (!loaded(message)) return 0;
    GError *error = NULL;
    gboolean removed = lib.clear(&schema, cancellable, &error, "service", service, "username", username, (char *)NULL);
    take(error, message, cancelled);
    return removed ? 1 : 0;
}

int pec_secret_service_probe(int timeout_ms, pec_secret_cancellable *cancellable, char **message, int *cancelled) {
    if (!loaded(message)) return -1;
    GError *error = NULL;
    void *bus = lib.bus_get(G_BUS_TYPE_SESSION, cancellable, &error);
    if (bus == NULL) {
        take(error, message, cancelled);
        return -1;
    }
    void *reply = lib.call(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                           "NameHasOwner", lib.variant_new("(s)", "org.freedesktop.secrets"), "(b)",
                           G_DBUS_CALL_FLAGS_NO_AUTO_START, timeout_ms, cancellable, &error);
    if (reply == NULL) {
        take(error, message, cancelled);
        lib.object_unref(bus);
        return -1;
    }
    gboolean owned = 0;
    lib.variant_get(reply, "(b)", &owned);
    lib.variant_unref(reply);
    if (owned) {
        lib.object_unref(bus);
        return 1;
    }
    reply = lib.call(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                     "ListActivatableNames", NULL, "(as)", G_DBUS_CALL_FLAGS_NO_AUTO_START, timeout_ms, cancellable,
                     &error);
    if (reply == NULL) {
        take(error, message, cancelled);
        lib.object_unref(bus);
        return -1;
    }
    int result = 0;
    void *names = NULL;
    const char *name = NULL;
    lib.variant_get(reply, "(as)", &names);
    while (lib.iter_loop(names, "&s", &name)) {
        if (name != NULL && strcmp(name, "org.freedesktop.secrets") == 0) result = 2;
    }
    lib.iter_free(names);
    lib.variant_unref(reply);
    lib.object_unref(bus);
    return result;
}

void pec_secret_free(char *string) {
    if (string == NULL) return;
    explicit_bzero(string, strlen(string));
    free(string);
}
