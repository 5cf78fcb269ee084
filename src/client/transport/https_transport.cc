// CurlTransport: libcurl for HTTP, OpenSSL for TLS, and the pin check installed as OpenSSL's
// certificate verification hook so it runs inside the handshake (see https_transport.h).
#include "client/transport/https_transport.h"

#include <curl/curl.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <mutex>
#include <new>

#include "core/crypto/crypto.h"
#include "core/encoding.h"
#include "core/text.h"

namespace ztm::client {
namespace {

// libcurl's error buffer holds one line; shown up to this length in messages.
constexpr std::size_t kMaxCurlDetailLength = 200;
// Report ids: 128 random bits never collide within a bounded store.
constexpr std::size_t kReportIdBytes = 16;

struct CurlEasyFree {
  void operator()(CURL* handle) const { curl_easy_cleanup(handle); }
};
struct CurlUrlFree {
  void operator()(CURLU* url) const { curl_url_cleanup(url); }
};
struct CurlSlistFree {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
struct CurlStringFree {
  void operator()(char* text) const { curl_free(text); }
};
using CurlString = std::unique_ptr<char, CurlStringFree>;

void GlobalInitOnce() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// RFC 9110 §5.6.2 tchar.
bool IsToken(std::string_view text) {
  if (text.empty()) return false;
  constexpr std::string_view kSymbols = "!#$%&'*+-.^_`|~";
  return std::all_of(text.begin(), text.end(), [&](unsigned char c) {
    return std::isalnum(c) != 0 || kSymbols.find(static_cast<char>(c)) != std::string_view::npos;
  });
}

// RFC 9110 §5.5: a field value never holds CR, LF or NUL (they would split the header).
bool IsFieldValue(std::string_view text) {
  return text.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

std::string Lowercase(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string_view TrimWhitespace(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r' ||
                           text.back() == '\n')) {
    text.remove_suffix(1);
  }
  return text;
}

std::string CertificatePem(X509* certificate) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  if (!bio || PEM_write_bio_X509(bio.get(), certificate) != 1) return {};
  char* data = nullptr;
  long length = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<std::size_t>(length));
}

Bytes SpkiDer(X509* certificate) {
  X509_PUBKEY* spki = X509_get_X509_PUBKEY(certificate);
  int length = spki == nullptr ? -1 : i2d_X509_PUBKEY(spki, nullptr);
  if (length <= 0) return {};
  Bytes der(static_cast<std::size_t>(length));
  std::uint8_t* out = der.data();
  i2d_X509_PUBKEY(spki, &out);
  return der;
}

}  // namespace

std::optional<std::string> HttpResponse::Header(std::string_view lowercase_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lowercase_name) return value;
  }
  return std::nullopt;
}

namespace detail {

// Everything one request's callbacks share. Lives on Perform's stack for the whole transfer.
struct CurlExchange {
  const PinPolicy* pin_policy = nullptr;
  const Clock* clock = nullptr;
  std::size_t max_header_bytes = 0;
  std::size_t max_body_bytes = 0;
  std::string host;  // normalized: lowercase, IPv6 without brackets
  std::uint16_t port = 0;

  // Filled by the verification hook.
  bool chain_verified = false;
  PinEvaluation pin;
  bool pin_rejected = false;  // the hook aborted the handshake for a pin mismatch
  std::vector<std::string> served_chain_pem;
  std::vector<std::string> validated_chain_pem;

  // Filled by the header and body callbacks.
  HttpResponse response;
  std::size_t header_bytes = 0;
  bool too_large = false;
  bool malformed_header = false;
};

}  // namespace detail

namespace {

using detail::CurlExchange;

// Replaces OpenSSL's certificate verification with: the normal verification (trust anchors,
// validity, signatures, building the chain), then the pin check on the chain it built. It
// runs inside the handshake, before the client's Finished message, so a failure here means
// no application data (no byte of the request) is ever sent.
int VerifyChainAndPinsOrThrow(X509_STORE_CTX* store_ctx, CurlExchange* exchange) {
  exchange->chain_verified = false;
  exchange->pin = {};
  exchange->pin_rejected = false;
  exchange->served_chain_pem.clear();
  exchange->validated_chain_pem.clear();

  // Trust first: pinning narrows which trusted chains are accepted, it never rescues an
  // untrusted one. A failure here is an ordinary TLS failure, reported as such.
  if (X509_verify_cert(store_ctx) != 1) return 0;
  exchange->chain_verified = true;
  if (exchange->pin_policy == nullptr) return 1;

  // The chain OpenSSL built from the leaf to a trust anchor. Certificates the server sent
  // but that are not on this path (X509_STORE_CTX_get0_untrusted) are deliberately ignored:
  // anyone can append a copy of the real server's certificate to their own chain.
  STACK_OF(X509)* chain = X509_STORE_CTX_get0_chain(store_ctx);
  std::vector<Bytes> chain_spki;
  for (int i = 0; i < sk_X509_num(chain); ++i)
    chain_spki.push_back(SpkiDer(sk_X509_value(chain, i)));
  exchange->pin =
      exchange->pin_policy->Evaluate(exchange->host, chain_spki, exchange->clock->NowSeconds());
  if (exchange->pin.verdict != PinVerdict::kFailed) return 1;

  for (int i = 0; i < sk_X509_num(chain); ++i) {
    exchange->validated_chain_pem.push_back(CertificatePem(sk_X509_value(chain, i)));
  }
  // On a client, OpenSSL passes the server's whole Certificate message, leaf first, as the
  // untrusted list.
  X509* leaf = X509_STORE_CTX_get0_cert(store_ctx);
  STACK_OF(X509)* served = X509_STORE_CTX_get0_untrusted(store_ctx);
  if (served == nullptr || sk_X509_num(served) == 0 ||
      X509_cmp(sk_X509_value(served, 0), leaf) != 0) {
    exchange->served_chain_pem.push_back(CertificatePem(leaf));
  }
  for (int i = 0; served != nullptr && i < sk_X509_num(served); ++i) {
    exchange->served_chain_pem.push_back(CertificatePem(sk_X509_value(served, i)));
  }
  if (exchange->pin.pin_set->mode() == PinMode::kReportOnly) return 1;
  exchange->pin_rejected = true;
  X509_STORE_CTX_set_error(store_ctx, X509_V_ERR_APPLICATION_VERIFICATION);
  return 0;
}

// The hook as OpenSSL calls it: no exception may cross OpenSSL's C frames, and running out of
// memory while checking pins fails the handshake (closed), never skips the check.
int VerifyChainAndPins(X509_STORE_CTX* store_ctx, void* arg) {
  try {
    return VerifyChainAndPinsOrThrow(store_ctx, static_cast<CurlExchange*>(arg));
  } catch (...) {
    X509_STORE_CTX_set_error(store_ctx, X509_V_ERR_OUT_OF_MEM);
    return 0;
  }
}

// Runs when libcurl has made the connection's SSL_CTX: installs the pin check, and makes
// OpenSSL check the host name inside the handshake too (libcurl checks it again afterwards),
// so a certificate for another name is also refused before the client's Finished message.
CURLcode InstallVerifyHook(CURL* /*handle*/, void* ssl_ctx_pointer, void* arg) {
  auto* ssl_ctx = static_cast<SSL_CTX*>(ssl_ctx_pointer);
  auto* exchange = static_cast<CurlExchange*>(arg);
  X509_VERIFY_PARAM* param = SSL_CTX_get0_param(ssl_ctx);
  // RFC 6125 §6.4.3: no partial-label wildcards ("a*.example.com").
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  int named =
      X509_VERIFY_PARAM_set1_ip_asc(param, exchange->host.c_str()) == 1 ||
      X509_VERIFY_PARAM_set1_host(param, exchange->host.c_str(), exchange->host.size()) == 1;
  if (!named) return CURLE_SSL_CERTPROBLEM;
  SSL_CTX_set_cert_verify_callback(ssl_ctx, VerifyChainAndPins, arg);
  return CURLE_OK;
}

size_t OnHeader(char* data, size_t size, size_t count, void* arg) {
  auto* exchange = static_cast<CurlExchange*>(arg);
  const std::size_t length = size * count;
  exchange->header_bytes += length;
  if (exchange->header_bytes > exchange->max_header_bytes) {
    exchange->too_large = true;
    return 0;  // libcurl aborts the transfer
  }
  std::string_view line(data, length);
  if (line.starts_with("HTTP/")) {
    // A new status line (after a 1xx interim response): its header section starts afresh.
    exchange->response.headers.clear();
    return length;
  }
  if (line == "\r\n" || line == "\n") return length;  // the end of the header section
  if (line.front() == ' ' || line.front() == '\t') {
    // RFC 9112 §5.2: obsolete line folding is refused rather than guessed at.
    exchange->malformed_header = true;
    return 0;
  }
  std::string_view field = TrimWhitespace(line);
  std::size_t colon = field.find(':');
  if (colon == std::string_view::npos || !IsToken(field.substr(0, colon))) {
    exchange->malformed_header = true;
    return 0;
  }
  try {
    exchange->response.headers.emplace_back(Lowercase(field.substr(0, colon)),
                                            std::string(TrimWhitespace(field.substr(colon + 1))));
  } catch (const std::bad_alloc&) {
    return 0;  // no exception may cross libcurl's C frames
  }
  return length;
}

size_t OnBody(char* data, size_t size, size_t count, void* arg) {
  auto* exchange = static_cast<CurlExchange*>(arg);
  const std::size_t length = size * count;
  if (length > exchange->max_body_bytes - exchange->response.body.size()) {
    exchange->too_large = true;
    return 0;  // libcurl aborts the transfer with CURLE_WRITE_ERROR
  }
  try {
    exchange->response.body.append(data, length);
  } catch (const std::bad_alloc&) {
    return 0;  // no exception may cross libcurl's C frames
  }
  return length;
}

Error RequestInvalid(std::string message) {
  return Error{Code::kTransportRequestInvalid, std::move(message)};
}

Status ValidateRequest(const HttpRequest& request) {
  if (!IsToken(request.method)) {
    return RequestInvalid("method \"" + ForMessage(request.method) + "\" is not a token");
  }
  for (const auto& [name, value] : request.headers) {
    if (!IsToken(name)) {
      return RequestInvalid("header name \"" + ForMessage(name) + "\" is not a token");
    }
    if (!IsFieldValue(value)) {
      return RequestInvalid("header " + name + " has a CR, LF or NUL in its value");
    }
  }
  return OkStatus();
}

bool HasHeader(const HttpRequest& request, std::string_view lowercase_name) {
  return std::any_of(request.headers.begin(), request.headers.end(),
                     [&](const auto& header) { return Lowercase(header.first) == lowercase_name; });
}

Result<std::string> UrlPart(CURLU* url, CURLUPart part, unsigned int flags) {
  char* text = nullptr;
  if (curl_url_get(url, part, &text, flags) != CURLUE_OK) {
    return RequestInvalid("URL has no usable scheme, host or port");
  }
  CurlString owned(text);
  return std::string(text);
}

bool UrlHasPart(CURLU* url, CURLUPart part) {
  char* text = nullptr;
  bool present = curl_url_get(url, part, &text, 0) == CURLUE_OK;
  curl_free(text);
  return present;
}

Error MapCurlError(CURLcode code, const CurlExchange& exchange, const char* detail) {
  std::string text = detail[0] != '\0' ? detail : curl_easy_strerror(code);
  if (text.size() > kMaxCurlDetailLength) text.resize(kMaxCurlDetailLength);
  std::string where = exchange.host + ":" + std::to_string(exchange.port) + ": ";
  if (exchange.too_large || code == CURLE_FILESIZE_EXCEEDED) {
    return Error{Code::kResponseTooLarge, where + "response headers or body exceed their bound"};
  }
  if (exchange.malformed_header) {
    return Error{Code::kTransportFailed, where + "malformed response header line"};
  }
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
      return Error{Code::kTransportTimeout, where + text};
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
      return Error{Code::kTransportConnectFailed, where + text};
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_CLIENTCERT:
    case CURLE_SSL_SHUTDOWN_FAILED:
      return Error{Code::kTlsFailed, where + text};
    case CURLE_UNSUPPORTED_PROTOCOL:
    case CURLE_URL_MALFORMAT:
      return Error{Code::kTransportRequestInvalid, where + text};
    default:
      return Error{Code::kTransportFailed, where + text};
  }
}

}  // namespace

Result<std::unique_ptr<CurlTransport>> CurlTransport::Create(CurlTransportOptions options) {
  auto invalid = [](std::string message) {
    return Error{Code::kInvalidArgument, std::move(message)};
  };
  if (options.clock == nullptr) return invalid("transport: clock is null");
  if (options.connect_timeout.count() <= 0 || options.total_timeout.count() <= 0) {
    return invalid("transport: timeouts must be positive");
  }
  if (options.max_response_header_bytes == 0 || options.max_response_body_bytes == 0) {
    return invalid("transport: response bounds must be positive");
  }
  if (options.client_certificate_pem.empty() != options.client_key_pem.empty()) {
    return invalid("transport: a client certificate needs its key, and a key its certificate");
  }
  GlobalInitOnce();
  // The pin check is an OpenSSL hook: with another TLS backend it could not be installed.
  const curl_version_info_data* version = curl_version_info(CURLVERSION_NOW);
  if (version == nullptr || version->ssl_version == nullptr ||
      std::string_view(version->ssl_version).find("OpenSSL") == std::string_view::npos) {
    return Error{Code::kInternal, "transport: libcurl is not built with OpenSSL"};
  }
  return std::unique_ptr<CurlTransport>(new CurlTransport(std::move(options)));
}

CurlTransport::CurlTransport(CurlTransportOptions options)
    : options_(std::move(options)), rate_limiter_(*options_.clock) {}

void CurlTransport::Warn(std::string_view message) const {
  if (options_.on_warning) options_.on_warning(message);
}

Result<HttpResponse> CurlTransport::Send(const HttpRequest& request) {
  return Perform(request, Purpose::kRequest);
}

Result<HttpResponse> CurlTransport::Perform(const HttpRequest& request, Purpose purpose) {
  const bool upload = purpose == Purpose::kReportUpload;
  ZTM_RETURN_IF_ERROR(ValidateRequest(request));
  std::unique_ptr<CURLU, CurlUrlFree> url(curl_url());
  if (!url) return Error{Code::kInternal, "transport: out of memory"};
  if (curl_url_set(url.get(), CURLUPART_URL, request.url.c_str(), 0) != CURLUE_OK) {
    return RequestInvalid("URL \"" + ForMessage(request.url) + "\" is not valid");
  }
  ZTM_ASSIGN_OR_RETURN(std::string scheme, UrlPart(url.get(), CURLUPART_SCHEME, 0));
  if (scheme != "https")
    return RequestInvalid("URL scheme \"" + ForMessage(scheme) + "\" is not https");
  if (UrlHasPart(url.get(), CURLUPART_USER) || UrlHasPart(url.get(), CURLUPART_PASSWORD)) {
    return RequestInvalid("URL carries credentials");
  }
  ZTM_ASSIGN_OR_RETURN(std::string raw_host, UrlPart(url.get(), CURLUPART_HOST, 0));
  ZTM_ASSIGN_OR_RETURN(std::string raw_port,
                       UrlPart(url.get(), CURLUPART_PORT, CURLU_DEFAULT_PORT));

  CurlExchange exchange;
  exchange.pin_policy = options_.pin_policy.get();
  exchange.clock = options_.clock;
  exchange.max_header_bytes = options_.max_response_header_bytes;
  exchange.max_body_bytes = options_.max_response_body_bytes;
  auto host = NormalizeHost(raw_host);
  if (!host.ok()) return RequestInvalid("URL host \"" + ForMessage(raw_host) + "\" is not valid");
  exchange.host = std::move(host).value();
  exchange.port = static_cast<std::uint16_t>(std::stoul(raw_port));  // curl checked 0..65535

  std::unique_ptr<CURL, CurlEasyFree> handle(curl_easy_init());
  if (!handle) return Error{Code::kInternal, "transport: out of memory"};
  CURLcode setup = CURLE_OK;
  auto set = [&](CURLoption option, auto value) {
    if (setup == CURLE_OK) setup = curl_easy_setopt(handle.get(), option, value);
  };
  set(CURLOPT_CURLU, url.get());
  set(CURLOPT_PROTOCOLS_STR, "https");
  set(CURLOPT_REDIR_PROTOCOLS_STR, "https");
  set(CURLOPT_FOLLOWLOCATION, 0L);
  set(CURLOPT_PROXY, "");     // never a proxy from the environment
  set(CURLOPT_NOSIGNAL, 1L);  // timeouts without SIGALRM: required with threads
  set(CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
  set(CURLOPT_SSL_VERIFYPEER, 1L);
  set(CURLOPT_SSL_VERIFYHOST, 2L);
  // A resumed session skips certificate verification, and with it the pin check.
  set(CURLOPT_SSL_SESSIONID_CACHE, 0L);
  set(CURLOPT_SSL_CTX_FUNCTION, &InstallVerifyHook);
  set(CURLOPT_SSL_CTX_DATA, static_cast<void*>(&exchange));
  if (!options_.ca_file.empty()) set(CURLOPT_CAINFO, options_.ca_file.c_str());
  curl_blob certificate{const_cast<char*>(options_.client_certificate_pem.data()),
                        options_.client_certificate_pem.size(), CURL_BLOB_COPY};
  curl_blob key{const_cast<std::uint8_t*>(options_.client_key_pem.data()),
                options_.client_key_pem.size(), CURL_BLOB_COPY};
  if (!options_.client_certificate_pem.empty() && !upload) {
    set(CURLOPT_SSLCERT_BLOB, &certificate);
    set(CURLOPT_SSLCERTTYPE, "PEM");
    set(CURLOPT_SSLKEY_BLOB, &key);
    set(CURLOPT_SSLKEYTYPE, "PEM");
  }
  set(CURLOPT_CONNECTTIMEOUT_MS,
      static_cast<long>(
          upload ? std::min(options_.connect_timeout, kReportUploadConnectTimeout).count()
                 : options_.connect_timeout.count()));
  set(CURLOPT_TIMEOUT_MS,
      static_cast<long>(upload ? std::min(options_.total_timeout, kReportUploadTotalTimeout).count()
                               : options_.total_timeout.count()));
  set(CURLOPT_HEADERFUNCTION, &OnHeader);
  set(CURLOPT_HEADERDATA, static_cast<void*>(&exchange));
  set(CURLOPT_WRITEFUNCTION, &OnBody);
  set(CURLOPT_WRITEDATA, static_cast<void*>(&exchange));
  set(CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(options_.max_response_body_bytes));
  char detail[CURL_ERROR_SIZE] = {};
  set(CURLOPT_ERRORBUFFER, detail);

  const bool has_body = !request.body.empty() || request.method == "POST" ||
                        request.method == "PUT" || request.method == "PATCH";
  if (request.method == "HEAD") {
    set(CURLOPT_NOBODY, 1L);
  } else if (has_body) {
    set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
    set(CURLOPT_POSTFIELDS, request.body.data());
    if (request.method != "POST") set(CURLOPT_CUSTOMREQUEST, request.method.c_str());
  } else if (request.method != "GET") {
    set(CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  std::unique_ptr<curl_slist, CurlSlistFree> headers;
  auto add_header = [&headers](const std::string& line) {
    curl_slist* extended = curl_slist_append(headers.get(), line.c_str());
    if (extended != nullptr) {
      (void)headers.release();
      headers.reset(extended);
    }
    return extended != nullptr;
  };
  bool headers_ok = true;
  for (const auto& [name, value] : request.headers) {
    // libcurl reads "Name:" as "remove Name"; "Name;" sends it with an empty value.
    headers_ok &= add_header(value.empty() ? name + ";" : name + ": " + value);
  }
  // libcurl's defaults a caller did not ask for: no 100-continue round trip, no form type.
  if (!HasHeader(request, "expect")) headers_ok &= add_header("Expect:");
  if (has_body && !HasHeader(request, "content-type")) headers_ok &= add_header("Content-Type:");
  if (!headers_ok) return Error{Code::kInternal, "transport: out of memory"};
  set(CURLOPT_HTTPHEADER, headers.get());
  if (setup != CURLE_OK) {
    return Error{Code::kInternal,
                 std::string("transport: libcurl refused an option: ") + curl_easy_strerror(setup)};
  }

  CURLcode result = curl_easy_perform(handle.get());

  const std::string where = exchange.host + ":" + std::to_string(exchange.port);
  if (exchange.pin.verdict == PinVerdict::kNotEnforced) {
    Warn("pin set for " + exchange.pin.pin_set->host() + " has expired and was not enforced (" +
         where + ")");
  }
  if (exchange.pin.verdict == PinVerdict::kFailed) {
    if (!exchange.pin_rejected) {
      Warn("pin validation failed for " + where + " (report-only: request allowed)");
    }
    RecordReport(exchange);
  }
  if (exchange.pin_rejected) {
    return Error{Code::kPinValidationFailed,
                 where + ": the verified certificate chain has none of the pinned keys"};
  }
  if (result != CURLE_OK) return MapCurlError(result, exchange, detail);
  // Fail closed: a pinned host's response is only used if its chain went through the hook.
  if (exchange.pin_policy != nullptr && exchange.pin_policy->Find(exchange.host) != nullptr &&
      !exchange.chain_verified) {
    return Error{Code::kPinValidationFailed, where + ": the pin check did not run"};
  }
  long status = 0;
  curl_easy_getinfo(handle.get(), CURLINFO_RESPONSE_CODE, &status);
  exchange.response.status = static_cast<int>(status);
  if (!upload && exchange.pin.verdict == PinVerdict::kMatched) {
    UploadPendingReports();
  }
  return std::move(exchange.response);
}

void CurlTransport::RecordReport(const detail::CurlExchange& exchange) {
  const PinSet& pin_set = *exchange.pin.pin_set;
  if (pin_set.report_uri().empty() || !options_.report_store) return;
  if (!rate_limiter_.Admit(exchange.host, exchange.port, exchange.served_chain_pem)) return;
  PinFailureReport report;
  report.identity = options_.report_identity;
  report.noted_hostname = pin_set.host();
  report.hostname = exchange.host;
  report.port = exchange.port;
  report.served_chain_pem = exchange.served_chain_pem;
  report.validated_chain_pem = exchange.validated_chain_pem;
  report.known_pins = pin_set.pin_strings();
  report.time = options_.clock->NowSeconds();
  report.include_subdomains = pin_set.include_subdomains();
  report.enforce_pinning = pin_set.mode() == PinMode::kEnforce;
  StoredPinReport stored{HexEncode(crypto::RandomBytes(kReportIdBytes)), pin_set.report_uri(),
                         SerializePinFailureReport(report)};
  Status saved = options_.report_store->Save(stored);
  if (!saved.ok()) Warn("pin failure report dropped: " + saved.error().message);
}

std::size_t CurlTransport::UploadPendingReports() {
  if (!options_.report_store) return 0;
  std::unique_lock lock(upload_mutex_, std::try_to_lock);
  if (!lock.owns_lock()) return 0;
  if (std::chrono::steady_clock::now() < next_upload_) return 0;
  auto pending = options_.report_store->Pending(kMaxReportsPerUpload);
  if (!pending.ok()) {
    Warn("pin failure reports unavailable: " + pending.error().message);
    return 0;
  }
  std::size_t delivered = 0;
  for (const StoredPinReport& report : *pending) {
    HttpRequest post{
        "POST", report.report_uri, {{"Content-Type", "application/json"}}, report.json};
    // Over this same pinned transport; an upload never triggers another upload.
    auto response = Perform(post, Purpose::kReportUpload);
    if (!response.ok() || response->status < 200 || response->status > 299) {
      Warn(response.ok() ? "pin failure report refused by the collector: HTTP " +
                               std::to_string(response->status)
                         : "pin failure report upload failed: " + response.error().message);
      // The collector is down or blocked: stop here and back off rather than spend the
      // app's request time on it again and again.
      next_upload_ = std::chrono::steady_clock::now() + kReportUploadBackoff;
      break;
    }
    if (options_.report_store->Remove(report.id).ok()) ++delivered;
  }
  return delivered;
}

}  // namespace ztm::client
