/* ztm_c_flow: an app's whole libztm flow written in C99 against include/ztm/ztm.h only, as a
 * Swift or Kotlin binding would drive it: open, register, sign in, a signed GET and POST whose
 * answers are read through caller buffers (including the ZTM_ERR_BUFFER_TOO_SMALL round), a
 * table in the encrypted database written with bound parameters and read back through caller
 * buffers, logout, and a check that the data directory holds no file afterwards.
 *
 *   ztm_c_flow <gateway_url> <ca_file> <pin1> <pin2> <data_dir> <username> <password>
 *
 * Prints one line per step ("<step> ok ...") and exits 0, or prints "FAIL <step>: <status>
 * <code>: <message>" and exits 1 (2 for a usage error). */
#define _POSIX_C_SOURCE 200809L

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "ztm/ztm.h"

/* The passphrase of the software key store; a real app takes it from the user or the
 * platform's secret storage. */
static const char kPassphrase[] = "ztm c flow passphrase";

/* A host name fits in this (RFC 1035 §2.3.4: 253 characters). */
#define MAX_HOST_BYTES 256

static int Fail(const char* step, ztm_status status) {
  char message[512];
  size_t needed = 0;
  if (ztm_last_error_message(message, sizeof(message), &needed) != ZTM_OK) {
    strcpy(message, "(message too long)");
  }
  printf("FAIL %s: %s %s: %s\n", step, ztm_status_name(status), ztm_last_error_code(), message);
  return 1;
}

static int FailWith(const char* step, const char* reason) {
  printf("FAIL %s: %s\n", step, reason);
  return 1;
}

/* Copies the host of "https://host[:port]" into `host`. */
static int HostOf(const char* url, char* host, size_t capacity) {
  const char* scheme = "https://";
  const char* start;
  size_t length;
  if (strncmp(url, scheme, strlen(scheme)) != 0) return 0;
  start = url + strlen(scheme);
  length = strcspn(start, ":/");
  if (length == 0 || length >= capacity) return 0;
  memcpy(host, start, length);
  host[length] = '\0';
  return 1;
}

/* Counts the regular files under `path`, recursively (symlinks are not followed). Returns -1
 * if a directory cannot be read. */
static long CountRegularFiles(const char* path) {
  DIR* dir = opendir(path);
  struct dirent* entry;
  long count = 0;
  if (dir == NULL) return -1;
  while ((entry = readdir(dir)) != NULL) {
    char child[4096];
    struct stat info;
    int written;
    if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0) continue;
    written = snprintf(child, sizeof(child), "%s/%s", path, entry->d_name);
    if (written < 0 || (size_t)written >= sizeof(child) || lstat(child, &info) != 0) {
      closedir(dir);
      return -1;
    }
    if (S_ISREG(info.st_mode)) {
      printf("left behind: %s\n", child);
      ++count;
    } else if (S_ISDIR(info.st_mode)) {
      long below = CountRegularFiles(child);
      if (below < 0) {
        closedir(dir);
        return -1;
      }
      count += below;
    }
  }
  closedir(dir);
  return count;
}

static void OnSessionEnded(void* ctx, ztm_status status, const char* reason) {
  int* ended = (int*)ctx;
  *ended = 1;
  printf("session ended: %s %s\n", ztm_status_name(status), reason);
}

/* Reads the body of `response` the way a binding does: ask for the size with an empty buffer
 * (ZTM_ERR_BUFFER_TOO_SMALL), then copy into a buffer of that size. Returns a NUL-terminated
 * malloc'd copy, or NULL. */
static char* ReadBody(const ztm_response* response, const char* step) {
  size_t needed = 0;
  uint8_t one_byte[1];
  char* body;
  ztm_status status = ztm_response_body(response, one_byte, 0, &needed);
  if (status != ZTM_ERR_BUFFER_TOO_SMALL || needed == 0) {
    Fail(step, status);
    return NULL;
  }
  body = malloc(needed + 1);
  if (body == NULL) return NULL;
  status = ztm_response_body(response, (uint8_t*)body, needed, &needed);
  if (status != ZTM_OK) {
    free(body);
    Fail(step, status);
    return NULL;
  }
  body[needed] = '\0';
  return body;
}

/* One signed call; checks status 200, a JSON content type, and that the upstream saw the
 * signed-in user and this device. */
static int SignedCall(ztm_client* client, const char* step, const char* method, const char* path,
                      const char* body, const char* username, const char* device_id) {
  const char* names[] = {"content-type"};
  const char* values[] = {"application/json"};
  const size_t header_count = body != NULL ? 1 : 0;
  ztm_response* response = NULL;
  char content_type[64];
  char too_small[2];
  size_t needed = 0;
  char* answer;
  int ok;
  ztm_status status =
      ztm_call(client, method, path, (const uint8_t*)body, body != NULL ? strlen(body) : 0,
               body != NULL ? names : NULL, body != NULL ? values : NULL, header_count, &response);
  if (status != ZTM_OK) return Fail(step, status);
  if (ztm_response_status(response) != 200) {
    printf("FAIL %s: HTTP %d\n", step, ztm_response_status(response));
    ztm_response_free(response);
    return 1;
  }
  /* A header through a buffer too small first: nothing written, the size reported. */
  too_small[0] = 'x';
  status = ztm_response_header(response, "Content-Type", too_small, sizeof(too_small), &needed);
  if (status != ZTM_ERR_BUFFER_TOO_SMALL || too_small[0] != 'x' ||
      needed != strlen("application/json") + 1) {
    ztm_response_free(response);
    return FailWith(step, "content-type: no BUFFER_TOO_SMALL round");
  }
  status =
      ztm_response_header(response, "Content-Type", content_type, sizeof(content_type), &needed);
  if (status != ZTM_OK || strcmp(content_type, "application/json") != 0) {
    ztm_response_free(response);
    return FailWith(step, "content-type is not application/json");
  }
  if (ztm_response_header(response, "x-no-such-header", content_type, sizeof(content_type),
                          &needed) != ZTM_ERR_NOT_FOUND) {
    ztm_response_free(response);
    return FailWith(step, "a missing header is not ZTM_ERR_NOT_FOUND");
  }
  answer = ReadBody(response, step);
  ztm_response_free(response);
  if (answer == NULL) return 1;
  ok = strstr(answer, "\"upstream\": \"ok\"") != NULL && strstr(answer, username) != NULL &&
       strstr(answer, device_id) != NULL;
  if (!ok) {
    printf("FAIL %s: unexpected body %s\n", step, answer);
    free(answer);
    return 1;
  }
  printf("%s ok status=200 body_bytes=%lu\n", step, (unsigned long)strlen(answer));
  free(answer);
  return 0;
}

/* The offline-data step: creates a table, inserts one row with bound parameters (never SQL
 * pasted together), and reads it back with the two-call pattern. */
static int DatabaseRoundTrip(ztm_client* client, const char* username) {
  static const uint8_t kPayload[] = {0x00, 0x01, 0xfe, 0xff};
  ztm_sql_params* params = ztm_sql_params_new();
  ztm_rows* rows = NULL;
  ztm_status status;
  ztm_sql_type type = ZTM_SQL_NULL;
  int64_t quantity = 0;
  double price = 0;
  char too_small[2];
  char* owner;
  uint8_t payload[sizeof(kPayload)];
  size_t needed = 0;

  if (params == NULL) return FailWith("database", "out of memory");
  if ((status = ztm_exec(client,
                         "CREATE TABLE orders (owner TEXT, quantity INTEGER, price REAL, "
                         "payload BLOB, note TEXT)",
                         NULL)) != ZTM_OK ||
      (status = ztm_sql_params_add_text(params, username, strlen(username))) != ZTM_OK ||
      (status = ztm_sql_params_add_int64(params, 3)) != ZTM_OK ||
      (status = ztm_sql_params_add_double(params, 19.5)) != ZTM_OK ||
      (status = ztm_sql_params_add_blob(params, kPayload, sizeof(kPayload))) != ZTM_OK ||
      (status = ztm_sql_params_add_null(params)) != ZTM_OK ||
      (status = ztm_exec(client, "INSERT INTO orders VALUES (?, ?, ?, ?, ?)", params)) != ZTM_OK) {
    ztm_sql_params_free(params);
    return Fail("database", status);
  }
  ztm_sql_params_free(params);

  params = ztm_sql_params_new();
  if (params == NULL) return FailWith("database", "out of memory");
  if ((status = ztm_sql_params_add_text(params, username, strlen(username))) != ZTM_OK ||
      (status = ztm_query(
           client, "SELECT owner, quantity, price, payload, note FROM orders WHERE owner = ?",
           params, &rows)) != ZTM_OK) {
    ztm_sql_params_free(params);
    return Fail("database", status);
  }
  ztm_sql_params_free(params);
  if (ztm_rows_count(rows) != 1 || ztm_rows_columns(rows) != 5) {
    ztm_rows_free(rows);
    return FailWith("database", "not one row of five columns");
  }
  /* The text with the two-call pattern, through a buffer too small first. */
  too_small[0] = 'x';
  status = ztm_rows_text(rows, 0, 0, too_small, sizeof(too_small), &needed);
  if (status != ZTM_ERR_BUFFER_TOO_SMALL || too_small[0] != 'x' || needed != strlen(username) + 1) {
    ztm_rows_free(rows);
    return FailWith("database", "owner: no BUFFER_TOO_SMALL round");
  }
  owner = malloc(needed);
  if (owner == NULL || ztm_rows_text(rows, 0, 0, owner, needed, &needed) != ZTM_OK ||
      strcmp(owner, username) != 0) {
    free(owner);
    ztm_rows_free(rows);
    return FailWith("database", "owner did not come back");
  }
  free(owner);
  if ((status = ztm_rows_int64(rows, 0, 1, &quantity)) != ZTM_OK || quantity != 3 ||
      (status = ztm_rows_double(rows, 0, 2, &price)) != ZTM_OK || price != 19.5) {
    ztm_rows_free(rows);
    return FailWith("database", "quantity or price did not come back");
  }
  status = ztm_rows_blob(rows, 0, 3, payload, sizeof(payload) - 1, &needed);
  if (status != ZTM_ERR_BUFFER_TOO_SMALL || needed != sizeof(kPayload) ||
      ztm_rows_blob(rows, 0, 3, payload, sizeof(payload), &needed) != ZTM_OK ||
      memcmp(payload, kPayload, sizeof(kPayload)) != 0) {
    ztm_rows_free(rows);
    return FailWith("database", "payload did not come back");
  }
  if (ztm_rows_type(rows, 0, 4, &type) != ZTM_OK || type != ZTM_SQL_NULL ||
      ztm_rows_type(rows, 1, 0, &type) != ZTM_ERR_NOT_FOUND ||
      ztm_rows_int64(rows, 0, 0, &quantity) != ZTM_ERR_INVALID_ARGUMENT) {
    ztm_rows_free(rows);
    return FailWith("database", "NULL, range or type checks failed");
  }
  printf("database ok rows=%lu\n", (unsigned long)ztm_rows_count(rows));
  ztm_rows_free(rows);
  return 0;
}

int main(int argc, char** argv) {
  const char* gateway_url;
  const char* ca_file;
  const char* pins[2];
  const char* data_dir;
  const char* username;
  const char* password;
  char host[MAX_HOST_BYTES];
  ztm_options* options;
  ztm_client* client = NULL;
  ztm_status status;
  char* device_id;
  size_t needed = 0;
  int session_ended = 0;
  long left;
  struct stat data_dir_info;

  if (argc != 8) {
    fprintf(stderr,
            "usage: %s <gateway_url> <ca_file> <pin1> <pin2> <data_dir> <username> "
            "<password>\n",
            argv[0]);
    return 2;
  }
  gateway_url = argv[1];
  ca_file = argv[2];
  pins[0] = argv[3];
  pins[1] = argv[4];
  data_dir = argv[5];
  username = argv[6];
  password = argv[7];
  if (!HostOf(gateway_url, host, sizeof(host))) return FailWith("options", "bad gateway URL");

  options = ztm_options_new();
  if (options == NULL) return FailWith("options", "out of memory");
  if ((status = ztm_options_set_gateway_url(options, gateway_url)) != ZTM_OK ||
      (status = ztm_options_set_data_directory(options, data_dir)) != ZTM_OK ||
      (status = ztm_options_set_ca_file(options, ca_file)) != ZTM_OK ||
      (status = ztm_options_add_pin(options, host, pins, 2, 0, 0, 0, NULL)) != ZTM_OK ||
      (status = ztm_options_set_passphrase(options, (const uint8_t*)kPassphrase,
                                           strlen(kPassphrase))) != ZTM_OK ||
      (status = ztm_options_set_app_identity(options, "dev.ztm.c-flow", "1.0")) != ZTM_OK) {
    ztm_options_free(options);
    return Fail("options", status);
  }
  status = ztm_client_open(options, &client);
  ztm_options_free(options);
  if (status != ZTM_OK) return Fail("open", status);
  printf("open ok\n");
  if ((status = ztm_set_session_ended_callback(client, OnSessionEnded, &session_ended)) != ZTM_OK) {
    ztm_client_free(client);
    return Fail("callback", status);
  }

  if ((status = ztm_register(client)) != ZTM_OK || !ztm_is_registered(client)) {
    ztm_client_free(client);
    return Fail("register", status);
  }
  /* The device id with the two-call pattern. */
  status = ztm_device_id(client, NULL, 0, &needed);
  if (status != ZTM_ERR_BUFFER_TOO_SMALL || needed < 2) {
    ztm_client_free(client);
    return Fail("register", status);
  }
  device_id = malloc(needed);
  if (device_id == NULL || ztm_device_id(client, device_id, needed, &needed) != ZTM_OK ||
      strlen(device_id) + 1 != needed) {
    free(device_id);
    ztm_client_free(client);
    return FailWith("register", "device id could not be read");
  }
  printf("register ok device_id=%s\n", device_id);

  if ((status = ztm_sign_in(client, username, password)) != ZTM_OK || !ztm_is_signed_in(client)) {
    free(device_id);
    ztm_client_free(client);
    return Fail("sign_in", status);
  }
  printf("sign_in ok\n");

  if (SignedCall(client, "get", "GET", "/api/orders?page=1", NULL, username, device_id) != 0 ||
      SignedCall(client, "post", "POST", "/api/orders", "{\"item\":42,\"quantity\":1}", username,
                 device_id) != 0) {
    free(device_id);
    ztm_client_free(client);
    return 1;
  }
  free(device_id);

  if (DatabaseRoundTrip(client, username) != 0) {
    ztm_client_free(client);
    return 1;
  }

  if ((status = ztm_logout(client)) != ZTM_OK) {
    ztm_client_free(client);
    return Fail("logout", status);
  }
  if (ztm_is_registered(client) || ztm_is_signed_in(client)) {
    ztm_client_free(client);
    return FailWith("logout", "still registered or signed in");
  }
  printf("logout ok\n");
  ztm_client_free(client);

  /* The data directory itself may be gone too; that leaves nothing either. */
  left = stat(data_dir, &data_dir_info) != 0 && errno == ENOENT ? 0 : CountRegularFiles(data_dir);
  if (left != 0) {
    printf("FAIL wiped: %ld regular files left in %s\n", left, data_dir);
    return 1;
  }
  printf("wiped ok\n");
  if (session_ended) return FailWith("session", "the session ended on its own");
  printf("c flow ok\n");
  return 0;
}
