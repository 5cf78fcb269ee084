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
 * - Objects made by a `_new` or `_open` function are owned by the caller and released with
 *   the matching `_free`, which accepts NULL. Nothing else transfers ownership, except the
 *   keystore callbacks' `ctx` (see ztm_options_set_keystore).
 * - No C++ exception ever crosses this ABI: an unexpected one becomes ZTM_ERR_INTERNAL.
 *
 * Threading: a ztm_client is thread-safe, like ztm::Client. Any number of threads may call
 * ztm_call, ztm_register, ztm_sign_in, ztm_logout and the accessors on one client at the same
 * time; concurrent calls share one token refresh. ztm_client_free must not run concurrently
 * with any other use of that client. A ztm_options or ztm_response is not synchronised: use
 * one from one thread at a time (distinct objects may be used on distinct threads). */
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

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* ZTM_ZTM_H_ */
