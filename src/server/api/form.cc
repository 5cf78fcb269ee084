#include "server/api/form.h"

namespace ztm::server {
namespace {

Error Invalid(std::string message) { return Error{Code::kOAuthInvalidRequest, std::move(message)}; }

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

Result<std::string> Decode(std::string_view text) {
  std::string decoded;
  decoded.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+') {
      decoded.push_back(' ');
    } else if (c == '%') {
      if (i + 2 >= text.size()) return Invalid("form body has a truncated percent-encoding");
      const int high = HexValue(text[i + 1]);
      const int low = HexValue(text[i + 2]);
      if (high < 0 || low < 0) return Invalid("form body has a malformed percent-encoding");
      decoded.push_back(static_cast<char>(high * 16 + low));
      i += 2;
    } else {
      decoded.push_back(c);
    }
  }
  return decoded;
}

bool MediaTypeIs(std::string_view content_type, std::string_view expected) {
  const std::size_t end = content_type.find(';');
  std::string_view media_type = content_type.substr(0, end);
  while (!media_type.empty() && (media_type.back() == ' ' || media_type.back() == '\t')) {
    media_type.remove_suffix(1);
  }
  if (media_type.size() != expected.size()) return false;
  for (std::size_t i = 0; i < expected.size(); ++i) {
    char c = media_type[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != expected[i]) return false;
  }
  return true;
}

}  // namespace

Result<FormParameters> FormParameters::Parse(std::string_view body) {
  if (body.size() > kMaxFormBodyBytes) return Invalid("form body is too large");
  FormParameters form;
  std::size_t start = 0;
  while (start < body.size()) {
    std::size_t end = body.find('&', start);
    if (end == std::string_view::npos) end = body.size();
    const std::string_view pair = body.substr(start, end - start);
    start = end + 1;
    if (pair.empty()) continue;
    if (form.values_.size() >= kMaxFormParameters)
      return Invalid("form body has too many parameters");
    const std::size_t equals = pair.find('=');
    ZTM_ASSIGN_OR_RETURN(std::string name, Decode(pair.substr(0, equals)));
    std::string value;
    if (equals != std::string_view::npos) {
      ZTM_ASSIGN_OR_RETURN(value, Decode(pair.substr(equals + 1)));
    }
    if (name.empty()) return Invalid("form body has a parameter without a name");
    if (form.values_.contains(name)) {
      return Invalid("parameter \"" + name.substr(0, 64) + "\" is repeated");
    }
    form.values_.emplace(std::move(name), std::move(value));
  }
  return form;
}

std::optional<std::string_view> FormParameters::Get(std::string_view name) const {
  auto it = values_.find(name);
  if (it == values_.end()) return std::nullopt;
  return std::string_view(it->second);
}

Result<std::string_view> FormParameters::Required(std::string_view name) const {
  std::optional<std::string_view> value = Get(name);
  if (!value || value->empty())
    return Invalid("parameter \"" + std::string(name) + "\" is required");
  return *value;
}

bool IsFormContentType(std::string_view content_type) {
  return MediaTypeIs(content_type, "application/x-www-form-urlencoded");
}

bool IsJsonContentType(std::string_view content_type) {
  return MediaTypeIs(content_type, "application/json");
}

}  // namespace ztm::server
