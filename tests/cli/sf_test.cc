// `ztm sf parse` and `ztm sf serialize` on real cases of the httpwg structured-field-tests
// suite (testdata/structured-fields/), plus the exit-code contract.
#include <gtest/gtest.h>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <ostream>
#include <string>
#include <string_view>

#include "cli/run_cli.h"
#include "core/json.h"
#include "testdata.h"

namespace ztm::testing {
namespace {

namespace bj = boost::json;

// The suite's largest file is about 730 KB.
constexpr std::size_t kMaxSuiteFileBytes = 2 * 1024 * 1024;

// Returns the case named `name` in structured-fields/`file`; fails the test if it is absent.
bj::object SuiteCase(const std::string& file, std::string_view name) {
  Result<bj::value> cases =
      json::Parse(ReadTestdata("structured-fields/" + file), kMaxSuiteFileBytes, json::kMaxDepth);
  if (cases.ok() && cases->is_array()) {
    for (const bj::value& c : cases->get_array()) {
      if (c.is_object() && c.get_object().at("name") == bj::value(bj::string(name))) {
        return c.get_object();
      }
    }
  }
  ADD_FAILURE() << "no case \"" << name << "\" in " << file;
  return {};
}

bj::value ParseJson(const std::string& text) {
  Result<bj::value> v = json::Parse(text);
  EXPECT_TRUE(v.ok()) << text;
  return v.ok() ? *v : bj::value();
}

// Each raw line becomes one stdin line: the CLI must combine them like repeated fields.
std::string RawLines(const bj::object& c, const char* separator) {
  std::string out;
  for (const bj::value& line : c.at("raw").get_array()) {
    if (!out.empty()) out += separator;
    out += std::string_view(line.get_string());
  }
  return out;
}

struct SuiteRef {
  const char* file;
  const char* name;
};

void PrintTo(const SuiteRef& ref, std::ostream* os) { *os << ref.file << ": " << ref.name; }

class CliSfSuite : public ::testing::TestWithParam<SuiteRef> {};

TEST_P(CliSfSuite, ParseThenSerializeMatchesTheSuite) {
  bj::object c = SuiteCase(GetParam().file, GetParam().name);
  ASSERT_FALSE(c.empty());
  std::string type(std::string_view(c.at("header_type").get_string()));

  auto parsed = RunCli({"sf", "parse", "--type", type}, RawLines(c, "\n") + "\n");
  ASSERT_EQ(parsed.exit_code, 0) << parsed.err;
  ASSERT_FALSE(parsed.out.empty());
  EXPECT_EQ(parsed.out.find('\n'), parsed.out.size() - 1) << "output is not one line";
  EXPECT_EQ(ParseJson(parsed.out), c.at("expected")) << parsed.out;

  // Round trip: the printed JSON serializes to the canonical form.
  auto serialized = RunCli({"sf", "serialize", "--type", type}, parsed.out);
  ASSERT_EQ(serialized.exit_code, 0) << serialized.err;
  std::string canonical =
      c.contains("canonical")
          ? std::string(std::string_view(c.at("canonical").get_array().at(0).get_string()))
          : RawLines(c, ", ");
  EXPECT_EQ(serialized.out, canonical + "\n");
}

INSTANTIATE_TEST_SUITE_P(
    Cases, CliSfSuite,
    ::testing::Values(SuiteRef{"examples.json", "Example-ParamListHeader"},
                      SuiteRef{"examples.json", "Example-Hdr (list on two lines)"},
                      SuiteRef{"examples.json", "Example-DictHeader (boolean values)"},
                      SuiteRef{"examples.json", "Example-DictListHeader"},
                      SuiteRef{"param-dict.json", "two lines parameterised list"},
                      SuiteRef{"dictionary.json", "duplicate key dictionary"},
                      SuiteRef{"number.json",
                               "decimal with 1 significant digit and 2 "
                               "insignificant digits"},
                      SuiteRef{"binary.json", "non-ASCII binary"},
                      SuiteRef{"date.json", "date - 1917-05-30 22:02:47"},
                      SuiteRef{"display-string.json",
                               "non-ascii display string (lowercase escaping)"}),
    [](const ::testing::TestParamInfo<SuiteRef>& param_info) {
      std::string name;
      for (char c : std::string(param_info.param.file) + " " + param_info.param.name) {
        bool word = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        if (word) {
          name.push_back(c);
        } else if (!name.empty() && name.back() != '_') {
          name.push_back('_');
        }
      }
      while (!name.empty() && name.back() == '_') name.pop_back();
      return name;
    });

TEST(CliSf, MustFailCaseExitsOneWithTheReason) {
  bj::object c = SuiteCase("number.json", "too long integer");
  ASSERT_FALSE(c.empty());
  auto run = RunCli({"sf", "parse", "--type", "item"}, RawLines(c, "\n") + "\n");
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_TRUE(run.out.empty());
  EXPECT_EQ(run.err, "ztm: sf: integer has more than 15 digits at offset 15\n");
}

TEST(CliSf, SerializeMustFailCaseExitsOne) {
  bj::object c =
      SuiteCase("serialisation-tests/number.json", "too big positive integer - serialize");
  ASSERT_FALSE(c.empty());
  auto run = RunCli({"sf", "serialize", "--type", "item"}, json::Serialize(c.at("expected")));
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("ztm: sf: integer 1000000000000000 is outside"), std::string::npos)
      << run.err;
}

TEST(CliSf, SerializeRejectsMalformedJson) {
  auto bad_json = RunCli({"sf", "serialize", "--type", "item"}, "[1, [");
  EXPECT_EQ(bad_json.exit_code, 1);
  EXPECT_NE(bad_json.err.find("ztm: json:"), std::string::npos) << bad_json.err;
  auto bad_shape = RunCli({"sf", "serialize", "--type", "item"}, "[1]");
  EXPECT_EQ(bad_shape.exit_code, 1);
  EXPECT_NE(bad_shape.err.find("ztm: sf-json: $ must be"), std::string::npos) << bad_shape.err;
}

TEST(CliSf, DecimalRoundingOnSerialize) {
  auto run = RunCli({"sf", "serialize", "--type", "list"}, "[[0.0025, []], [9.9995, []]]");
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, "0.002, 10.0\n");
}

TEST(CliSf, EmptyListIsNoField) {
  auto parsed = RunCli({"sf", "parse", "--type", "list"}, "\n");
  EXPECT_EQ(parsed.exit_code, 0) << parsed.err;
  EXPECT_EQ(parsed.out, "[]\n");
  auto empty_item = RunCli({"sf", "parse", "--type", "item"}, "");
  EXPECT_EQ(empty_item.exit_code, 1);
}

TEST(CliSf, CrLfLinesAreCombined) {
  auto run = RunCli({"sf", "parse", "--type", "dictionary"}, "a=1\r\n\r\nb;x=?0\r\n");
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, "[[\"a\",[1,[]]],[\"b\",[true,[[\"x\",false]]]]]\n");
}

TEST(CliSf, MissingOrBadTypeIsUsage) {
  EXPECT_EQ(RunCli({"sf", "parse"}, "1").exit_code, 2);
  EXPECT_EQ(RunCli({"sf", "parse", "--type", "integer"}, "1").exit_code, 2);
  EXPECT_EQ(RunCli({"sf", "serialize"}, "[1, []]").exit_code, 2);
  EXPECT_EQ(RunCli({"sf", "serialize", "--type", "Item"}, "[1, []]").exit_code, 2);
  EXPECT_EQ(RunCli({"sf"}).exit_code, 2);
}

}  // namespace
}  // namespace ztm::testing
