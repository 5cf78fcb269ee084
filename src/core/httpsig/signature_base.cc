// RFC 9421 §2: component values and the signature base (see signature_base.h).
#include "core/httpsig/signature_base.h"

#include <algorithm>
#include <cstdint>

#include "core/text.h"

namespace ztm::httpsig {
namespace {

constexpr std::string_view kSignatureParamsName = "@signature-params";

Error ComponentInvalid(std::string message) {
  return Error{Code::kHttpSigComponentInvalid, std::move(message)};
}
Error ComponentMissing(std::string message) {
  return Error{Code::kHttpSigComponentMissing, std::move(message)};
}

// RFC 9421 §2.2: the derived components this implementation knows.
enum class Derived {
  kMethod,
  kTargetUri,
  kAuthority,
  kScheme,
  kRequestTarget,
  kPath,
  kQuery,
  kQueryParam,
  kStatus,
};

std::optional<Derived> FindDerived(std::string_view name) {
  static constexpr std::pair<std::string_view, Derived> kDerived[] = {
      {"@method", Derived::kMethod},
      {"@target-uri", Derived::kTargetUri},
      {"@authority", Derived::kAuthority},
      {"@scheme", Derived::kScheme},
      {"@request-target", Derived::kRequestTarget},
      {"@path", Derived::kPath},
      {"@query", Derived::kQuery},
      {"@query-param", Derived::kQueryParam},
      {"@status", Derived::kStatus},
  };
  for (const auto& [known, derived] : kDerived) {
    if (known == name) return derived;
  }
  return std::nullopt;
}

// A field name as a component name: a lowercase token (RFC 9421 §2.1, RFC 9110 §5.1).
bool IsLowercaseFieldName(std::string_view name) {
  if (name.empty()) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    if (c >= 'a' && c <= 'z') return true;
    if (c >= '0' && c <= '9') return true;
    return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
  });
}

// The parameters of one component identifier, checked.
struct ComponentParams {
  bool sf = false;                  // §2.1.1 strict structured-field serialization
  bool bs = false;                  // §2.1.3 byte-sequence wrapping of each field line
  bool req = false;                 // §2.4 the value comes from the related request
  bool tr = false;                  // §2.1.4 trailer field
  std::optional<std::string> key;   // §2.1.2 dictionary member
  std::optional<std::string> name;  // §2.2.8 query parameter name
};

Result<ComponentParams> ReadComponentParams(std::string_view component,
                                            std::optional<Derived> derived,
                                            const sf::Parameters& params) {
  ComponentParams out;
  std::vector<std::string_view> seen;
  for (const auto& [key, value] : params) {
    if (std::find(seen.begin(), seen.end(), key) != seen.end()) {
      return ComponentInvalid("parameter ;" + ForMessage(key) + " repeated on " +
                              ForMessage(component));
    }
    seen.push_back(key);
    bool* flag = nullptr;
    if (key == "req") {
      flag = &out.req;
    } else if (!derived && key == "sf") {
      flag = &out.sf;
    } else if (!derived && key == "bs") {
      flag = &out.bs;
    } else if (!derived && key == "tr") {
      flag = &out.tr;
    }
    if (flag != nullptr) {
      // A flag is present-and-true; "?0" would be a second spelling of "absent".
      const bool* set = std::get_if<bool>(&value);
      if (set == nullptr || !*set) {
        return ComponentInvalid("parameter ;" + ForMessage(key) + " must be a true Boolean");
      }
      *flag = true;
      continue;
    }
    std::optional<std::string>* text = nullptr;
    if (!derived && key == "key") {
      text = &out.key;
    } else if (derived == Derived::kQueryParam && key == "name") {
      text = &out.name;
    }
    if (text == nullptr) {
      return ComponentInvalid("parameter ;" + ForMessage(key) + " is not defined for " +
                              ForMessage(component));
    }
    const auto* string = std::get_if<std::string>(&value);
    if (string == nullptr)
      return ComponentInvalid("parameter ;" + ForMessage(key) + " must be a String");
    *text = *string;
  }
  // §2.1: `bs` needs the raw lines, `sf` and `key` the parsed structure.
  if (out.bs && (out.sf || out.key)) {
    return ComponentInvalid("parameter ;bs cannot be combined with ;sf or ;key");
  }
  if (out.tr) return ComponentInvalid("trailer fields (;tr) are not supported");
  if (derived == Derived::kQueryParam && !out.name) {
    return ComponentInvalid("@query-param needs a ;name parameter");
  }
  return out;
}

// §2.2: derived values are printable ASCII and spaces, without leading or trailing space.
Result<std::string> CheckDerivedValue(std::string_view component, std::string value) {
  const bool printable = std::all_of(value.begin(), value.end(), [](char c) {
    return static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) <= 0x7e;
  });
  if (!printable || (!value.empty() && (value.front() == ' ' || value.back() == ' '))) {
    return ComponentInvalid(std::string(component) + " value is not printable ASCII");
  }
  return value;
}

bool IsHexDigit(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return c - 'A' + 10;
}

// WHATWG URL §5.1 application/x-www-form-urlencoded parsing of one name or value: '+' is a
// space, then percent-decoding (a '%' not followed by two hex digits stays as it is).
std::string FormDecode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+') {
      out += ' ';
    } else if (c == '%' && i + 2 < text.size() && IsHexDigit(text[i + 1]) &&
               IsHexDigit(text[i + 2])) {
      out += static_cast<char>(HexValue(text[i + 1]) * 16 + HexValue(text[i + 2]));
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

// WHATWG URL §5.2 "percent-encode after encoding" with the application/x-www-form-urlencoded
// percent-encode set and spaces as %20: only ASCII alphanumerics and *-._ stay literal.
std::string FormEncode(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : bytes) {
    const auto byte = static_cast<unsigned char>(c);
    const bool literal = (byte >= 'a' && byte <= 'z') || (byte >= 'A' && byte <= 'Z') ||
                         (byte >= '0' && byte <= '9') || byte == '*' || byte == '-' ||
                         byte == '.' || byte == '_';
    if (literal) {
      out += c;
    } else {
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0x0f];
    }
  }
  return out;
}

// RFC 3629 §4: well-formed UTF-8 (no overlong forms, surrogates or values above U+10FFFF).
bool IsValidUtf8(std::string_view text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const auto lead = static_cast<unsigned char>(text[i]);
    std::size_t length = 0;
    std::uint32_t min = 0;
    std::uint32_t code_point = 0;
    if (lead < 0x80) {
      ++i;
      continue;
    } else if ((lead & 0xe0) == 0xc0) {
      length = 2, min = 0x80, code_point = lead & 0x1f;
    } else if ((lead & 0xf0) == 0xe0) {
      length = 3, min = 0x800, code_point = lead & 0x0f;
    } else if ((lead & 0xf8) == 0xf0) {
      length = 4, min = 0x10000, code_point = lead & 0x07;
    } else {
      return false;
    }
    if (i + length > text.size()) return false;
    for (std::size_t k = 1; k < length; ++k) {
      const auto continuation = static_cast<unsigned char>(text[i + k]);
      if ((continuation & 0xc0) != 0x80) return false;
      code_point = (code_point << 6) | (continuation & 0x3f);
    }
    if (code_point < min || code_point > 0x10ffff ||
        (code_point >= 0xd800 && code_point <= 0xdfff)) {
      return false;
    }
    i += length;
  }
  return true;
}

// RFC 9421 §2.2.8: the re-encoded value of the single query parameter whose re-encoded name
// is `encoded_name`.
Result<std::string> QueryParamValue(const std::optional<std::string>& query,
                                    std::string_view encoded_name) {
  std::optional<std::string> found;
  std::string_view rest = query ? std::string_view(*query) : std::string_view();
  while (!rest.empty()) {
    const auto amp = rest.find('&');
    const auto sequence = rest.substr(0, amp);
    rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
    if (sequence.empty()) continue;
    const auto equals = sequence.find('=');
    const std::string name = FormDecode(sequence.substr(0, equals));
    const std::string value =
        equals == std::string_view::npos ? std::string() : FormDecode(sequence.substr(equals + 1));
    // WHATWG would substitute U+FFFD for bad UTF-8; two different queries would then sign
    // alike, so such a query cannot be signed by parameter (sign @query instead).
    if (!IsValidUtf8(name) || !IsValidUtf8(value)) {
      return ComponentInvalid("query parameters are not valid UTF-8 after decoding");
    }
    if (FormEncode(name) != encoded_name) continue;
    // §2.2.8: a parameter name that occurs more than once is not signed by name.
    if (found) {
      return ComponentInvalid("query parameter \"" + ForMessage(encoded_name) +
                              "\" occurs more than once");
    }
    found = FormEncode(value);
  }
  if (!found) {
    return ComponentMissing("query parameter \"" + ForMessage(encoded_name) + "\" not in request");
  }
  return *found;
}

Result<std::string> DerivedValue(std::string_view component, Derived derived,
                                 const ComponentParams& params, HttpMessageView message) {
  const HttpRequest* request = message.request();
  const HttpResponse* response = message.response();
  if (params.req) {
    // §2.4: `req` is for responses, and takes the value from the request answered.
    if (response == nullptr) return ComponentInvalid(";req used on a request message");
    if (!response->request) {
      return ComponentMissing(std::string(component) + ";req needs the related request");
    }
    request = &*response->request;
    response = nullptr;
  }

  if (derived == Derived::kStatus) {
    // §2.2.9: responses only.
    if (response == nullptr) return ComponentInvalid("@status applies to responses only");
    if (response->status < 100 || response->status > 999) {
      return ComponentInvalid("@status is not a three-digit status code");
    }
    return std::to_string(response->status);
  }
  if (request == nullptr) {
    return ComponentInvalid(std::string(component) + " applies to requests (use ;req)");
  }

  switch (derived) {
    case Derived::kMethod: {
      // §2.2.1: case-sensitive, as sent.
      const std::string& method = request->method;
      if (method.empty() || method.find_first_of(" \t") != std::string::npos) {
        return Error{Code::kHttpMessageMalformed, "invalid method"};
      }
      return CheckDerivedValue(component, method);
    }
    case Derived::kRequestTarget:
      // §2.2.5: the request-target as in the HTTP/1.1 request line.
      ZTM_RETURN_IF_ERROR(ParseTarget(*request));
      return CheckDerivedValue(component, request->target);
    default:
      break;
  }

  ZTM_ASSIGN_OR_RETURN(const TargetUri uri, ParseTarget(*request));
  switch (derived) {
    case Derived::kTargetUri: {
      // §2.2.2 and RFC 9112 §3.3: the absolute-form target is the target URI; otherwise
      // it is rebuilt from scheme, authority and the origin-form path and query.
      if (uri.form == TargetForm::kAbsolute) return CheckDerivedValue(component, request->target);
      std::string value = uri.scheme + "://" + uri.authority;
      if (uri.form == TargetForm::kOrigin) value += request->target;
      return CheckDerivedValue(component, std::move(value));
    }
    case Derived::kAuthority: {
      // §2.2.3: normalized per RFC 9110 §4.2.3.
      ZTM_ASSIGN_OR_RETURN(std::string authority, NormalizeAuthority(uri.authority, uri.scheme));
      return CheckDerivedValue(component, std::move(authority));
    }
    case Derived::kScheme:
      // §2.2.4: lowercase.
      return CheckDerivedValue(component, uri.scheme);
    default:
      break;
  }

  // Path and query exist only for origin-form and absolute-form targets.
  if (uri.form != TargetForm::kOrigin && uri.form != TargetForm::kAbsolute) {
    return ComponentInvalid(std::string(component) + " is undefined for this request target");
  }
  switch (derived) {
    case Derived::kPath:
      // §2.2.6: percent-encoding kept; an empty path is "/".
      return CheckDerivedValue(component, uri.path.empty() ? std::string("/") : uri.path);
    case Derived::kQuery:
      // §2.2.7: with the leading '?'; "?" alone when there is no query.
      return CheckDerivedValue(component, "?" + uri.query.value_or(""));
    case Derived::kQueryParam: {
      ZTM_ASSIGN_OR_RETURN(std::string value, QueryParamValue(uri.query, *params.name));
      return CheckDerivedValue(component, std::move(value));
    }
    default:
      break;
  }
  return ComponentInvalid("unhandled derived component " + std::string(component));
}

std::string JoinLines(const std::vector<std::string_view>& lines) {
  std::string joined;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (i > 0) joined += ", ";
    joined += lines[i];
  }
  return joined;
}

Result<std::string> SerializeMember(const sf::ListMember& member) {
  if (const auto* item = std::get_if<sf::Item>(&member)) return sf::SerializeItem(*item);
  return sf::SerializeInnerList(std::get<sf::InnerList>(member));
}

// RFC 9421 §2.1 and its parameters §2.1.1-§2.1.3.
Result<std::string> FieldValue(const std::string& name, const ComponentParams& params,
                               HttpMessageView message, const StructuredFieldTypes& types) {
  const std::string shown = ForMessage(name);
  const HttpFields* fields = &message.fields();
  if (params.req) {
    if (message.response() == nullptr) return ComponentInvalid(";req used on a request message");
    if (!message.response()->request) {
      return ComponentMissing("\"" + shown + "\";req needs the related request");
    }
    fields = &message.response()->request->fields;
  }
  const auto lines = fields->Values(name);
  if (lines.empty()) return ComponentMissing("field " + shown + " not in message");

  if (params.bs) {
    // §2.1.3: each line (already trimmed) as a Byte Sequence, serialized as a List.
    sf::List list;
    for (const auto line : lines) list.emplace_back(sf::Item{ToBytes(line), {}});
    auto serialized = sf::SerializeList(list);
    if (!serialized.ok()) return ComponentInvalid("field " + shown + " cannot be wrapped with ;bs");
    return std::move(serialized).value();
  }

  // §2.1: lines combined with ", " (RFC 9110 §5.3), each already trimmed.
  const std::string combined = JoinLines(lines);
  if (!params.key && !params.sf) return combined;

  const auto declared = types.Find(name);
  if (params.key) {
    // §2.1.2: a member of a Dictionary field, serialized strictly.
    if (declared && *declared != StructuredFieldType::kDictionary) {
      return ComponentInvalid("field " + shown + " is not a Dictionary; ;key does not apply");
    }
    auto dictionary = sf::ParseDictionary(combined);
    if (!dictionary.ok()) {
      return ComponentInvalid("field " + shown + " is not a valid Dictionary");
    }
    const auto* member = sf::FindMember(*dictionary, *params.key);
    if (member == nullptr) {
      return ComponentMissing("field " + shown + " has no member \"" + ForMessage(*params.key) +
                              "\"");
    }
    auto serialized = SerializeMember(*member);
    if (!serialized.ok()) return ComponentInvalid("field " + shown + " member does not serialize");
    return std::move(serialized).value();
  }

  // §2.1.1: strict re-serialization as the field's known type.
  if (!declared) {
    return ComponentInvalid("field " + shown +
                            " is not a known structured field; ;sf needs its type");
  }
  Result<std::string> serialized = Error{Code::kInternal, ""};
  switch (*declared) {
    case StructuredFieldType::kItem: {
      auto item = sf::ParseItem(combined);
      if (!item.ok()) return ComponentInvalid("field " + shown + " is not a valid Item");
      serialized = sf::SerializeItem(*item);
      break;
    }
    case StructuredFieldType::kList: {
      auto list = sf::ParseList(combined);
      if (!list.ok()) return ComponentInvalid("field " + shown + " is not a valid List");
      serialized = sf::SerializeList(*list);
      break;
    }
    case StructuredFieldType::kDictionary: {
      auto dictionary = sf::ParseDictionary(combined);
      if (!dictionary.ok())
        return ComponentInvalid("field " + shown + " is not a valid Dictionary");
      serialized = sf::SerializeDictionary(*dictionary);
      break;
    }
  }
  if (!serialized.ok()) return ComponentInvalid("field " + shown + " does not serialize");
  return std::move(serialized).value();
}

// RFC 9421 §2.3: the types of the defined signature parameters. Others are kept as given.
Status CheckSignatureParams(const sf::Parameters& params) {
  for (const auto& [key, value] : params) {
    if (key == "created" || key == "expires") {
      const auto* seconds = std::get_if<std::int64_t>(&value);
      if (seconds == nullptr || *seconds < 0) {
        return Error{Code::kHttpSigInputMalformed, key + " must be a non-negative Integer"};
      }
    } else if (key == "nonce" || key == "alg" || key == "keyid" || key == "tag") {
      if (!std::holds_alternative<std::string>(value)) {
        return Error{Code::kHttpSigInputMalformed, key + " must be a String"};
      }
    }
  }
  return OkStatus();
}

}  // namespace

const StructuredFieldTypes& StructuredFieldTypes::Standard() {
  static const StructuredFieldTypes* const kStandard = [] {
    auto* types = new StructuredFieldTypes();
    for (const char* name :
         {"signature", "signature-input", "accept-signature", "content-digest", "repr-digest",
          "want-content-digest", "want-repr-digest", "priority"}) {
      types->Declare(name, StructuredFieldType::kDictionary);
    }
    for (const char* name : {"client-cert-chain", "proxy-status", "cache-status"}) {
      types->Declare(name, StructuredFieldType::kList);
    }
    types->Declare("client-cert", StructuredFieldType::kItem);
    return types;
  }();
  return *kStandard;
}

StructuredFieldTypes& StructuredFieldTypes::Declare(std::string_view name,
                                                    StructuredFieldType type) {
  for (auto& [known, known_type] : types_) {
    if (known == name) {
      known_type = type;
      return *this;
    }
  }
  types_.emplace_back(std::string(name), type);
  return *this;
}

std::optional<StructuredFieldType> StructuredFieldTypes::Find(std::string_view name) const {
  for (const auto& [known, type] : types_) {
    if (known == name) return type;
  }
  return std::nullopt;
}

sf::Item Component(std::string_view name, sf::Parameters params) {
  return sf::Item{std::string(name), std::move(params)};
}

bool SameComponent(const sf::Item& a, const sf::Item& b) {
  if (a.value != b.value || a.params.size() != b.params.size()) return false;
  return std::all_of(a.params.begin(), a.params.end(), [&](const auto& param) {
    const auto* other = sf::FindParam(b.params, param.first);
    return other != nullptr && *other == param.second;
  });
}

Result<std::string> BuildSignatureBase(HttpMessageView message,
                                       const sf::InnerList& signature_params,
                                       const StructuredFieldTypes& field_types) {
  const auto& components = signature_params.items;
  if (components.size() > kMaxCoveredComponents) {
    return Error{Code::kInputTooLarge,
                 "more than " + std::to_string(kMaxCoveredComponents) + " covered components"};
  }
  ZTM_RETURN_IF_ERROR(CheckSignatureParams(signature_params.params));

  std::string base;
  for (std::size_t i = 0; i < components.size(); ++i) {
    const sf::Item& component = components[i];
    const auto* name = std::get_if<std::string>(&component.value);
    if (name == nullptr) return ComponentInvalid("a component identifier must be a String");
    // §2.3: @signature-params is never a covered component, not even of itself.
    if (*name == kSignatureParamsName) {
      return ComponentInvalid("@signature-params cannot be a covered component");
    }
    std::optional<Derived> derived;
    if (!name->empty() && name->front() == '@') {
      derived = FindDerived(*name);
      if (!derived) return ComponentInvalid("unknown derived component " + ForMessage(*name));
    } else if (!IsLowercaseFieldName(*name)) {
      return ComponentInvalid("component name \"" + ForMessage(*name) +
                              "\" is not a lowercase field name");
    }
    // §2: each identifier at most once (parameter order does not make two identifiers).
    for (std::size_t j = 0; j < i; ++j) {
      if (SameComponent(component, components[j])) {
        return Error{Code::kHttpSigComponentDuplicate,
                     "component " + ForMessage(*name) + " listed twice"};
      }
    }
    ZTM_ASSIGN_OR_RETURN(const ComponentParams params,
                         ReadComponentParams(*name, derived, component.params));
    auto identifier = sf::SerializeItem(component);
    if (!identifier.ok()) return ComponentInvalid("component identifier does not serialize");

    std::string value;
    if (derived) {
      ZTM_ASSIGN_OR_RETURN(value, DerivedValue(*name, *derived, params, message));
    } else {
      ZTM_ASSIGN_OR_RETURN(value, FieldValue(*name, params, message, field_types));
    }
    // §2.5: `signature-base-line = component-identifier ":" SP value`, LF-separated.
    base += *identifier;
    base += ": ";
    base += value;
    base += '\n';
    if (base.size() > kMaxSignatureBaseBytes) {
      return Error{Code::kInputTooLarge,
                   "signature base exceeds " + std::to_string(kMaxSignatureBaseBytes) + " bytes"};
    }
  }

  auto params_value = sf::SerializeInnerList(signature_params);
  if (!params_value.ok()) {
    return Error{Code::kHttpSigInputMalformed,
                 "signature parameters do not serialize: " + params_value.error().message};
  }
  base += "\"@signature-params\": ";
  base += *params_value;
  if (base.size() > kMaxSignatureBaseBytes) {
    return Error{Code::kInputTooLarge,
                 "signature base exceeds " + std::to_string(kMaxSignatureBaseBytes) + " bytes"};
  }
  return base;
}

}  // namespace ztm::httpsig
