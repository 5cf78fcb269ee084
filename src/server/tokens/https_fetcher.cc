#include "server/tokens/https_fetcher.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <mutex>
#include <utility>

#include <boost/url/parse.hpp>

#include "core/text.h"

namespace ztm::server {
namespace {

// The Accept field sent: the JWK Set media type (RFC 7517 §8.5.1) first, plain JSON as issuers
// commonly serve it.
constexpr const char* kAcceptHeader = "Accept: application/jwk-set+json, application/json";
constexpr const char* kUserAgent = "ztm-gateway";

char AsciiLower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool EqualsIgnoringCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return AsciiLower(x) == AsciiLower(y);
         });
}

std::string_view TrimWhitespace(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r' ||
                           text.back() == '\n')) {
    text.remove_suffix(1);
  }
  return text;
}

// RFC 9110 §5.6.2 tchar.
bool IsTokenChar(char c) {
  if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

// libcurl's messages name the host and the TLS failure; they are shown printable-only so a
// peer's certificate text cannot forge log lines.
std::string Printable(std::string_view text) {
  std::string shown;
  for (char c : text) shown += (c >= 0x20 && c <= 0x7e) ? c : '?';
  return std::string(TrimWhitespace(shown));
}

Status InitializeCurl() {
  // curl_global_init is thread-safe in this libcurl (CURL_VERSION_THREADSAFE, 7.84+), but it
  // is still called once, before the first handle, rather than implicitly by curl_easy_init.
  static const CURLcode initialized = curl_global_init(CURL_GLOBAL_DEFAULT);
  if (initialized != CURLE_OK) {
    return Error{Code::kInternal,
                 std::string("libcurl initialisation failed: ") + curl_easy_strerror(initialized)};
  }
  return OkStatus();
}

// What the callbacks collect during one transfer.
struct Transfer {
  std::size_t max_body_bytes = 0;
  std::string body;
  bool body_too_large = false;
  std::size_t header_bytes = 0;
  bool headers_too_large = false;
  // Of the final response only: reset at each status line (a 1xx precedes the final one).
  int content_type_lines = 0;
  std::string content_type;
  std::string cache_control;  // every Cache-Control line, joined with ", " (RFC 9110 §5.3)
  const std::atomic<bool>* cancel = nullptr;
};

std::size_t OnBody(char* data, std::size_t size, std::size_t count, void* user) {
  auto& transfer = *static_cast<Transfer*>(user);
  const std::size_t bytes = size * count;  // size is always 1
  if (bytes > transfer.max_body_bytes - transfer.body.size()) {
    // Returning anything but `bytes` aborts the transfer (CURLE_WRITE_ERROR): nothing past the
    // cap is buffered, whether or not the response announced its length.
    transfer.body_too_large = true;
    return 0;
  }
  transfer.body.append(data, bytes);
  return bytes;
}

std::size_t OnHeader(char* data, std::size_t size, std::size_t count, void* user) {
  auto& transfer = *static_cast<Transfer*>(user);
  const std::size_t bytes = size * count;
  transfer.header_bytes += bytes;
  if (transfer.header_bytes > kMaxFetchHeaderBytes) {
    transfer.headers_too_large = true;
    return 0;
  }
  const std::string_view line(data, bytes);
  if (line.starts_with("HTTP/")) {
    transfer.content_type_lines = 0;
    transfer.content_type.clear();
    transfer.cache_control.clear();
    return bytes;
  }
  const std::size_t colon = line.find(':');
  if (colon == std::string_view::npos) return bytes;
  const std::string_view name = line.substr(0, colon);
  const std::string_view value = TrimWhitespace(line.substr(colon + 1));
  if (EqualsIgnoringCase(name, "content-type")) {
    ++transfer.content_type_lines;
    transfer.content_type = value;
  } else if (EqualsIgnoringCase(name, "cache-control")) {
    if (!transfer.cache_control.empty()) transfer.cache_control += ", ";
    transfer.cache_control += value;
  }
  return bytes;
}

int OnProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  const auto& transfer = *static_cast<const Transfer*>(user);
  return transfer.cancel->load() ? 1 : 0;  // non-zero aborts: CURLE_ABORTED_BY_CALLBACK
}

// RFC 8259 §11 application/json, or a structured +json suffix (RFC 6839 §3.1) such as
// application/jwk-set+json. Parameters (charset) are ignored; JSON is UTF-8.
bool IsJsonMediaType(std::string_view content_type) {
  const std::string_view media_type =
      TrimWhitespace(content_type.substr(0, content_type.find(';')));
  const std::size_t slash = media_type.find('/');
  if (slash == std::string_view::npos) return false;
  const std::string_view type = media_type.substr(0, slash);
  const std::string_view subtype = media_type.substr(slash + 1);
  if (!EqualsIgnoringCase(type, "application")) return false;
  if (EqualsIgnoringCase(subtype, "json")) return true;
  return subtype.size() > 5 && EqualsIgnoringCase(subtype.substr(subtype.size() - 5), "+json") &&
         std::all_of(subtype.begin(), subtype.end(), IsTokenChar);
}

using CurlHandle = std::unique_ptr<CURL, decltype(&curl_easy_cleanup)>;
using CurlHeaders = std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)>;

}  // namespace

Status CheckHttpsUrl(std::string_view url) {
  // RFC 3986 URI (not absolute-URI), so a fragment is reported as such rather than as "not a
  // URL".
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) return Error{Code::kInvalidArgument, "not a URL"};
  const boost::urls::url_view& view = *parsed;
  // Compared as written: the scheme is matched exactly so that what is checked here is what
  // libcurl's protocol allow-list enforces.
  if (view.scheme() != "https") return Error{Code::kInvalidArgument, "must be an https:// URL"};
  if (view.has_userinfo()) return Error{Code::kInvalidArgument, "must not contain user info"};
  if (view.has_fragment()) return Error{Code::kInvalidArgument, "must not have a fragment"};
  if (view.host_type() == boost::urls::host_type::none || view.encoded_host().empty() ||
      view.host_type() == boost::urls::host_type::ipvfuture) {
    return Error{Code::kInvalidArgument, "must name a host"};
  }
  return OkStatus();
}

// RFC 9111 §5.2: Cache-Control = #cache-directive; cache-directive = token [ "=" ( token /
// quoted-string ) ]; directive names are case-insensitive.
std::optional<std::int64_t> CacheControlMaxAge(std::string_view cache_control) {
  std::optional<std::int64_t> max_age;
  bool must_not_reuse = false;
  bool repeated_max_age = false;
  std::size_t i = 0;
  const std::size_t n = cache_control.size();
  auto skip_whitespace = [&] {
    while (i < n && (cache_control[i] == ' ' || cache_control[i] == '\t')) ++i;
  };
  while (true) {
    skip_whitespace();
    if (i == n) break;
    if (cache_control[i] == ',') {  // RFC 9110 §5.6.1: empty list elements are ignored
      ++i;
      continue;
    }
    const std::size_t name_start = i;
    while (i < n && IsTokenChar(cache_control[i])) ++i;
    if (i == name_start) return std::nullopt;
    const std::string_view name = cache_control.substr(name_start, i - name_start);
    std::string argument;
    bool has_argument = false;
    if (i < n && cache_control[i] == '=') {
      ++i;
      has_argument = true;
      if (i < n && cache_control[i] == '"') {  // quoted-string, RFC 9110 §5.6.4
        ++i;
        while (i < n && cache_control[i] != '"') {
          if (cache_control[i] == '\\' && i + 1 < n) ++i;
          argument += cache_control[i++];
        }
        if (i == n) return std::nullopt;
        ++i;
      } else {
        const std::size_t start = i;
        while (i < n && IsTokenChar(cache_control[i])) ++i;
        argument = cache_control.substr(start, i - start);
      }
    }
    skip_whitespace();
    if (i < n && cache_control[i] != ',') return std::nullopt;
    if (EqualsIgnoringCase(name, "no-store") || EqualsIgnoringCase(name, "no-cache")) {
      must_not_reuse = true;
    } else if (EqualsIgnoringCase(name, "max-age")) {
      // RFC 9111 §1.2.2 delta-seconds = 1*DIGIT.
      if (!has_argument || argument.empty() ||
          !std::all_of(argument.begin(), argument.end(),
                       [](char c) { return c >= '0' && c <= '9'; })) {
        return std::nullopt;
      }
      std::int64_t seconds = 0;
      for (char c : argument) {
        seconds = std::min<std::int64_t>(seconds * 10 + (c - '0'), kMaxDeltaSeconds);
      }
      if (max_age) repeated_max_age = true;
      max_age = seconds;
    }
  }
  if (must_not_reuse || repeated_max_age) return 0;
  return max_age;
}

Result<std::unique_ptr<HttpsFetcher>> HttpsFetcher::Create(std::string url,
                                                           HttpsFetcherOptions options) {
  if (Status checked = CheckHttpsUrl(url); !checked.ok()) {
    return Error{Code::kInvalidArgument, "\"" + ForMessage(url.substr(0, url.find('?'))) +
                                             "\": " + checked.error().message};
  }
  if (options.max_body_bytes == 0 || options.connect_timeout_seconds < 1 ||
      options.total_timeout_seconds < 1) {
    return Error{Code::kInvalidArgument, "the body cap and timeouts must be positive"};
  }
  if (options.ca_file) {
    const int fd = ::open(options.ca_file->c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      return Error{Code::kInvalidArgument,
                   "cannot read CA file \"" + ForMessage(*options.ca_file) + "\""};
    }
    ::close(fd);
  }
  ZTM_RETURN_IF_ERROR(InitializeCurl());
  return std::unique_ptr<HttpsFetcher>(new HttpsFetcher(std::move(url), std::move(options)));
}

Result<FetchedDocument> HttpsFetcher::Fetch(const std::atomic<bool>& cancel) const {
  CurlHandle curl(curl_easy_init(), &curl_easy_cleanup);
  if (!curl) return Error{Code::kInternal, "libcurl: cannot create a handle"};
  CurlHeaders headers(curl_slist_append(nullptr, kAcceptHeader), &curl_slist_free_all);
  if (!headers) return Error{Code::kInternal, "libcurl: out of memory"};

  Transfer transfer;
  transfer.max_body_bytes = options_.max_body_bytes;
  transfer.cancel = &cancel;
  char error_buffer[CURL_ERROR_SIZE] = {};

  CURL* handle = curl.get();
  bool options_set = true;
  auto set = [&](CURLoption option, auto value) {
    if (curl_easy_setopt(handle, option, value) != CURLE_OK) options_set = false;
  };
  set(CURLOPT_URL, url_.c_str());
  set(CURLOPT_HTTPGET, 1L);
  // HTTPS only, and no redirects at all: a 3xx is a failed fetch (the configured URL is the
  // one the operator vetted).
  set(CURLOPT_PROTOCOLS_STR, "https");
  set(CURLOPT_REDIR_PROTOCOLS_STR, "https");
  set(CURLOPT_FOLLOWLOCATION, 0L);
  // TLS 1.2 is the minimum (RFC 9325 §3.1.1); the chain and the host name are always checked.
  set(CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
  set(CURLOPT_SSL_VERIFYPEER, 1L);
  set(CURLOPT_SSL_VERIFYHOST, 2L);
  if (options_.ca_file) {
    // Only this bundle: the system directory is not consulted as well.
    set(CURLOPT_CAINFO, options_.ca_file->c_str());
    set(CURLOPT_CAPATH, static_cast<const char*>(nullptr));
  }
  // No proxy, even if http(s)_proxy is set in the environment: the gateway talks to the
  // issuer directly, and an environment variable must not reroute its trust anchor.
  set(CURLOPT_PROXY, "");
  // No Accept-Encoding: bodies arrive uncompressed, so the cap bounds memory (no zip bomb).
  set(CURLOPT_CONNECTTIMEOUT, static_cast<long>(options_.connect_timeout_seconds));
  set(CURLOPT_TIMEOUT, static_cast<long>(options_.total_timeout_seconds));
  // Timeouts without SIGALRM: required when libcurl runs on a thread.
  set(CURLOPT_NOSIGNAL, 1L);
  set(CURLOPT_HTTPHEADER, headers.get());
  set(CURLOPT_USERAGENT, kUserAgent);
  set(CURLOPT_WRITEFUNCTION, &OnBody);
  set(CURLOPT_WRITEDATA, static_cast<void*>(&transfer));
  set(CURLOPT_HEADERFUNCTION, &OnHeader);
  set(CURLOPT_HEADERDATA, static_cast<void*>(&transfer));
  set(CURLOPT_XFERINFOFUNCTION, &OnProgress);
  set(CURLOPT_XFERINFODATA, static_cast<void*>(&transfer));
  set(CURLOPT_NOPROGRESS, 0L);
  set(CURLOPT_ERRORBUFFER, static_cast<char*>(error_buffer));
  if (!options_set) return Error{Code::kInternal, "libcurl refused a transfer option"};

  const CURLcode result = curl_easy_perform(handle);
  const std::string where = "GET " + LoggableUrl() + ": ";
  if (cancel.load()) return Error{Code::kInternal, where + "cancelled"};
  if (transfer.body_too_large) {
    return Error{Code::kInputTooLarge, where + "the body is larger than " +
                                           std::to_string(options_.max_body_bytes) + " bytes"};
  }
  if (transfer.headers_too_large) {
    return Error{Code::kInputTooLarge, where + "the header fields are larger than " +
                                           std::to_string(kMaxFetchHeaderBytes) + " bytes"};
  }
  if (result != CURLE_OK) {
    std::string message = where + curl_easy_strerror(result);
    const std::string detail = Printable(error_buffer);
    if (!detail.empty()) message += " (" + detail + ")";
    return Error{Code::kInternal, std::move(message)};
  }
  long status = 0;
  curl_easy_getinfo(handle, CURLINFO_RESPONSE_CODE, &status);
  if (status != 200) {
    return Error{Code::kInternal,
                 where + "status " + std::to_string(status) + " (only 200 is accepted)"};
  }
  if (transfer.content_type_lines != 1 || !IsJsonMediaType(transfer.content_type)) {
    return Error{Code::kInternal,
                 where + "Content-Type \"" + ForMessage(transfer.content_type) + "\" is not JSON"};
  }
  FetchedDocument document;
  document.body = std::move(transfer.body);
  document.max_age_seconds = CacheControlMaxAge(transfer.cache_control);
  return document;
}

}  // namespace ztm::server
