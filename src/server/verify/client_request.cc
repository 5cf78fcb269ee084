#include "server/verify/client_request.h"

#include <algorithm>
#include <optional>
#include <vector>

namespace ztm::server {
namespace {

Error Malformed(std::string message) {
  return Error{Code::kHttpMessageMalformed, std::move(message)};
}

Error Ambiguous(std::string message) {
  return Error{Code::kRequestPathAmbiguous, std::move(message)};
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
      return Ambiguous("request path has an encoded '/' or '\\'");
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
  // ';' starts path parameters in Tomcat, Jetty and Spring, which resolve "/public/..;/admin"
  // as "/admin": refused, literal or encoded (%3B), in every segment. No ztm route needs one.
  if (normalized.find(';') != std::string::npos || normalized.find("%3B") != std::string::npos) {
    return Ambiguous("request path has a ';'");
  }
  // Dot segments (RFC 3986 §5.2.4) would let "/public/../admin" match the "/public/" route;
  // empty segments would let "//admin/x" miss the "/admin/" route while upstreams that merge
  // slashes (nginx merge_slashes, most frameworks) serve /admin/x.
  std::size_t start = 1;  // after the leading '/'
  while (start <= normalized.size()) {
    std::size_t end = normalized.find('/', start);
    if (end == std::string::npos) end = normalized.size();
    std::string_view segment(normalized.data() + start, end - start);
    if (segment == "." || segment == "..") return Ambiguous("request path has a dot segment");
    if (segment.empty() && end != normalized.size()) {
      return Ambiguous("request path has an empty segment");
    }
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
  client.forward_target = client.path;
  if (query != std::string::npos) client.forward_target += client.target.substr(query);
  return client;
}

Result<std::string> NormalizeOrigin(std::string_view origin) {
  auto invalid = [&](std::string_view why) {
    return Error{Code::kInvalidArgument, "origin: " + std::string(why)};
  };
  std::string lower(origin);
  for (char& c : lower) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  std::string_view rest = lower;
  std::string_view default_port;
  std::string scheme;
  if (rest.starts_with("https://")) {
    scheme = "https";
    default_port = "443";
  } else if (rest.starts_with("http://")) {
    scheme = "http";
    default_port = "80";
  } else {
    return invalid("expected https://host[:port]");
  }
  rest.remove_prefix(scheme.size() + 3);
  std::string_view host = rest;
  std::string_view port;
  bool has_port = false;
  if (rest.starts_with('[')) {
    const std::size_t close = rest.find(']');
    if (close == std::string_view::npos) return invalid("unterminated IPv6 literal");
    host = rest.substr(0, close + 1);
    for (char c : host.substr(1, host.size() - 2)) {
      if (HexValue(c) < 0 && c != ':' && c != '.') return invalid("bad IPv6 literal");
    }
    rest.remove_prefix(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return invalid("only a port may follow the host");
      port = rest.substr(1);
      has_port = true;
    }
  } else {
    const std::size_t colon = rest.find(':');
    host = rest.substr(0, colon);
    if (colon != std::string_view::npos) {
      port = rest.substr(colon + 1);
      has_port = true;
    }
    for (char c : host) {
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.')) {
        return invalid("the host may hold letters, digits, '-' and '.' only (no path)");
      }
    }
  }
  if (host.empty() || host == "[]") return invalid("no host");
  if (has_port) {
    if (port.empty() || port.size() > 5) return invalid("bad port");
    unsigned value = 0;
    for (char c : port) {
      if (c < '0' || c > '9') return invalid("bad port");
      value = value * 10 + static_cast<unsigned>(c - '0');
    }
    if (value == 0 || value > 65535) return invalid("port outside 1..65535");
  }
  std::string normalized = scheme + "://" + std::string(host);
  if (!port.empty() && port != default_port) normalized += ":" + std::string(port);
  return normalized;
}

Status CheckPublicOrigin(const http::Request& request, GatewayMode mode,
                         std::span<const std::string> origins) {
  if (origins.empty()) return OkStatus();
  const Error misdirected{Code::kMisdirectedRequest,
                          "this gateway does not serve the requested origin"};
  std::string scheme = request.tls ? "https" : "http";
  std::vector<std::string> hosts;
  auto single = SingleField(request, "host");
  if (!single.ok() || !*single) return misdirected;
  hosts.push_back(std::move(**single));
  if (mode == GatewayMode::kAuthRequest) {
    auto proto = SingleField(request, "x-forwarded-proto");
    auto forwarded_host = SingleField(request, "x-forwarded-host");
    if (!proto.ok() || !forwarded_host.ok()) return misdirected;
    if (*proto) scheme = std::move(**proto);
    if (*forwarded_host) hosts.push_back(std::move(**forwarded_host));
  }
  for (const std::string& host : hosts) {
    auto origin = NormalizeOrigin(scheme + "://" + host);
    if (!origin.ok() || std::find(origins.begin(), origins.end(), *origin) == origins.end()) {
      return misdirected;
    }
  }
  return OkStatus();
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
