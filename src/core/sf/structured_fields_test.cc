// Conformance of the Structured Field Values parser and serializer against every case of the
// httpwg/structured-field-tests suite (testdata/structured-fields/), one test per case.
#include <gtest/gtest.h>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cmath>
#include <cstddef>
#include <iostream>
#include <string>
#include <variant>
#include <vector>

#include "core/json.h"
#include "core/sf/sf_json.h"
#include "core/sf/structured_fields.h"
#include "testdata.h"

namespace ztm::sf {
namespace {

namespace bj = boost::json;

// Parse tests: raw → expected → canonical.
const std::vector<std::string> kParseFiles = {
    "binary.json",
    "boolean.json",
    "date.json",
    "dictionary.json",
    "display-string.json",
    "examples.json",
    "item.json",
    "key-generated.json",
    "large-generated.json",
    "list.json",
    "listlist.json",
    "number-generated.json",
    "number.json",
    "param-dict.json",
    "param-list.json",
    "param-listlist.json",
    "string-generated.json",
    "string.json",
    "token-generated.json",
    "token.json",
};
// Serialisation-only tests: expected → canonical (or failure).
const std::vector<std::string> kSerialisationFiles = {
    "serialisation-tests/key-generated.json",
    "serialisation-tests/number.json",
    "serialisation-tests/string-generated.json",
    "serialisation-tests/token-generated.json",
};

// The largest suite file (large-generated.json) is about 730 KB.
constexpr std::size_t kMaxSuiteFileBytes = 2 * 1024 * 1024;
constexpr int kMaxSuiteFileDepth = 32;

struct SuiteCase {
  std::string file;
  bool serialisation_only = false;
  std::string test_name;  // file and case name, sanitised for GoogleTest
  bj::object record;
};

void PrintTo(const SuiteCase& c, std::ostream* os) {
  *os << c.file << ": " << json::Serialize(c.record.at("name"));
}

std::string Sanitise(std::string_view text) {
  std::string out;
  for (char c : text) {
    bool word = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (word) {
      out.push_back(c);
    } else if (!out.empty() && out.back() != '_') {
      out.push_back('_');
    }
  }
  while (!out.empty() && out.back() == '_') out.pop_back();
  return out;
}

// Loads one suite file; aborts on anything unreadable, so a broken file cannot turn into
// zero cases.
std::vector<SuiteCase> LoadFile(const std::string& file, bool serialisation_only) {
  std::string text = testing::ReadTestdata("structured-fields/" + file);
  Result<bj::value> parsed = json::Parse(text, kMaxSuiteFileBytes, kMaxSuiteFileDepth);
  if (!parsed.ok() || !parsed->is_array()) {
    std::cerr << "structured-fields/" << file << " is not a JSON array of test cases\n";
    std::abort();
  }
  std::vector<SuiteCase> cases;
  std::string prefix = Sanitise(file.substr(0, file.size() - std::string_view(".json").size()));
  for (const bj::value& record : parsed->get_array()) {
    const bj::object* object = record.if_object();
    if (object == nullptr || !object->contains("name") || !object->at("name").is_string() ||
        !object->contains("header_type") || !object->at("header_type").is_string()) {
      std::cerr << "structured-fields/" << file << " has a malformed test case\n";
      std::abort();
    }
    char index[8];
    std::snprintf(index, sizeof index, "%03zu", cases.size());
    std::string name = prefix + "_" + index + "_" + Sanitise(object->at("name").get_string());
    cases.push_back(SuiteCase{file, serialisation_only, name, *object});
  }
  return cases;
}

std::vector<SuiteCase> LoadAllCases() {
  std::vector<SuiteCase> all;
  for (const auto& file : kParseFiles) {
    for (auto& c : LoadFile(file, false)) all.push_back(std::move(c));
  }
  for (const auto& file : kSerialisationFiles) {
    for (auto& c : LoadFile(file, true)) all.push_back(std::move(c));
  }
  return all;
}

// One parsed or built top-level value of any of the three field types.
using FieldValue = std::variant<Item, List, Dictionary>;

Result<FieldValue> ParseAs(std::string_view type, std::string_view text) {
  if (type == "item") {
    ZTM_ASSIGN_OR_RETURN(Item item, ParseItem(text));
    return FieldValue(std::move(item));
  }
  if (type == "list") {
    ZTM_ASSIGN_OR_RETURN(List list, ParseList(text));
    return FieldValue(std::move(list));
  }
  ZTM_ASSIGN_OR_RETURN(Dictionary dictionary, ParseDictionary(text));
  return FieldValue(std::move(dictionary));
}

Result<FieldValue> FromJson(std::string_view type, const bj::value& json) {
  if (type == "item") {
    ZTM_ASSIGN_OR_RETURN(Item item, ItemFromTestJson(json));
    return FieldValue(std::move(item));
  }
  if (type == "list") {
    ZTM_ASSIGN_OR_RETURN(List list, ListFromTestJson(json));
    return FieldValue(std::move(list));
  }
  ZTM_ASSIGN_OR_RETURN(Dictionary dictionary, DictionaryFromTestJson(json));
  return FieldValue(std::move(dictionary));
}

Result<std::string> Serialize(const FieldValue& value) {
  if (const Item* item = std::get_if<Item>(&value)) return SerializeItem(*item);
  if (const List* list = std::get_if<List>(&value)) return SerializeList(*list);
  return SerializeDictionary(std::get<Dictionary>(value));
}

bj::value ToJson(const FieldValue& value) {
  return std::visit([](const auto& v) { return ToTestJson(v); }, value);
}

// JSON equality where doubles (Decimals) compare with a relative tolerance of 1e-9.
bool JsonNear(const bj::value& a, const bj::value& b) {
  if (a.is_double() && b.is_double()) {
    double x = a.get_double(), y = b.get_double();
    return std::fabs(x - y) <= 1e-9 * std::max({1.0, std::fabs(x), std::fabs(y)});
  }
  if (a.kind() != b.kind()) return false;
  if (a.is_array()) {
    const bj::array &x = a.get_array(), &y = b.get_array();
    if (x.size() != y.size()) return false;
    for (std::size_t i = 0; i < x.size(); ++i) {
      if (!JsonNear(x[i], y[i])) return false;
    }
    return true;
  }
  if (a.is_object()) {
    const bj::object &x = a.get_object(), &y = b.get_object();
    if (x.size() != y.size()) return false;
    for (const auto& member : x) {
      const bj::value* other = y.if_contains(member.key());
      if (other == nullptr || !JsonNear(member.value(), *other)) return false;
    }
    return true;
  }
  return a == b;
}

bool Flag(const bj::object& record, const char* name) {
  const bj::value* v = record.if_contains(name);
  return v != nullptr && v->is_bool() && v->get_bool();
}

std::string JoinRaw(const bj::array& raw) {
  std::string joined;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (i > 0) joined += ", ";
    joined += std::string_view(raw[i].get_string());
  }
  return joined;
}

// The serialization a case expects: canonical[0], "" for `canonical: []` (an empty List or
// Dictionary is not sent at all), else the raw field value.
std::string ExpectedSerialization(const bj::object& record, const std::string& raw) {
  const bj::value* canonical = record.if_contains("canonical");
  if (canonical == nullptr) return raw;
  const bj::array& lines = canonical->get_array();
  return lines.empty() ? std::string() : std::string(std::string_view(lines[0].get_string()));
}

class StructuredFieldsConformance : public ::testing::TestWithParam<SuiteCase> {};

TEST_P(StructuredFieldsConformance, Case) {
  const SuiteCase& c = GetParam();
  const bj::object& record = c.record;
  std::string type(std::string_view(record.at("header_type").get_string()));
  ASSERT_TRUE(type == "item" || type == "list" || type == "dictionary") << type;
  bool must_fail = Flag(record, "must_fail");
  bool can_fail = Flag(record, "can_fail");
  const bj::value* expected = record.if_contains("expected");

  if (c.serialisation_only) {
    ASSERT_NE(expected, nullptr);
    Result<FieldValue> built = FromJson(type, *expected);
    if (must_fail) {
      // Failing to build the value at all (e.g. an integer beyond int64) counts as failing.
      if (built.ok()) {
        Result<std::string> serialized = Serialize(*built);
        EXPECT_FALSE(serialized.ok()) << "serialized to " << *serialized;
      }
      return;
    }
    ASSERT_TRUE(built.ok()) << built.error().message;
    Result<std::string> serialized = Serialize(*built);
    ASSERT_TRUE(serialized.ok()) << serialized.error().message;
    EXPECT_EQ(*serialized, ExpectedSerialization(record, ""));
    return;
  }

  ASSERT_TRUE(record.contains("raw") && record.at("raw").is_array());
  std::string raw = JoinRaw(record.at("raw").get_array());
  Result<FieldValue> parsed = ParseAs(type, raw);
  if (must_fail) {
    EXPECT_FALSE(parsed.ok()) << "parsed to " << WriteTestJson(ToJson(*parsed));
    if (!parsed.ok()) {
      EXPECT_EQ(parsed.code(), Code::kSfParseError);
      EXPECT_EQ(parsed.error().message.rfind("sf: ", 0), 0u) << parsed.error().message;
    }
    return;
  }
  if (can_fail && !parsed.ok()) return;  // failing is allowed; the reason is still precise
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  if (expected == nullptr) return;

  // The model equals the model built from `expected` (Decimals exactly, in thousandths) …
  Result<FieldValue> want = FromJson(type, *expected);
  ASSERT_TRUE(want.ok()) << want.error().message;
  EXPECT_TRUE(*parsed == *want) << "parsed   " << WriteTestJson(ToJson(*parsed)) << "\nexpected "
                                << json::Serialize(*expected);
  // … and its JSON form equals `expected`.
  EXPECT_TRUE(JsonNear(ToJson(*parsed), *expected)) << "parsed   " << WriteTestJson(ToJson(*parsed))
                                                    << "\nexpected " << json::Serialize(*expected);

  Result<std::string> serialized = Serialize(*parsed);
  ASSERT_TRUE(serialized.ok()) << serialized.error().message;
  EXPECT_EQ(*serialized, ExpectedSerialization(record, raw));
}

INSTANTIATE_TEST_SUITE_P(Suite, StructuredFieldsConformance, ::testing::ValuesIn(LoadAllCases()),
                         [](const ::testing::TestParamInfo<SuiteCase>& param_info) {
                           return param_info.param.test_name;
                         });

// Every listed file exists and has cases, so a missing or emptied file fails loudly instead
// of shrinking the suite; prints the totals.
TEST(StructuredFieldsConformanceFiles, EveryFileHasCases) {
  std::size_t total = 0, must_fail = 0, can_fail = 0;
  for (const auto* files : {&kParseFiles, &kSerialisationFiles}) {
    for (const auto& file : *files) {
      auto cases = LoadFile(file, files == &kSerialisationFiles);
      EXPECT_GT(cases.size(), 0u) << file;
      total += cases.size();
      for (const auto& c : cases) {
        must_fail += Flag(c.record, "must_fail") ? 1 : 0;
        can_fail += Flag(c.record, "can_fail") ? 1 : 0;
      }
    }
  }
  EXPECT_EQ(kParseFiles.size() + kSerialisationFiles.size(), 24u);
  EXPECT_GE(total, 2000u);
  std::cout << "structured-field-tests: " << total << " cases (" << must_fail << " must_fail, "
            << can_fail << " can_fail) in " << kParseFiles.size() + kSerialisationFiles.size()
            << " files\n";
}

}  // namespace
}  // namespace ztm::sf
