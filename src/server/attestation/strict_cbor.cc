// Strict CBOR decoding over libcbor's streaming decoder (cbor_stream_decode): libcbor reports
// one item header per call through callbacks; TreeBuilder assembles them into a Value tree and
// rejects everything strict_cbor.h lists. libcbor's own tree decoder (cbor_load) is not used:
// it accepts indefinite lengths and duplicate map keys.
#include "server/attestation/strict_cbor.h"

#include <cbor.h>

#include <optional>

namespace ztm::server::cbor {
namespace {

Error Invalid(std::string message) {
  return Error{Code::kAttestationInvalid, "CBOR: " + std::move(message)};
}

// RFC 3629 §4: well-formed UTF-8 (no overlong forms, no surrogates, nothing above U+10FFFF).
bool IsValidUtf8(ByteView text) {
  std::size_t i = 0;
  while (i < text.size()) {
    const std::uint8_t lead = text[i];
    std::size_t length;
    std::uint32_t code_point;
    if (lead < 0x80) {
      ++i;
      continue;
    } else if ((lead & 0xE0) == 0xC0) {
      length = 2;
      code_point = lead & 0x1F;
    } else if ((lead & 0xF0) == 0xE0) {
      length = 3;
      code_point = lead & 0x0F;
    } else if ((lead & 0xF8) == 0xF0) {
      length = 4;
      code_point = lead & 0x07;
    } else {
      return false;
    }
    if (text.size() - i < length) return false;
    for (std::size_t k = 1; k < length; ++k) {
      if ((text[i + k] & 0xC0) != 0x80) return false;
      code_point = (code_point << 6) | (text[i + k] & 0x3F);
    }
    static constexpr std::uint32_t kMinimum[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code_point < kMinimum[length] || code_point > 0x10FFFF ||
        (code_point >= 0xD800 && code_point <= 0xDFFF)) {
      return false;
    }
    i += length;
  }
  return true;
}

// RFC 8949 §4.2.1: the argument must use the shortest encoding. `initial_byte` is the item's
// first byte, `argument` the value libcbor decoded from it.
bool IsMinimalArgument(std::uint8_t initial_byte, std::uint64_t argument) {
  switch (initial_byte & 0x1F) {
    case 24:
      return argument >= 24;
    case 25:
      return argument > 0xFF;
    case 26:
      return argument > 0xFFFF;
    case 27:
      return argument > 0xFFFFFFFF;
    default:
      return true;  // immediate argument (< 24); 28..31 never reach here
  }
}

}  // namespace

const Value* Value::Find(std::string_view key) const {
  if (kind_ != Kind::kMap) return nullptr;
  for (const auto& [entry_key, entry_value] : entries_) {
    if (entry_key.kind_ == Kind::kText && entry_key.text() == key) return &entry_value;
  }
  return nullptr;
}

const Value* Value::FindInteger(std::int64_t key) const {
  if (kind_ != Kind::kMap) return nullptr;
  const Kind kind = key >= 0 ? Kind::kUnsigned : Kind::kNegative;
  const std::uint64_t argument =
      key >= 0 ? static_cast<std::uint64_t>(key) : static_cast<std::uint64_t>(-(key + 1));
  for (const auto& [entry_key, entry_value] : entries_) {
    if (entry_key.kind_ == kind && entry_key.argument_ == argument) return &entry_value;
  }
  return nullptr;
}

bool Value::SameAs(const Value& other) const {
  if (kind_ != other.kind_ || argument_ != other.argument_ || bytes_ != other.bytes_ ||
      items_.size() != other.items_.size() || entries_.size() != other.entries_.size()) {
    return false;
  }
  for (std::size_t i = 0; i < items_.size(); ++i) {
    if (!items_[i].SameAs(other.items_[i])) return false;
  }
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    if (!entries_[i].first.SameAs(other.entries_[i].first) ||
        !entries_[i].second.SameAs(other.entries_[i].second)) {
      return false;
    }
  }
  return true;
}

// Receives libcbor's callbacks for one item header at a time and assembles the tree.
class TreeBuilder {
 public:
  explicit TreeBuilder(const Limits& limits) : limits_(limits) {}

  // Called before each cbor_stream_decode step.
  void BeginStep() {
    item_seen_ = false;
    argument_ = 0;
  }
  bool item_seen() const { return item_seen_; }
  std::uint64_t argument() const { return argument_; }
  bool done() const { return root_.has_value(); }
  const std::optional<Error>& error() const { return error_; }
  Value TakeRoot() { return std::move(*root_); }

  void Integer(Value::Kind kind, std::uint64_t argument) {
    Seen(argument);
    Value value(kind);
    value.argument_ = argument;
    Emit(std::move(value));
  }

  void String(Value::Kind kind, const unsigned char* data, std::uint64_t length) {
    Seen(length);
    Value value(kind);
    value.bytes_.assign(data, data + length);
    if (kind == Value::Kind::kText && !IsValidUtf8(value.bytes_)) {
      return Fail("text string is not valid UTF-8");
    }
    Emit(std::move(value));
  }

  void ContainerStart(Value::Kind kind, std::uint64_t size) {
    Seen(size);
    if (error_) return;
    if (stack_.size() + 1 > limits_.max_depth) return Fail("nesting deeper than allowed");
    if (size > limits_.max_container_items) return Fail("array or map with too many items");
    if (size == 0) return Emit(Value(kind));
    stack_.push_back(Frame{Value(kind), static_cast<std::size_t>(size), std::nullopt});
  }

  void Reject(const char* what) {
    item_seen_ = true;
    Fail(what);
  }

 private:
  struct Frame {
    Value container;
    std::size_t remaining;
    std::optional<Value> pending_key;  // maps: a key waiting for its value
  };

  void Seen(std::uint64_t argument) {
    item_seen_ = true;
    argument_ = argument;
  }

  void Fail(std::string message) {
    if (!error_) error_ = Invalid(std::move(message));
  }

  void Emit(Value value) {
    if (error_) return;
    if (stack_.empty()) {
      root_ = std::move(value);
      return;
    }
    Frame& top = stack_.back();
    if (top.container.kind_ == Value::Kind::kArray) {
      top.container.items_.push_back(std::move(value));
      --top.remaining;
    } else if (!top.pending_key) {
      if (value.kind_ == Value::Kind::kArray || value.kind_ == Value::Kind::kMap) {
        return Fail("map key is not an integer or string");
      }
      for (const auto& entry : top.container.entries_) {
        // A duplicate key makes the map ambiguous (RFC 8949 §5.6): two readers may see two
        // different values.
        if (entry.first.SameAs(value)) return Fail("duplicate map key");
      }
      top.pending_key = std::move(value);
      return;
    } else {
      top.container.entries_.emplace_back(std::move(*top.pending_key), std::move(value));
      top.pending_key.reset();
      --top.remaining;
    }
    if (top.remaining == 0) {
      Value finished = std::move(top.container);
      stack_.pop_back();
      Emit(std::move(finished));
    }
  }

  const Limits& limits_;
  std::vector<Frame> stack_;
  std::optional<Value> root_;
  std::optional<Error> error_;
  bool item_seen_ = false;
  std::uint64_t argument_ = 0;
};

namespace {

TreeBuilder& Builder(void* context) { return *static_cast<TreeBuilder*>(context); }

cbor_callbacks StrictCallbacks() {
  cbor_callbacks callbacks = cbor_empty_callbacks;
  callbacks.uint8 = [](void* c, std::uint8_t v) { Builder(c).Integer(Value::Kind::kUnsigned, v); };
  callbacks.uint16 = [](void* c, std::uint16_t v) {
    Builder(c).Integer(Value::Kind::kUnsigned, v);
  };
  callbacks.uint32 = [](void* c, std::uint32_t v) {
    Builder(c).Integer(Value::Kind::kUnsigned, v);
  };
  callbacks.uint64 = [](void* c, std::uint64_t v) {
    Builder(c).Integer(Value::Kind::kUnsigned, v);
  };
  callbacks.negint8 = [](void* c, std::uint8_t v) {
    Builder(c).Integer(Value::Kind::kNegative, v);
  };
  callbacks.negint16 = [](void* c, std::uint16_t v) {
    Builder(c).Integer(Value::Kind::kNegative, v);
  };
  callbacks.negint32 = [](void* c, std::uint32_t v) {
    Builder(c).Integer(Value::Kind::kNegative, v);
  };
  callbacks.negint64 = [](void* c, std::uint64_t v) {
    Builder(c).Integer(Value::Kind::kNegative, v);
  };
  callbacks.byte_string = [](void* c, cbor_data data, std::uint64_t length) {
    Builder(c).String(Value::Kind::kBytes, data, length);
  };
  callbacks.string = [](void* c, cbor_data data, std::uint64_t length) {
    Builder(c).String(Value::Kind::kText, data, length);
  };
  callbacks.array_start = [](void* c, std::uint64_t size) {
    Builder(c).ContainerStart(Value::Kind::kArray, size);
  };
  callbacks.map_start = [](void* c, std::uint64_t size) {
    Builder(c).ContainerStart(Value::Kind::kMap, size);
  };
  // RFC 8949 §3.2: indefinite lengths let one value have many encodings; evidence never
  // needs them.
  callbacks.byte_string_start = [](void* c) { Builder(c).Reject("indefinite-length string"); };
  callbacks.string_start = [](void* c) { Builder(c).Reject("indefinite-length string"); };
  callbacks.indef_array_start = [](void* c) { Builder(c).Reject("indefinite-length array"); };
  callbacks.indef_map_start = [](void* c) { Builder(c).Reject("indefinite-length map"); };
  callbacks.indef_break = [](void* c) { Builder(c).Reject("unexpected break"); };
  callbacks.tag = [](void* c, std::uint64_t) { Builder(c).Reject("tags are not accepted"); };
  callbacks.float2 = [](void* c, float) { Builder(c).Reject("floats are not accepted"); };
  callbacks.float4 = [](void* c, float) { Builder(c).Reject("floats are not accepted"); };
  callbacks.float8 = [](void* c, double) { Builder(c).Reject("floats are not accepted"); };
  callbacks.undefined = [](void* c) { Builder(c).Reject("simple values are not accepted"); };
  callbacks.null = [](void* c) { Builder(c).Reject("simple values are not accepted"); };
  callbacks.boolean = [](void* c, bool) { Builder(c).Reject("simple values are not accepted"); };
  return callbacks;
}

}  // namespace

Result<Value> DecodeStrict(ByteView data, const Limits& limits) {
  if (data.size() > limits.max_input_bytes) return Invalid("input larger than allowed");
  static const cbor_callbacks kCallbacks = StrictCallbacks();
  TreeBuilder builder(limits);
  std::size_t offset = 0;
  while (!builder.done()) {
    if (offset == data.size()) return Invalid("truncated input");
    builder.BeginStep();
    const cbor_decoder_result result =
        cbor_stream_decode(data.data() + offset, data.size() - offset, &kCallbacks, &builder);
    if (builder.error()) return *builder.error();
    if (result.status == CBOR_DECODER_NEDATA) return Invalid("truncated input");
    if (result.status != CBOR_DECODER_FINISHED || result.read == 0) {
      return Invalid("malformed item");
    }
    // Items libcbor decodes without a callback (e.g. one-byte simple values) are rejected too.
    if (!builder.item_seen()) return Invalid("unsupported item");
    if (!IsMinimalArgument(data[offset], builder.argument())) {
      return Invalid("non-minimal length or integer encoding");
    }
    offset += result.read;
  }
  if (offset != data.size()) return Invalid("trailing bytes after the data item");
  return builder.TakeRoot();
}

}  // namespace ztm::server::cbor
