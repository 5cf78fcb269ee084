// HTTP message model and bounded HTTP/1.1 parser (see http_message.h).
#include "core/httpsig/http_message.h"

#include <algorithm>
#include <charconv>

#include "core/text.h"

namespace ztm::httpsig {
namespace {

Error Malformed(std::string message) {
  return Error{Code::kHttpMessageMalformed, std::move(message)};
}

bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsHexDigit(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
char ToLower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

std::string Lowercase(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), ToLower);
  return out;
}

// RFC 9110 §5.6.2: tchar.
bool IsTokenChar(char c) {
  if (IsAlpha(c) || IsDigit(c)) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool IsToken(std::string_view text) {
  return !text.empty() && std::all_of(text.begin(), text.end(), IsTokenChar);
}

// RFC 9110 §5.5: field-vchar / SP / HTAB (obs-text included).
bool IsFieldValueChar(char c) {
  const auto byte = static_cast<unsigned char>(c);
  return byte == '\t' || byte == ' ' || (byte >= 0x21 && byte <= 0x7e) || byte >= 0x80;
}

std::string_view TrimWhitespace(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// RFC 3986 §2.3 unreserved and §2.2 sub-delims.
bool IsUnreserved(char c) {
  return IsAlpha(c) || IsDigit(c) || c == '-' || c == '.' || c == '_' || c == '~';
}
bool IsSubDelim(char c) {
  return std::string_view("!$&'()*+,;=").find(c) != std::string_view::npos;
}

// Checks that `text` uses only unreserved, sub-delims, the characters in `extra` and
// well-formed percent-encoding (RFC 3986 §2.1).
bool IsUriPart(std::string_view text, std::string_view extra) {
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      if (i + 2 >= text.size() || !IsHexDigit(text[i + 1]) || !IsHexDigit(text[i + 2])) {
        return false;
      }
      i += 2;
      continue;
    }
    if (!IsUnreserved(c) && !IsSubDelim(c) && extra.find(c) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

// RFC 3986 §3.3 path-abempty / path-absolute characters (pchar and "/").
bool IsPath(std::string_view path) { return IsUriPart(path, ":@/"); }
// RFC 3986 §3.4 query characters (pchar, "/" and "?").
bool IsQuery(std::string_view query) { return IsUriPart(query, ":@/?"); }

struct SplitAuthority {
  std::string_view host;
  std::optional<std::string_view> port;  // without ':'; may be empty
};

// RFC 3986 §3.2: authority = host [ ":" port ], no userinfo (RFC 9110 §4.2.4 deprecates it
// for http(s), and "user@host" is a classic confusion trick).
Result<SplitAuthority> SplitAndCheckAuthority(std::string_view authority) {
  if (authority.empty()) return Malformed("empty authority");
  SplitAuthority split;
  std::string_view rest;
  if (authority.front() == '[') {
    // IP-literal: only IPv6 addresses (no zone identifiers, no IPvFuture).
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return Malformed("unterminated IP literal in authority");
    split.host = authority.substr(0, close + 1);
    const auto inner = split.host.substr(1, split.host.size() - 2);
    if (inner.empty() || !std::all_of(inner.begin(), inner.end(), [](char c) {
          return IsHexDigit(c) || c == ':' || c == '.';
        })) {
      return Malformed("invalid IP literal in authority");
    }
    rest = authority.substr(close + 1);
  } else {
    const auto colon = authority.find(':');
    split.host = authority.substr(0, colon);
    rest = colon == std::string_view::npos ? std::string_view() : authority.substr(colon);
    if (split.host.empty()) return Malformed("authority has no host");
    if (!IsUriPart(split.host, "")) {
      return Malformed("invalid character in authority host");
    }
  }
  if (!rest.empty()) {
    if (rest.front() != ':') return Malformed("invalid authority");
    const auto port = rest.substr(1);
    if (!std::all_of(port.begin(), port.end(), IsDigit)) return Malformed("invalid port");
    if (port.size() > 1 && port.front() == '0') return Malformed("port has leading zeros");
    if (port.size() > 5) return Malformed("port out of range");
    int value = 0;
    std::from_chars(port.data(), port.data() + port.size(), value);
    if (value > 65535) return Malformed("port out of range");
    split.port = port;
  }
  return split;
}

Result<std::string> CheckScheme(std::string_view scheme) {
  std::string lower = Lowercase(scheme);
  if (lower != "http" && lower != "https") {
    return Malformed("scheme must be http or https");
  }
  return lower;
}

// Reads the next line ending at LF (CRLF or LF), starting at `*pos`. Returns nullopt at the
// end of `text`. A line that runs to the end of `text` without LF is returned as is.
std::optional<std::string_view> NextLine(std::string_view text, std::size_t* pos) {
  if (*pos >= text.size()) return std::nullopt;
  const auto lf = text.find('\n', *pos);
  std::string_view line;
  if (lf == std::string_view::npos) {
    line = text.substr(*pos);
    *pos = text.size();
  } else {
    line = text.substr(*pos, lf - *pos);
    *pos = lf + 1;
  }
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

struct ParsedSections {
  std::string_view start_line;
  HttpFields fields;
  std::string_view body;
};

// RFC 9112 §2.1-§5: start line, field lines, empty line, body.
Result<ParsedSections> ParseSections(std::string_view text) {
  if (text.size() > kMaxMessageBytes) {
    return Error{Code::kInputTooLarge,
                 "HTTP message exceeds " + std::to_string(kMaxMessageBytes) + " bytes"};
  }
  ParsedSections sections;
  std::size_t pos = 0;
  const auto start_line = NextLine(text, &pos);
  if (!start_line || start_line->empty()) return Malformed("missing start line");
  if (start_line->size() > kMaxStartLineBytes) {
    return Error{Code::kInputTooLarge,
                 "start line exceeds " + std::to_string(kMaxStartLineBytes) + " bytes"};
  }
  sections.start_line = *start_line;
  bool found_empty_line = false;
  while (auto line = NextLine(text, &pos)) {
    if (pos > kMaxHeaderSectionBytes) {
      return Error{Code::kInputTooLarge,
                   "header section exceeds " + std::to_string(kMaxHeaderSectionBytes) + " bytes"};
    }
    if (line->empty()) {
      found_empty_line = true;
      break;
    }
    // RFC 9112 §5.2: obs-fold is refused, not unfolded.
    if (line->front() == ' ' || line->front() == '\t') {
      return Malformed("obsolete line folding in header field");
    }
    const auto colon = line->find(':');
    if (colon == std::string_view::npos) return Malformed("header field line without ':'");
    const auto name = line->substr(0, colon);
    // RFC 9112 §5.1: no whitespace between the field name and the colon.
    if (!IsToken(name)) return Malformed("invalid header field name");
    ZTM_RETURN_IF_ERROR(sections.fields.Add(name, line->substr(colon + 1)));
  }
  // A file may stop right after the last field line; that is a message without a body.
  sections.body = found_empty_line ? text.substr(pos) : std::string_view();
  return sections;
}

// RFC 9112 §6: only Content-Length framing; Transfer-Encoding would need chunked decoding,
// and a message carrying both is the classic request-smuggling shape.
Status CheckFraming(const HttpFields& fields, std::string_view body, bool body_to_end) {
  if (fields.Contains("transfer-encoding")) {
    return Malformed("Transfer-Encoding is not supported");
  }
  const auto lengths = fields.Values("content-length");
  if (lengths.size() > 1) return Malformed("repeated Content-Length");
  if (lengths.empty()) {
    if (!body.empty() && !body_to_end) return Malformed("body without Content-Length");
    return OkStatus();
  }
  const auto value = lengths.front();
  // 7 digits covers kMaxMessageBytes; more cannot match a body this parser accepts.
  if (value.empty() || value.size() > 7 || !std::all_of(value.begin(), value.end(), IsDigit)) {
    return Malformed("invalid Content-Length");
  }
  std::size_t length = 0;
  std::from_chars(value.data(), value.data() + value.size(), length);
  if (length != body.size()) {
    return Malformed("body is " + std::to_string(body.size()) + " bytes but Content-Length says " +
                     std::string(value));
  }
  return OkStatus();
}

}  // namespace

Status HttpFields::Add(std::string_view name, std::string_view value) {
  if (lines_.size() >= kMaxFieldLines) {
    return Error{Code::kInputTooLarge,
                 "more than " + std::to_string(kMaxFieldLines) + " header field lines"};
  }
  if (!IsToken(name)) return Malformed("invalid header field name");
  if (!std::all_of(value.begin(), value.end(), IsFieldValueChar)) {
    return Malformed("control character in value of header field " + ForMessage(Lowercase(name)));
  }
  const auto trimmed = TrimWhitespace(value);
  total_bytes_ += name.size() + trimmed.size();
  if (total_bytes_ > kMaxHeaderSectionBytes) {
    return Error{Code::kInputTooLarge,
                 "header fields exceed " + std::to_string(kMaxHeaderSectionBytes) + " bytes"};
  }
  lines_.push_back(HttpField{Lowercase(name), std::string(trimmed)});
  return OkStatus();
}

std::vector<std::string_view> HttpFields::Values(std::string_view name) const {
  std::vector<std::string_view> values;
  for (const auto& line : lines_) {
    if (line.name == name) values.push_back(line.value);
  }
  return values;
}

bool HttpFields::Contains(std::string_view name) const {
  return std::any_of(lines_.begin(), lines_.end(),
                     [&](const HttpField& line) { return line.name == name; });
}

Result<std::string> NormalizeAuthority(std::string_view authority, std::string_view scheme) {
  ZTM_ASSIGN_OR_RETURN(const std::string lower_scheme, CheckScheme(scheme));
  ZTM_ASSIGN_OR_RETURN(const SplitAuthority split, SplitAndCheckAuthority(authority));
  std::string normalized = Lowercase(split.host);
  if (split.port && !split.port->empty()) {
    const std::string_view default_port = lower_scheme == "https" ? "443" : "80";
    if (*split.port != default_port) {
      normalized += ':';
      normalized += *split.port;
    }
  }
  return normalized;
}

Result<TargetUri> ParseTarget(const HttpRequest& request) {
  const std::string_view target = request.target;
  TargetUri uri;
  ZTM_ASSIGN_OR_RETURN(uri.scheme, CheckScheme(request.scheme));
  uri.authority = request.authority;
  if (target.empty()) return Malformed("empty request target");
  // The same bound as the request line, for requests built without the parser.
  if (target.size() > kMaxStartLineBytes || request.authority.size() > kMaxStartLineBytes) {
    return Error{Code::kInputTooLarge, "request target or authority exceeds " +
                                           std::to_string(kMaxStartLineBytes) + " bytes"};
  }

  if (target == "*") {
    if (request.method != "OPTIONS") return Malformed("asterisk-form target outside OPTIONS");
    uri.form = TargetForm::kAsterisk;
    return uri;
  }
  if (request.method == "CONNECT") {
    // RFC 9112 §3.2.3: CONNECT uses authority-form only.
    ZTM_RETURN_IF_ERROR(SplitAndCheckAuthority(target));
    uri.form = TargetForm::kAuthority;
    uri.authority = std::string(target);
    return uri;
  }

  std::string_view path_and_query = target;
  if (target.front() != '/') {
    // RFC 9112 §3.2.2: absolute-form, "scheme://authority[path][?query]".
    const auto scheme_end = target.find("://");
    if (scheme_end == std::string_view::npos) return Malformed("invalid request target");
    ZTM_ASSIGN_OR_RETURN(const std::string target_scheme,
                         CheckScheme(target.substr(0, scheme_end)));
    const auto rest = target.substr(scheme_end + 3);
    const auto authority_end = rest.find_first_of("/?");
    const auto target_authority = rest.substr(0, authority_end);
    ZTM_ASSIGN_OR_RETURN(const std::string normalized_target,
                         NormalizeAuthority(target_authority, target_scheme));
    if (request.authority.empty()) return Malformed("request has no authority");
    ZTM_ASSIGN_OR_RETURN(const std::string normalized_request,
                         NormalizeAuthority(request.authority, uri.scheme));
    if (target_scheme != uri.scheme || normalized_target != normalized_request) {
      return Malformed("absolute-form target names another scheme or authority than the request");
    }
    uri.form = TargetForm::kAbsolute;
    uri.authority = std::string(target_authority);
    path_and_query =
        authority_end == std::string_view::npos ? std::string_view() : rest.substr(authority_end);
  } else {
    uri.form = TargetForm::kOrigin;
    if (request.authority.empty()) return Malformed("request has no authority");
    ZTM_RETURN_IF_ERROR(SplitAndCheckAuthority(request.authority));
  }

  const auto question = path_and_query.find('?');
  const auto path = path_and_query.substr(0, question);
  if (!IsPath(path)) return Malformed("invalid character in request path");
  uri.path = std::string(path);
  if (question != std::string_view::npos) {
    const auto query = path_and_query.substr(question + 1);
    if (!IsQuery(query)) return Malformed("invalid character in request query");
    uri.query = std::string(query);
  }
  return uri;
}

Result<HttpRequest> ParseHttpRequest(std::string_view text, std::string_view scheme) {
  ZTM_ASSIGN_OR_RETURN(ParsedSections sections, ParseSections(text));
  HttpRequest request;
  ZTM_ASSIGN_OR_RETURN(request.scheme, CheckScheme(scheme));

  // RFC 9112 §3: method SP request-target SP HTTP-version, single spaces.
  const auto line = sections.start_line;
  const auto first_space = line.find(' ');
  const auto last_space = line.rfind(' ');
  if (first_space == std::string_view::npos || first_space == last_space) {
    return Malformed("request line must be: method SP target SP HTTP/1.1");
  }
  const auto method = line.substr(0, first_space);
  const auto target = line.substr(first_space + 1, last_space - first_space - 1);
  const auto version = line.substr(last_space + 1);
  if (!IsToken(method)) return Malformed("invalid method");
  if (target.empty() || target.find(' ') != std::string_view::npos) {
    return Malformed("invalid request target");
  }
  if (version != "HTTP/1.1") return Malformed("HTTP version must be HTTP/1.1");
  request.method = std::string(method);
  request.target = std::string(target);

  // RFC 9112 §3.2: exactly one Host, a valid authority.
  const auto hosts = sections.fields.Values("host");
  if (hosts.empty()) return Malformed("missing Host header field");
  if (hosts.size() > 1) return Malformed("repeated Host header field");
  ZTM_RETURN_IF_ERROR(SplitAndCheckAuthority(hosts.front()));
  request.authority = std::string(hosts.front());
  ZTM_RETURN_IF_ERROR(ParseTarget(request));

  ZTM_RETURN_IF_ERROR(CheckFraming(sections.fields, sections.body, /*body_to_end=*/false));
  request.fields = std::move(sections.fields);
  request.body = ToBytes(sections.body);
  return request;
}

Result<HttpResponse> ParseHttpResponse(std::string_view text) {
  ZTM_ASSIGN_OR_RETURN(ParsedSections sections, ParseSections(text));
  // RFC 9112 §4: HTTP-version SP 3DIGIT SP [ reason-phrase ]; a missing SP before an empty
  // reason is tolerated as the RFC asks.
  const auto line = sections.start_line;
  if (line.substr(0, 9) != "HTTP/1.1 ") return Malformed("status line must start with HTTP/1.1");
  const auto code = line.substr(9, 3);
  if (code.size() != 3 || !std::all_of(code.begin(), code.end(), IsDigit) || code[0] < '1' ||
      code[0] > '5') {
    return Malformed("invalid status code");
  }
  if (line.size() > 12) {
    if (line[12] != ' ') return Malformed("invalid status line");
    const auto reason = line.substr(13);
    if (!std::all_of(reason.begin(), reason.end(), IsFieldValueChar)) {
      return Malformed("control character in reason phrase");
    }
  }
  HttpResponse response;
  std::from_chars(code.data(), code.data() + code.size(), response.status);
  ZTM_RETURN_IF_ERROR(CheckFraming(sections.fields, sections.body, /*body_to_end=*/true));
  response.fields = std::move(sections.fields);
  response.body = ToBytes(sections.body);
  return response;
}

}  // namespace ztm::httpsig
