#include "cli/command.h"

#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>

namespace ztm::cli {

namespace {
std::multimap<int, AddCommandsFn>& Registry() {
  static std::multimap<int, AddCommandsFn> registry;
  return registry;
}
}  // namespace

CommandRegistration::CommandRegistration(int order, AddCommandsFn add) {
  Registry().emplace(order, add);
}

void AddAllCommands(CLI::App& app, Outcome& outcome) {
  for (const auto& [order, add] : Registry()) add(app, outcome);
}

int Fail(const Error& error) { return Fail(error.message); }

int Fail(const std::string& message) {
  // One line, and no control character (terminal escapes, NUL, DEL) from whatever text the
  // message quotes.
  std::string line = message;
  for (char& c : line) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = '?';
  }
  std::fprintf(stderr, "ztm: %s\n", line.c_str());
  return kExitInvalid;
}

namespace {
Result<std::string> ReadBounded(std::istream& in, std::size_t max, const std::string& what) {
  std::string data;
  char buffer[8192];
  while (in.read(buffer, sizeof buffer) || in.gcount() > 0) {
    data.append(buffer, static_cast<std::size_t>(in.gcount()));
    if (data.size() > max) return Error{Code::kInputTooLarge, what + " is larger than 1 MiB"};
  }
  return data;
}
}  // namespace

Result<std::string> ReadStdin() { return ReadBounded(std::cin, kMaxStdinBytes, "standard input"); }

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error{Code::kInvalidArgument, "cannot read " + path};
  return ReadBounded(in, kMaxFileBytes, path);
}

std::string TrimTrailingNewline(std::string text) {
  if (!text.empty() && text.back() == '\n') text.pop_back();
  if (!text.empty() && text.back() == '\r') text.pop_back();
  return text;
}

}  // namespace ztm::cli
