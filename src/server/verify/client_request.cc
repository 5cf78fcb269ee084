#include "server/verify/client_request.h"

#include <optional>

namespace ztm::server {
namespace {

Error Malformed(std::string message) {
  return Error{Code::kHttpMessageMalformed, std::move(message)};
}

// The single value of `name`; a repeated field is refused (two values, two interpretations).
Result<std::optional<std::string>> SingleField(const http::Request& request,
                                               std::string_view name) {
  std::optional<std::string> value;
  for (const auto& [key, field_value] : request.headers) {
    if (key != name) continue;
    if (value) return Malformed(std::string(name) + " is repeated");
    value = field_value;
  }
  return value;
}

bool IsUnreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// RFC 3986 §3.3 pchar plus '/': what an origin-form path may contain literally.
bool IsPathChar(char c) {
  static constexpr std::string_view kSubDelimsAndMore = "!$&'()*+,;=:@/";
  return IsUnreserved(c) || kSubDelimsAndMore.find(c) != std::string_view::npos;
}

Result<std::string> NormalizePath(std::string_view path) {
  std::string normalized;
  normalized.reserve(path.size());
  for (std::size_t i = 0; i < path.size(); ++i) {
    const char c = path[i];
    if (c != '%') {
      if (!IsPathChar(c)) return Malformed("request path has a character outside RFC 3986");
      normalized.push_back(c);
      continue;
    }
    if (i + 2 >= path.size()) {
      return Malformed("request path has a truncated percent-encoding");
    }
    const int high = HexValue(path[i + 1]);
    const int low = HexValue(path[i + 2]);
    if (high < 0 || low < 0) return Malformed("request path has a malformed percent-encoding");
    const char decoded = static_cast<char>(high * 16 + low);
    if (decoded == '/' || decoded == '\\') {
      return Malformed("request path has an encoded '/' or '\\'");
    }
    if (IsUnreserved(decoded)) {
      normalized.push_back(decoded);
    } else {
      static constexpr char kHex[] = "0123456789ABCDEF";
      normalized.push_back('%');
      normalized.push_back(kHex[high]);
      normalized.push_back(kHex[low]);
    }
    i += 2;
  }
  // Dot segments (RFC 3986 §5.2.4) would let "/public/../admin" match the "/public/" route.
  std::size_t start = 0;
  while (start <= normalized.size()) {
    std::size_t end = normalized.find('/', start);
    if (end == std::string::npos) end = normalized.size();
    std::string_view segment(normalized.data() + start, end - start);
    if (segment == "." || segment == "..") return Malformed("request path has a dot segment");
    start = end + 1;
  }
  return normalized;
}

}  // namespace

Result<ClientRequest> ClientRequestOf(const http::Request& request, GatewayMode mode) {
  ClientRequest client;
  client.method = request.method;
  client.target = request.target;
  client.scheme = request.tls ? "https" : "http";
  ZTM_ASSIGN_OR_RETURN(std::optional<std::string> host, SingleField(request, "host"));
  if (!host || host->empty()) return Malformed("request has no Host");
  client.authority = std::move(*host);
  if (mode == GatewayMode::kAuthRequest) {
    ZTM_ASSIGN_OR_RETURN(std::optional<std::string> method,
                         SingleField(request, "x-original-method"));
    ZTM_ASSIGN_OR_RETURN(std::optional<std::string> uri, SingleField(request, "x-original-uri"));
    ZTM_ASSIGN_OR_RETURN(std::optional<std::string> proto,
                         SingleField(request, "x-forwarded-proto"));
    if (method) client.method = std::move(*method);
    if (uri) client.target = std::move(*uri);
    if (proto) {
      if (*proto != "https" && *proto != "http") return Malformed("X-Forwarded-Proto is invalid");
      client.scheme = std::move(*proto);
    }
  }
  if (client.method.empty()) return Malformed("request has no method");
  if (client.target.size() > kMaxTargetBytes) return Malformed("request target is too long");
  if (client.target.empty() || client.target.front() != '/') {
    return Malformed("request target is not origin-form");
  }
  const std::size_t query = client.target.find('?');
  const std::string_view path = std::string_view(client.target).substr(0, query);
  if (client.target.find('#') != std::string::npos)
    return Malformed("request target has a fragment");
  ZTM_ASSIGN_OR_RETURN(client.path, NormalizePath(path));
  return client;
}

const RoutePolicy& DefaultRoutePolicy() {
  static const RoutePolicy* const kDefault = [] {
    auto* policy = new RoutePolicy();
    policy->path_prefix = "/";
    return policy;
  }();
  return *kDefault;
}

const RoutePolicy& MatchRoute(std::span<const RoutePolicy> routes, std::string_view path) {
  const RoutePolicy* best = nullptr;
  for (const RoutePolicy& route : routes) {
    if (!path.starts_with(route.path_prefix)) continue;
    if (best == nullptr || route.path_prefix.size() > best->path_prefix.size()) best = &route;
  }
  return best != nullptr ? *best : DefaultRoutePolicy();
}

}  // namespace ztm::server
