#ifndef PEC_SECRET_H
#define PEC_SECRET_H

/* The Secret Service through libsecret, loaded with dlopen on first use: linking it would load
   libsecret, GLib, GObject, GIO, libgcrypt, libmount, libselinux and libpcre2 at the start of every
   command, `pec --version` included, while only a password lookup needs them.

   Every call returns its outcome and, on failure, a message (free it with pec_secret_free) and
   whether the failure was a cancellation (the caller's deadline). */

/* A GCancellable, opaque to the caller. */
typedef struct pec_secret_cancellable pec_secret_cancellable;

/* NULL when libsecret is loaded (or was already), else why not (a static string). */
const char *pec_secret_load(void);

/* The file libsecret was loaded from, or NULL when it is not loaded. */
const char *pec_secret_library_path(void);

/* New cancellable with one reference; NULL when libsecret is not loaded. */
pec_secret_cancellable *pec_secret_cancellable_new(void);
pec_secret_cancellable *pec_secret_cancellable_ref(pec_secret_cancellable *cancellable);
void pec_secret_cancellable_unref(pec_secret_cancellable *cancellable);
/* Thread-safe: may be called from a timer thread while a call waits. */
void pec_secret_cancellable_cancel(pec_secret_cancellable *cancellable);

/* 1 stored, 0 failed (message set). */
int pec_secret_store(const char *service, const char *username, const char *label, const char *password,
                     pec_secret_cancellable *cancellable, char **message, int *cancelled);

/* The password (free with pec_secret_free), or NULL: not found when *message stays NULL. */
char *pec_secret_lookup(const char *service, const char *username, pec_secret_cancellable *cancellable,
                        char **message, int *cancelled);

/* 1 removed, 0 nothing to remove or failed (message set on failure). */
int pec_secret_clear(const char *service, const char *username, pec_secret_cancellable *cancellable,
                     char **message, int *cancelled);

/* Whether the session bus has a Secret Service, asked cheaply before libsecret is used (libsecret
   itself may autolaunch a bus or activate a keyring daemon and wait a long time).
   1 when org.freedesktop.secrets has an owner, 2 when it is only activatable, 0 when neither,
   -1 when the session bus cannot be reached (message set). Each D-Bus call waits at most timeout_ms;
   the cancellable bounds the connection. */
int pec_secret_service_probe(int timeout_ms, pec_secret_cancellable *cancellable, char **message, int *cancelled);

/* Frees a password or a message; zeroes a password's bytes first. */
void pec_secret_free(char *string);

#endif
