// The gateway's plain-data HTTP messages (see message.h).
#include "server/http/message.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <set>
#include <string_view>

namespace ztm::server::http {

std::optional<std::string_view> Request::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key == name) return std::string_view(value);
  }
  return std::nullopt;
}

bool Request::HasBody() const {
  if (!body.empty()) return true;
  return body_stream != nullptr && body_stream->declared_length() != std::uint64_t{0};
}

std::optional<std::string> Request::CombinedHeader(std::string_view name) const {
  std::optional<std::string> combined;
  for (const auto& [key, value] : headers) {
    if (key != name) continue;
    if (combined) {
      combined->append(", ");
      combined->append(value);
    } else {
      combined = value;
    }
  }
  return combined;
}

namespace {

// RFC 9110 §5.6.1: a list element is separated by commas with optional whitespace.
void AddConnectionOptions(std::string_view value, std::set<std::string>& options) {
  std::size_t start = 0;
  while (start <= value.size()) {
    std::size_t end = value.find(',', start);
    if (end == std::string_view::npos) end = value.size();
    std::string_view option = value.substr(start, end - start);
    while (!option.empty() && (option.front() == ' ' || option.front() == '\t')) {
      option.remove_prefix(1);
    }
    while (!option.empty() && (option.back() == ' ' || option.back() == '\t')) {
      option.remove_suffix(1);
    }
    if (!option.empty()) {
      std::string lower(option);
      std::transform(lower.begin(), lower.end(), lower.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      options.insert(std::move(lower));
    }
    start = end + 1;
  }
}

}  // namespace

HeaderList WithoutHopByHopHeaders(const HeaderList& headers) {
  static constexpr std::array<std::string_view, 9> kAlwaysHopByHop = {
      "connection", "proxy-connection",   "keep-alive",
      "te",         "transfer-encoding",  "upgrade",
      "trailer",    "proxy-authenticate", "proxy-authorization"};
  std::set<std::string> nominated;
  for (const auto& [name, value] : headers) {
    if (name == "connection") AddConnectionOptions(value, nominated);
  }
  HeaderList kept;
  kept.reserve(headers.size());
  for (const auto& header : headers) {
    const std::string& name = header.first;
    if (std::find(kAlwaysHopByHop.begin(), kAlwaysHopByHop.end(), name) != kAlwaysHopByHop.end() ||
        nominated.count(name) != 0) {
      continue;
    }
    kept.push_back(header);
  }
  return kept;
}

Response Response::Json(int status, std::string body) {
  Response response;
  response.status = status;
  response.headers = {{"content-type", "application/json"}, {"cache-control", "no-store"}};
  response.body = std::move(body);
  return response;
}

}  // namespace ztm::server::http
