// Strict JSON parsing: Boost.JSON's basic_parser driving a value_stack, with a handler that
// remembers each open object's member names so a duplicate is an error, not a silent overwrite.
#include "core/json.h"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value_stack.hpp>
#include <string>
#include <unordered_set>
#include <vector>

namespace ztm::json {
namespace {

namespace bj = boost::json;

class StrictHandler {
 public:
  static constexpr std::size_t max_object_size = kMaxDocumentBytes;
  static constexpr std::size_t max_array_size = kMaxDocumentBytes;
  static constexpr std::size_t max_key_size = kMaxDocumentBytes;
  static constexpr std::size_t max_string_size = kMaxDocumentBytes;

  bj::value_stack stack;
  bool duplicate_key = false;

  bool on_document_begin(bj::error_code&) {
    stack.reset();
    return true;
  }
  bool on_document_end(bj::error_code&) { return true; }
  bool on_object_begin(bj::error_code&) {
    keys_.emplace_back();
    return true;
  }
  bool on_object_end(std::size_t n, bj::error_code&) {
    keys_.pop_back();
    stack.push_object(n);
    return true;
  }
  bool on_array_begin(bj::error_code&) { return true; }
  bool on_array_end(std::size_t n, bj::error_code&) {
    stack.push_array(n);
    return true;
  }
  bool on_key_part(bj::string_view s, std::size_t, bj::error_code&) {
    key_.append(s.data(), s.size());
    stack.push_chars(s);
    return true;
  }
  bool on_key(bj::string_view s, std::size_t, bj::error_code& ec) {
    key_.append(s.data(), s.size());
    bool inserted = keys_.back().insert(std::move(key_)).second;
    key_.clear();
    if (!inserted) {
      duplicate_key = true;
      ec = bj::error::syntax;
      return false;
    }
    stack.push_key(s);
    return true;
  }
  bool on_string_part(bj::string_view s, std::size_t, bj::error_code&) {
    stack.push_chars(s);
    return true;
  }
  bool on_string(bj::string_view s, std::size_t, bj::error_code&) {
    stack.push_string(s);
    return true;
  }
  bool on_number_part(bj::string_view, bj::error_code&) { return true; }
  bool on_int64(std::int64_t i, bj::string_view, bj::error_code&) {
    stack.push_int64(i);
    return true;
  }
  bool on_uint64(std::uint64_t u, bj::string_view, bj::error_code&) {
    stack.push_uint64(u);
    return true;
  }
  bool on_double(double d, bj::string_view, bj::error_code&) {
    stack.push_double(d);
    return true;
  }
  bool on_bool(bool b, bj::error_code&) {
    stack.push_bool(b);
    return true;
  }
  bool on_null(bj::error_code&) {
    stack.push_null();
    return true;
  }
  bool on_comment_part(bj::string_view, bj::error_code&) { return true; }
  bool on_comment(bj::string_view, bj::error_code&) { return true; }

 private:
  std::vector<std::unordered_set<std::string>> keys_;
  std::string key_;
};

}  // namespace

Result<bj::value> Parse(std::string_view text, std::size_t max_bytes, int max_depth) {
  if (text.size() > max_bytes) return Error{Code::kInputTooLarge, "json: document too large"};
  bj::parse_options options;
  options.max_depth = static_cast<std::size_t>(max_depth);
  options.allow_comments = false;
  options.allow_trailing_commas = false;
  options.allow_invalid_utf8 = false;
  bj::basic_parser<StrictHandler> parser(options);
  bj::error_code ec;
  std::size_t used = parser.write_some(false, text.data(), text.size(), ec);
  if (parser.handler().duplicate_key) {
    return Error{Code::kJsonDuplicateKey, "json: duplicate member name"};
  }
  if (ec == bj::error::too_deep) return Error{Code::kJsonTooDeep, "json: nesting too deep"};
  if (ec || used != text.size() || !parser.done()) {
    return Error{Code::kJsonMalformed, "json: malformed document"};
  }
  return parser.handler().stack.release();
}

Result<bj::object> ParseObject(std::string_view text, std::size_t max_bytes) {
  ZTM_ASSIGN_OR_RETURN(bj::value value, Parse(text, max_bytes));
  if (!value.is_object()) return Error{Code::kJsonWrongType, "json: expected an object"};
  return std::move(value.as_object());
}

std::string Serialize(const bj::value& value) { return bj::serialize(value); }

Result<std::optional<std::string>> GetString(const bj::object& obj, std::string_view key) {
  const bj::value* v = obj.if_contains(key);
  if (v == nullptr) return std::optional<std::string>();
  if (!v->is_string()) {
    return Error{Code::kJsonWrongType,
                 "json: member \"" + std::string(key) + "\" must be a string"};
  }
  return std::optional<std::string>(std::string(v->as_string()));
}

Result<std::optional<std::int64_t>> GetInt(const bj::object& obj, std::string_view key) {
  const bj::value* v = obj.if_contains(key);
  if (v == nullptr) return std::optional<std::int64_t>();
  if (v->is_int64()) return std::optional<std::int64_t>(v->as_int64());
  if (v->is_uint64() && v->as_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
    return std::optional<std::int64_t>(static_cast<std::int64_t>(v->as_uint64()));
  }
  return Error{Code::kJsonWrongType,
               "json: member \"" + std::string(key) + "\" must be an integer"};
}

}  // namespace ztm::json
