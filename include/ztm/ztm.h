/* ztm.h: libztm's C ABI, for apps and language bindings (Swift, Kotlin/JNI) that cannot use
 * the C++ API in ztm/client.h. It wraps ztm::Client one to one: open a client on a data
 * directory, register the device once, sign in, make signed calls to the gateway, log out.
 *
 *   ztm_options* options = ztm_options_new();
 *   ztm_options_set_gateway_url(options, "https://api.example.com");
 *   ztm_options_set_data_directory(options, app_data_dir);
 *   const char* pins[] = {"sha256/...live...", "sha256/...backup..."};
 *   ztm_options_add_pin(options, "api.example.com", pins, 2, 0, 0, 0, NULL);
 *   ztm_options_set_passphrase(options, passphrase, passphrase_len);
 *   ztm_client* client = NULL;
 *   ztm_status status = ztm_client_open(options, &client);
 *   ztm_options_free(options);
 *   if (status == ZTM_OK) status = ztm_register(client);
 *   if (status == ZTM_OK) status = ztm_sign_in(client, user, password);
 *   ztm_response* response = NULL;
 *   if (status == ZTM_OK) status = ztm_call(client, "GET", "/api/orders", NULL, 0,
 *                                            NULL, NULL, 0, &response);
 *   ...
 *   ztm_response_free(response);
 *   ztm_client_free(client);
 *
 * Conventions (after BoringSSL's and libsodium's):
 * - Every fallible function returns a ztm_status. ZTM_OK is 0; the values are stable and never
 *   renumbered. The precise reason of the calling thread's last failure is available from
 *   ztm_last_error_code() and ztm_last_error_message().
 * - Strings passed in are NUL-terminated UTF-8 and only borrowed for the duration of the call.
 *   Byte buffers are a pointer plus a size_t length; the pointer may be NULL when the length is
 *   0.
 * - Outputs go into caller-owned buffers with the two-call pattern: pass `capacity` and
 *   `needed`; when the buffer is too small the function returns ZTM_ERR_BUFFER_TOO_SMALL,
 *   writes nothing into the buffer and sets *needed to the size required (strings: including
 *   the terminating NUL). Call with (NULL, 0, &needed) to ask for the size.
 * - Objects made by a `_new` or `_open` function, ztm_call or ztm_query are owned by the
 *   caller and released with the matching `_free`, which accepts NULL. Nothing else transfers
 *   ownership, except the `ctx` of the keystore callbacks and of the attestation provider
 *   (see ztm_options_set_keystore and ztm_options_set_attestation_provider).
 * - No C++ exception ever crosses this ABI: an unexpected one becomes ZTM_ERR_INTERNAL.
 *
 * Threading: a ztm_client is thread-safe, like ztm::Client. Any number of threads may call
 * ztm_call, ztm_register, ztm_sign_in, ztm_logout and the accessors on one client at the same
 * time; concurrent calls share one token refresh. ztm_client_free must not run concurrently
 * with any other use of that client. A ztm_options, ztm_response, ztm_sql_params or ztm_rows
 * is not synchronised: use one from one thread at a time (distinct objects may be used on
 * distinct threads). */
#ifndef ZTM_ZTM_H_
#define ZTM_ZTM_H_

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__) || defined(__clang__)
#define ZTM_EXPORT __attribute__((visibility("default")))
#define ZTM_MUST_USE __attribute__((warn_unused_result))
#else
#define ZTM_EXPORT
#define ZTM_MUST_USE
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ztm_status is the outcome of a call, grouped into what an app does about it. The values are
 * part of the ABI: they are never renumbered or reused, and new ones are only appended. A
 * binding should treat an unknown value like ZTM_ERR_INTERNAL. */
typedef enum ztm_status {
  /* Success. */
  ZTM_OK = 0,
  /* An argument is NULL, malformed or refused (bad gateway URL, bad pin set, bad header):
   * a programming or configuration error. */
  ZTM_ERR_INVALID_ARGUMENT = 1,
  /* The caller's buffer is too small; *needed holds the size required. */
  ZTM_ERR_BUFFER_TOO_SMALL = 2,
  /* The device is not registered yet: call ztm_register. */
  ZTM_ERR_NOT_REGISTERED = 3,
  /* There is no session: call ztm_sign_in. */
  ZTM_ERR_NOT_SIGNED_IN = 4,
  /* The gateway ended the session (refresh token reuse, revocation): ask the user to sign in
   * again. */
  ZTM_ERR_SESSION_ENDED = 5,
  /* The gateway refused the operation (for example wrong credentials) or answered outside
   * the protocol. */
  ZTM_ERR_GATEWAY_REFUSED = 6,
  /* The server's certificate chain holds none of the pinned keys: possibly an interception.
   * Do not retry on this network. */
  ZTM_ERR_PIN_VALIDATION_FAILED = 7,
  /* The TLS handshake or certificate verification failed. */
  ZTM_ERR_TLS_FAILED = 8,
  /* The gateway could not be reached or the connection broke: retry later. */
  ZTM_ERR_NETWORK = 9,
  /* The connection or the exchange took too long: retry later. */
  ZTM_ERR_TIMEOUT = 10,
  /* The local key store or storage failed: wrong passphrase (code "kek_invalid"), tampered or
   * corrupt files ("vault_corrupt", "secure_item_tampered"), insecure permissions
   * ("key_store_insecure"), a keystore callback's error. */
  ZTM_ERR_STORAGE = 11,
  /* A key needs user presence (biometry, passcode) that was not confirmed. */
  ZTM_ERR_USER_PRESENCE_REQUIRED = 12,
  /* A failure the app cannot fix (a bug, an allocation failure, an unexpected exception). */
  ZTM_ERR_INTERNAL = 13,
  /* The requested item does not exist (for example a response header). */
  ZTM_ERR_NOT_FOUND = 14
} ztm_status;

/* ztm_status_name returns the enumerator's name, e.g. "ZTM_ERR_TIMEOUT", or "ZTM_ERR_UNKNOWN"
 * for a value this library does not define. The string is static. */
ZTM_EXPORT const char* ztm_status_name(ztm_status status);

/* ztm_last_error_code returns the stable snake_case code of the calling thread's last failed
 * ztm call, e.g. "kek_invalid" or "pin_validation_failed" (the names of ztm::CodeName, plus
 * "buffer_too_small" and "not_found" for the ABI's own outcomes), or "" if the thread's last
 * call succeeded. Every function returning ztm_status sets or clears it, except
 * ztm_last_error_message. The string is static. The error is kept per thread, like errno,
 * so concurrent calls on one client never see each other's errors. */
ZTM_EXPORT const char* ztm_last_error_code(void);

/* ztm_last_error_message copies the one-line message of the calling thread's last failure
 * ("" after a success) into `buffer` (two-call pattern). It leaves the last error unchanged.
 * Messages never contain secrets or tokens. */
ZTM_EXPORT ZTM_MUST_USE ztm_status ztm_last_error_message(char* buffer, size_t capacity,
                                                          size_t* needed);

/* ---- Options ---------------------------------------------------------------------------- */

/* ztm_options holds the settings of ztm_client_open (ztm::ClientOptions). */
typedef struct ztm_options ztm_options;

/* ztm_options_new returns empty options, or NULL if out of memory. Release with
 * ztm_options_free. */
ZTM_EXPORT ztm_options* ztm_options_new(void);

/* ztm_options_free wipes the passphrase held by `options` and releases them. NULL is
 * allowed. */
ZTM_EXPORT void ztm_options_free(ztm_options* options);

/* ztm_options_set_gateway_url sets the gateway's origin, e.g. "https://api.example.com"
 * (https only, no path; checked by ztm_client_open). */
ZTM_EXPORT ZTM_MUST_USE ztm_status ztm_options_set_gateway_url(ztm_options* options,
                                                               const char* url);

/* ztm_options_set_data_directory sets the directory holding the client's key store, secure
 * store and encrypted database (created 0700). */
ZTM_EXPORT ZTM_MUST_USE ztm_status ztm_options_set_data_directory(ztm_options* options,
                                                                  const char* path);

/* ztm_options_set_ca_file sets a PEM file of trust anchors used instead of the system's (a
 * private CA). NULL or "" means the system's. */
ZTM_EXPORT ZTM_MUST_USE ztm_status ztm_options_set_ca_file(ztm_options* options, const char* path);

/* ztm_options_set_passphrase copies the passphrase protecting the software key store
 * (Argon2id; 8 to 1024 bytes without NUL, checked by ztm_client_open). The copy is wiped when
 * replaced and by ztm_options_free; every copy ztm_client_open makes is wiped after use. The
 * caller wipes its own buffer. An empty passphrase (length 0) selects the Linux kernel keyring
 * instead. Ignored when a keystore is set. */
ZTM_EXPORT ZTM_MUST_USE ztm_status ztm_options_set_passphrase(ztm_options* options,
                                                              const uint8_t* passphrase,
                                                              size_t passphrase_len);

/* ztm_options_set_app_identity sets the app's id and version, sent in pin failure reports.
 * Either may be NULL to leave it empty. */
ZTM_EXPORT ZTM_MUST_USE ztm_status ztm_options_set_app_identity(ztm_options* options,
                                                                const char* app_id,
                                                                const char* app_version);

/* ztm_options_add_pin adds the pinned keys of `host`: `pin_count` SPKI pins
 * "sha256/<base64>", at least two (the live key and an offline backup). `expires` is the unix
 * time after which the pins are no longer enforced, or 0 for never. `include_subdomains` and
 * `report_only` are booleans (0 or 1). `report_uri` is the https URL that receives pin
 * failure reports, or NULL for none. The pin set is validated by ztm_client_open
 * (code "pin_set_invalid"). */
ZTM_EXPORT ZTM_MUST_USE ztm_status ztm_options_add_pin(ztm_options* options, const char* host,
                                                       const char* const* pins, size_t pin_count,
                                                       int64_t expires, int include_subdomains,
                                                       int report_only, const char* report_uri);

/* ---- Platform keystore ------------------------------------------------------------------ */

/* ztm_keystore_result is what a keystore callback returns. Values are stable. */
typedef enum ztm_keystore_result {
  ZTM_KEYSTORE_OK = 0,
  ZTM_KEYSTORE_NOT_FOUND = 1,              /* no key under this alias */
  ZTM_KEYSTORE_EXISTS = 2,                 /* a key has this alias (create never replaces) */
  ZTM_KEYSTORE_WRONG_KEY_TYPE = 3,         /* a sealing key used to sign, or the reverse */
  ZTM_KEYSTORE_USER_PRESENCE_REQUIRED = 4, /* the user did not confirm presence */
  ZTM_KEYSTORE_DECRYPT_FAILED = 5,         /* open: the sealed data fails authentication */
  ZTM_KEYSTORE_FAILED = 6                  /* any other failure */
} ztm_keystore_result;

/* Fixed sizes of keystore outputs. */
#define ZTM_P256_PUBLIC_KEY_BYTES 65 /* SEC1 uncompressed point: 0x04 || X || Y */
#define ZTM_P256_SIGNATURE_BYTES 64  /* ECDSA R || S, 32 bytes each, big-endian */
#define ZTM_SEAL_OVERHEAD_BYTES 28   /* AES-256-GCM nonce (12) + tag (16) */

/* ztm_keystore_callbacks lets a platform keystore (iOS Secure Enclave / Keychain, Android
 * Keystore) hold the device's keys instead of libztm's file key store. Keys are used by alias
 * (1 to 64 characters of [A-Za-z0-9._-], not starting with '.'); no callback ever returns
 * private or symmetric key material.
 *
 * Every callback receives `ctx` first and returns a ztm_keystore_result. All of them are
 * required. They are called from any thread that uses the client, possibly concurrently, and
 * must be thread-safe. They must not call back into libztm.
 *
 * Outputs: libztm passes a buffer of exactly the size the result must have, and the callback
 * sets *written to the number of bytes it wrote. libztm checks every output strictly and fails
 * cleanly (never trusting the callback) if *written is not that size, the public key is not an
 * uncompressed point on P-256, or a result code is unknown. */
typedef struct ztm_keystore_callbacks {
  /* Passed to every callback. */
  void* ctx;
  /* Called exactly once, when libztm no longer uses the callbacks (the options and every
   * client opened with them are freed). May be NULL. */
  void (*release)(void* ctx);

  /* create_signing_key generates a non-exportable P-256 key under `alias`; every use needs
   * user presence if `user_presence` is 1. */
  ztm_keystore_result (*create_signing_key)(void* ctx, const char* alias, int user_presence);
  /* signing_public_key writes the signing key's public key, ZTM_P256_PUBLIC_KEY_BYTES bytes
   * (SEC1 uncompressed, as SecKeyCopyExternalRepresentation gives it). */
  ztm_keystore_result (*signing_public_key)(void* ctx, const char* alias, uint8_t* public_key,
                                            size_t capacity, size_t* written);
  /* sign signs `message` (ECDSA P-256 with SHA-256 over the message) and writes R || S,
   * ZTM_P256_SIGNATURE_BYTES bytes. A platform API giving DER must be converted first. */
  ztm_keystore_result (*sign)(void* ctx, const char* alias, const uint8_t* message,
                              size_t message_len, uint8_t* signature, size_t capacity,
                              size_t* written);
  /* create_sealing_key generates a non-exportable AES-256-GCM key under `alias`. */
  ztm_keystore_result (*create_sealing_key)(void* ctx, const char* alias, int user_presence);
  /* seal encrypts `plaintext` with a fresh random 12-byte nonce, authenticating
   * `associated_data`, and writes nonce || ciphertext || tag (plaintext_len +
   * ZTM_SEAL_OVERHEAD_BYTES bytes). */
  ztm_keystore_result (*seal)(void* ctx, const char* alias, const uint8_t* plaintext,
                              size_t plaintext_len, const uint8_t* associated_data,
                              size_t associated_data_len, uint8_t* sealed, size_t capacity,
                              size_t* written);
  /* open reverses seal and writes the plaintext (sealed_len - ZTM_SEAL_OVERHEAD_BYTES
   * bytes), or returns ZTM_KEYSTORE_DECRYPT_FAILED, writing nothing, if authentication
   * fails. libztm wipes the plaintext after use. */
  ztm_keystore_result (*open)(void* ctx, const char* alias, const uint8_t* sealed,
                              size_t sealed_len, const uint8_t* associated_data,
                              size_t associated_data_len, uint8_t* plaintext, size_t capacity,
                              size_t* written);
  /* delete_key destroys the key `alias`; ZTM_KEYSTORE_NOT_FOUND if there is none. */
  ztm_keystore_result (*delete_key)(void* ctx, const char* alias);
  /* exists sets *exists to 1 if a key of either kind has `alias`, else 0. */
  ztm_keystore_result (*exists)(void* ctx, const char* alias, int* exists);
} ztm_keystore_callbacks;

/* ztm_options_set_keystore makes clients opened with `options` keep their keys in the
 * platform keystore behind `callbacks` (copied; `callbacks->ctx` is not). On success libztm
 * owns `ctx` and calls `release` once when done with it, also if the keystore is replaced by
 * another call. On failure (a callback pointer is NULL) nothing is taken. The passphrase is
 * then ignored. */
ZTM_EXPORT ZTM_MUST_USE ztm_status
ztm_options_set_keystore(ztm_options* options, const ztm_keystore_callbacks* callbacks);

/* ---- Platform attestation --------------------------------------------------------------- */

/* ztm_attestation_out receives the evidence an attestation callback produces. It exists only
 * during the callback: the callback must not keep the pointer. */
typedef struct ztm_attestation_out ztm_attestation_out;

/* Bounds of what ztm_attestation_set accepts. */
#define ZTM_ATTESTATION_MAX_FORMAT_BYTES 64      /* a format name, e.g. "apple-appattest" */
#define ZTM_ATTESTATION_MAX_EVIDENCE_BYTES 65536 /* base64 of an App Attest object: ~7 KB */

/* ztm_attestation_set stores the platform's evidence in `out`: `format` names the gateway's
 * verifier ("apple-appattest", "android-key", "play-integrity"; 1 to
 * ZTM_ATTESTATION_MAX_FORMAT_BYTES characters of [a-z0-9-]) and `evidence` is that format's
 * text encoding (base64 or a JWS), `evidence_len` bytes (1 to
 * ZTM_ATTESTATION_MAX_EVIDENCE_BYTES, printable ASCII). Both are copied. Called by an
 * attestation callback, at most once; a second call or invalid arguments fail with
 * ZTM_ERR_INVALID_ARGUMENT and leave `out` unchanged. */
ZTM_EXPORT ZTM_MUST_USE ztm_status ztm_attestation_set(ztm_attestation_out* out, const char* format,
                                                       const char* evidence, size_t evidence_len);

/* ztm_attestation_callback attests the device key with the platform (App Attest's
 * attestKey, Android Key Attestation, Play Integrity) during ztm_register. `challenge` is the
 * gateway's single-use challenge and `public_jwk_json` the device key's public JWK as JSON
 * (both NUL-terminated, valid only during the call): the evidence must bind them (App Attest:
 * clientDataHash over them). On success the callback calls ztm_attestation_set(out, ...) once
 * and returns ZTM_OK. Any other return value fails the registration with that status (a
 * status without a ztm::Code of its own, ZTM_ERR_BUFFER_TOO_SMALL, ZTM_ERR_NOT_FOUND or an
 * unknown value, becomes ZTM_ERR_INTERNAL) and the message "the platform attestation provider
 * failed". Returning ZTM_OK without calling ztm_attestation_set fails with
 * ZTM_ERR_INVALID_ARGUMENT. It runs on the thread calling ztm_register and may call no ztm
 * function other than ztm_attestation_set. */
typedef ztm_status (*ztm_attestation_callback)(void* ctx, const char* challenge,
                                               const char* public_jwk_json,
                                               ztm_attestation_out* out);

/* ztm_options_set_attestation_provider makes clients opened with `options` attest their
 * device key at registration through `callback` instead of libztm's `software` attestation
 * (which the gateway accepts only where its configuration allows it). On success libztm owns
 * `ctx` and calls `release(ctx)` (if not NULL) exactly once when done with it: when the
 * options and every client opened with them are freed, or the provider is replaced by another
 * call. On failure (`options` or `callback` NULL) nothing is taken. */
ZTM_EXPORT ZTM_MUST_USE ztm_status ztm_options_set_attestation_provider(
    ztm_options* options, ztm_attestation_callback callback, void* ctx, void (*release)(void* ctx));

/* ---- Client ----------------------------------------------------------------------------- */

/* ztm_client is an open libztm client (ztm::Client). */
typedef struct ztm_client ztm_client;

/* ztm_client_open opens or creates the client's state in the options' data directory and sets
 * *out to a new client, released with ztm_client_free. `options` is only read: it may be
 * freed right after. On failure *out is set to NULL. Fails with ZTM_ERR_INVALID_ARGUMENT (bad
 * options, "pin_set_invalid") or ZTM_ERR_STORAGE ("kek_invalid" for a wrong passphrase,
 * "vault_corrupt", "key_store_insecure"). */
ZTM_EXPORT ZTM_MUST_USE ztm_status ztm_client_open(const ztm_options* options, ztm_client** out);

/* ztm_client_free closes `client` (its state stays on disk) and releases it. NULL is allowed.
 * WARNING: no other call may use `client` concurrently or afterwards. */
ZTM_EXPORT void ztm_client_free(ztm_client* client);

/* ztm_register registers this device with the gateway (the device key signs the gateway's
 * challenge). Does nothing if the device is registered already. */
ZTM_EXPORT ZTM_MUST_USE ztm_status ztm_register(ztm_client* client);

/* ztm_is_registered returns 1 if the device is registered, 0 if not or `client` is NULL. */
ZTM_EXPORT int ztm_is_registered(const ztm_client* client);

/* ztm_device_id copies the gateway's id for this device into `buffer` (two-call pattern).
 * Fails with ZTM_ERR_NOT_REGISTERED before ztm_register. */
ZTM_EXPORT ZTM_MUST_USE ztm_status ztm_device_id(const ztm_client* client, char* buffer,
                                                 size_t capacity, size_t* needed);

/* ztm_sign_in signs in with the gateway's user store. Fails with ZTM_ERR_NOT_REGISTERED,
 * ZTM_ERR_GATEWAY_REFUSED (wrong credentials), or a transport status. */
ZTM_EXPORT ZTM_MUST_USE ztm_status ztm_sign_in(ztm_client* client, const char* username,
                                               const char* password);

/* ztm_is_signed_in returns 1 if the client has a session, 0 if not or `client` is NULL. */
ZTM_EXPORT int ztm_is_signed_in(const ztm_client* client);

/* ztm_response is the answer of a ztm_call. */
typedef struct ztm_response ztm_response;

/* ztm_call calls the protected API: `path` (with its query, starting with '/') on the
 * gateway's origin, signed with the device key. `body` is `body_len` bytes (NULL if 0).
 * `header_names` and `header_values` are parallel arrays of `header_count` extra request
 * headers (both NULL if 0). On success *out is a new response (any HTTP status is a
 * response), released with ztm_response_free; on failure *out is NULL. Fails with
 * ZTM_ERR_NOT_REGISTERED, ZTM_ERR_NOT_SIGNED_IN, ZTM_ERR_SESSION_ENDED (sign in again), or a
 * transport status. */
ZTM_EXPORT ZTM_MUST_USE ztm_status ztm_call(ztm_client* client, const char* method,
                                            const char* path, const uint8_t* body, size_t body_len,
                                            const char* const* header_names,
                                            const char* const* header_values, size_t header_count,
                                            ztm_response** out);

/* ztm_response_status returns the HTTP status code of `response`, or 0 if it is NULL. */
ZTM_EXPORT int ztm_response_status(const ztm_response* response);

/* ztm_response_header copies the value of the response header `name` (matched without regard
 * to case) into `buffer` (two-call pattern). Fails with ZTM_ERR_NOT_FOUND if the response has
 * no such header. */
ZTM_EXPORT ZTM_MUST_USE ztm_status ztm_response_header(const ztm_response* response,
                                                       const char* name, char* buffer,
                                                       size_t capacity, size_t* needed);

/* ztm_response_body copies the response body into `buffer` (two-call pattern; bytes, not a
 * string: no NUL is added and *needed is the exact body length). */
ZTM_EXPORT ZTM_MUST_USE ztm_status ztm_response_body(const ztm_response* response, uint8_t* buffer,
                                                     size_t capacity, size_t* needed);

/* ztm_response_free releases `response`. NULL is allowed. */
ZTM_EXPORT void ztm_response_free(ztm_response* response);

/* ztm_session_ended_callback is told that the gateway ended the session on its own (refresh
 * token reuse detected, revocation): `status` is ZTM_ERR_SESSION_ENDED and `reason` a one-line
 * message, valid only during the call. */
typedef void (*ztm_session_ended_callback)(void* ctx, ztm_status status, const char* reason);

/* ztm_set_session_ended_callback sets the function called once when the gateway ends the
 * session (replacing any previous one; NULL removes it). It runs on the thread whose call
 * found out, outside the client's locks: it may call ztm functions on `client` but must not
 * free it. `ctx` is borrowed and must stay valid until the callback is replaced or the client
 * is freed. */
ZTM_EXPORT ZTM_MUST_USE ztm_status
ztm_set_session_ended_callback(ztm_client* client, ztm_session_ended_callback callback, void* ctx);

/* ztm_logout ends the session at the gateway and wipes everything the client stored (tokens,
 * secure store, encrypted database, device keys). The device must register again afterwards.
 * The local wipe happens even when the gateway cannot be reached; that error is returned
 * after it. */
ZTM_EXPORT ZTM_MUST_USE ztm_status ztm_logout(ztm_client* client);

/* ---- Encrypted database ----------------------------------------------------------------- */

/* The app's offline data lives in an SQLCipher database in the data directory (every page
 * encrypted and authenticated, under a random 256-bit key kept in the secure store), opened
 * at first use and deleted with its key by ztm_logout. One SQL statement per call; its
 * ?-placeholders are bound, in order, to a ztm_sql_params list. Never build SQL by pasting
 * values into it: bind them.
 *
 *   ztm_sql_params* params = ztm_sql_params_new();
 *   ztm_sql_params_add_text(params, "carol", 5);
 *   ztm_rows* rows = NULL;
 *   ztm_status status = ztm_query(client, "SELECT id, note FROM notes WHERE owner = ?",
 *                                 params, &rows);
 *   ztm_sql_params_free(params);
 *   for (size_t r = 0; status == ZTM_OK && r < ztm_rows_count(rows); ++r) { ... }
 *   ztm_rows_free(rows); */

/* ztm_sql_type is the storage class of a value (SQLite's five). Values are stable. */
typedef enum ztm_sql_type {
  ZTM_SQL_NULL = 0,
  ZTM_SQL_INT64 = 1,  /* INTEGER */
  ZTM_SQL_DOUBLE = 2, /* REAL */
  ZTM_SQL_TEXT = 3,
  ZTM_SQL_BLOB = 4
} ztm_sql_type;

/* Bounds of a parameter list. */
#define ZTM_SQL_MAX_PARAMETERS 999 /* SQLite 3.15 (SQLCipher 3.4) binds no more per statement */
#define ZTM_SQL_MAX_VALUE_BYTES 1000000000 /* SQLite's SQLITE_MAX_LENGTH: nothing longer binds */

/* ztm_sql_params is an ordered list of values for a statement's ?-placeholders. */
typedef struct ztm_sql_params ztm_sql_params;

/* ztm_sql_params_new returns an empty list, or NULL if out of memory. Release with
 * ztm_sql_params_free. */
ZTM_EXPORT ztm_sql_params* ztm_sql_params_new(void);

/* ztm_sql_params_free wipes the text and blob values held by `params` and releases it. NULL
 * is allowed. */
ZTM_EXPORT void ztm_sql_params_free(ztm_sql_params* params);

/* ztm_sql_params_count returns the number of values in `params`, or 0 if it is NULL. */
ZTM_EXPORT size_t ztm_sql_params_count(const ztm_sql_params* params);

/* ztm_sql_params_add_null, _add_int64, _add_double, _add_text and _add_blob append one value
 * to `params`. Text is `text_len` bytes of UTF-8 (no NUL needed; an embedded NUL is kept) and
 * a blob `blob_len` bytes, both copied; the pointer may be NULL when the length is 0 (an
 * empty text or blob, not SQL NULL). Fail with ZTM_ERR_INVALID_ARGUMENT, leaving `params`
 * unchanged, past ZTM_SQL_MAX_PARAMETERS values, for a value longer than
 * ZTM_SQL_MAX_VALUE_BYTES, or for a NaN double (SQLite would store it as NULL). */
ZTM_EXPORT ZTM_MUST_USE ztm_status ztm_sql_params_add_null(ztm_sql_params* params);
ZTM_EXPORT ZTM_MUST_USE ztm_status ztm_sql_params_add_int64(ztm_sql_params* params, int64_t value);
ZTM_EXPORT ZTM_MUST_USE ztm_status ztm_sql_params_add_double(ztm_sql_params* params, double value);
ZTM_EXPORT ZTM_MUST_USE ztm_status ztm_sql_params_add_text(ztm_sql_params* params, const char* text,
                                                           size_t text_len);
ZTM_EXPORT ZTM_MUST_USE ztm_status ztm_sql_params_add_blob(ztm_sql_params* params,
                                                           const uint8_t* blob, size_t blob_len);

/* ztm_exec runs one statement `sql` (CREATE, INSERT, UPDATE, DELETE...) with `params` bound
 * to its placeholders (NULL: no parameters). `params` is only read and may be reused. Fails
 * with ZTM_ERR_STORAGE: "database_query_failed" (syntax, constraint, a parameter count that
 * does not match the placeholders, more than one statement), "database_key_invalid" or
 * "database_not_encrypted" (a database that is not this client's). */
ZTM_EXPORT ZTM_MUST_USE ztm_status ztm_exec(ztm_client* client, const char* sql,
                                            const ztm_sql_params* params);

/* ztm_rows is the result of a ztm_query: a table of ztm_rows_count rows of ztm_rows_columns
 * values each. */
typedef struct ztm_rows ztm_rows;

/* ztm_query runs one statement `sql` (a SELECT) like ztm_exec and sets *out to its rows,
 * released with ztm_rows_free; on failure *out is NULL. Fails like ztm_exec, or with
 * ZTM_ERR_INVALID_ARGUMENT ("input_too_large") beyond 10000 rows: page with LIMIT. */
ZTM_EXPORT ZTM_MUST_USE ztm_status ztm_query(ztm_client* client, const char* sql,
                                             const ztm_sql_params* params, ztm_rows** out);

/* ztm_rows_count returns the number of rows, or 0 if `rows` is NULL. */
ZTM_EXPORT size_t ztm_rows_count(const ztm_rows* rows);

/* ztm_rows_columns returns the number of values in each row, or 0 if `rows` is NULL or has
 * no row. */
ZTM_EXPORT size_t ztm_rows_columns(const ztm_rows* rows);

/* ztm_rows_type sets *type to the storage class of the value at (`row`, `column`), both
 * counted from 0. Every accessor below fails with ZTM_ERR_NOT_FOUND (code "not_found") when
 * `row` or `column` is out of range, like ztm_response_header for a missing header. */
ZTM_EXPORT ZTM_MUST_USE ztm_status ztm_rows_type(const ztm_rows* rows, size_t row, size_t column,
                                                 ztm_sql_type* type);

/* ztm_rows_int64 and ztm_rows_double set *value to an INTEGER or REAL value. A value of
 * another type (NULL included) fails with ZTM_ERR_INVALID_ARGUMENT: nothing is converted. */
ZTM_EXPORT ZTM_MUST_USE ztm_status ztm_rows_int64(const ztm_rows* rows, size_t row, size_t column,
                                                  int64_t* value);
ZTM_EXPORT ZTM_MUST_USE ztm_status ztm_rows_double(const ztm_rows* rows, size_t row, size_t column,
                                                   double* value);

/* ztm_rows_text copies a TEXT value into `buffer` (two-call pattern; a NUL is added, and
 * *needed - 1 is the text's length, which counts any embedded NUL). ztm_rows_blob copies a
 * BLOB value (no NUL added; *needed is its exact length). A value of another type fails with
 * ZTM_ERR_INVALID_ARGUMENT. */
ZTM_EXPORT ZTM_MUST_USE ztm_status ztm_rows_text(const ztm_rows* rows, size_t row, size_t column,
                                                 char* buffer, size_t capacity, size_t* needed);
ZTM_EXPORT ZTM_MUST_USE ztm_status ztm_rows_blob(const ztm_rows* rows, size_t row, size_t column,
                                                 uint8_t* buffer, size_t capacity, size_t* needed);

/* ztm_rows_free wipes the text and blob values held by `rows` and releases it. NULL is
 * allowed. */
ZTM_EXPORT void ztm_rows_free(ztm_rows* rows);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* ZTM_ZTM_H_ */
