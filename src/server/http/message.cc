#include "server/http/message.h"

namespace ztm::server::http {

std::optional<std::string_view> Request::Header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (key == name) return std::string_view(value);
  }
  return std::nullopt;
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

Response Response::Json(int status, std::string body) {
  Response response;
  response.status = status;
  response.headers = {{"content-type", "application/json"}, {"cache-control", "no-store"}};
  response.body = std::move(body);
  return response;
}

}  // namespace ztm::server::http
