// `ztm sf parse|serialize --type item|list|dictionary`: Structured Field Values (RFC 9651)
// on the command line, in the JSON form of the httpwg structured-field-tests suite, so a
// header can be checked or built by hand and compared with other implementations.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

#include "cli/command.h"
#include "core/json.h"
#include "core/sf/sf_json.h"
#include "core/sf/structured_fields.h"

namespace ztm::cli {
namespace {

// Joins the non-empty lines of `text` with ", ", as a recipient combines repeated field
// lines (RFC 9110 §5.3). A trailing "\r" on a line is dropped.
std::string CombineFieldLines(std::string_view text) {
  std::string combined;
  bool first = true;
  while (!text.empty()) {
    std::size_t end = text.find('\n');
    std::string_view line = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    if (!first) combined += ", ";
    combined += line;
    first = false;
  }
  return combined;
}

// Parses `field_value` as `type` and returns its JSON form.
Result<std::string> ParseToJson(const std::string& type, std::string_view field_value) {
  if (type == "item") {
    ZTM_ASSIGN_OR_RETURN(sf::Item item, sf::ParseItem(field_value));
    return sf::WriteTestJson(sf::ToTestJson(item));
  }
  if (type == "list") {
    ZTM_ASSIGN_OR_RETURN(sf::List list, sf::ParseList(field_value));
    return sf::WriteTestJson(sf::ToTestJson(list));
  }
  ZTM_ASSIGN_OR_RETURN(sf::Dictionary dictionary, sf::ParseDictionary(field_value));
  return sf::WriteTestJson(sf::ToTestJson(dictionary));
}

// Builds a `type` value from its JSON form and returns its canonical serialization.
Result<std::string> SerializeFromJson(const std::string& type, std::string_view json_text) {
  ZTM_ASSIGN_OR_RETURN(boost::json::value json, json::Parse(json_text, kMaxStdinBytes));
  if (type == "item") {
    ZTM_ASSIGN_OR_RETURN(sf::Item item, sf::ItemFromTestJson(json));
    return sf::SerializeItem(item);
  }
  if (type == "list") {
    ZTM_ASSIGN_OR_RETURN(sf::List list, sf::ListFromTestJson(json));
    return sf::SerializeList(list);
  }
  ZTM_ASSIGN_OR_RETURN(sf::Dictionary dictionary, sf::DictionaryFromTestJson(json));
  return sf::SerializeDictionary(dictionary);
}

// Adds `--type`, required and limited to the three top-level types (else exit 2).
void AddTypeOption(CLI::App* verb, std::string& type) {
  verb->add_option("--type", type, "top-level type of the field: item, list or dictionary")
      ->required()
      ->check(CLI::IsMember({"item", "list", "dictionary"}));
}

// Runs `convert` on standard input and prints its result as one line.
template <typename ConvertFn>
int RunOnStdin(ConvertFn convert) {
  Result<std::string> input = ReadStdin();
  if (!input.ok()) return Fail(input.error());
  Result<std::string> output = convert(*input);
  if (!output.ok()) return Fail(output.error());
  std::printf("%s\n", output->c_str());
  return kExitOk;
}

void AddSfCommands(CLI::App& app, Outcome& outcome) {
  CLI::App* sf = app.add_subcommand("sf", "Structured Field Values (RFC 8941 / RFC 9651)");
  sf->require_subcommand(1);

  CLI::App* parse = sf->add_subcommand(
      "parse",
      "Parse field lines from stdin (one per line, combined with \", \") and print the value as "
      "structured-field-tests JSON");
  auto parse_type = std::make_shared<std::string>();
  AddTypeOption(parse, *parse_type);
  parse->callback([parse_type, &outcome] {
    outcome.exit_code = RunOnStdin([&](const std::string& input) {
      return ParseToJson(*parse_type, CombineFieldLines(input));
    });
  });

  CLI::App* serialize = sf->add_subcommand(
      "serialize",
      "Read a value as structured-field-tests JSON from stdin and print its canonical "
      "serialization");
  auto serialize_type = std::make_shared<std::string>();
  AddTypeOption(serialize, *serialize_type);
  serialize->callback([serialize_type, &outcome] {
    outcome.exit_code = RunOnStdin(
        [&](const std::string& input) { return SerializeFromJson(*serialize_type, input); });
  });
}

}  // namespace

ZTM_CLI_COMMANDS(40, AddSfCommands);

}  // namespace ztm::cli
