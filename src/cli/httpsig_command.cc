// `ztm httpsig base|sign|verify`: HTTP Message Signatures (RFC 9421) over a raw HTTP/1.1
// request file, so a signature base can be inspected, a request signed, or a signed request
// checked by hand and compared with other implementations.
//
//   ztm httpsig base   --request FILE --input PARAMS [--label L]
//   ztm httpsig sign   --request FILE --label L --input PARAMS --key FILE [--alg ALG]
//   ztm httpsig verify --request FILE [--label L] --key FILE [--alg ALG] [--now UNIX]
//                      [--max-age SECONDS] [--require COMPONENT]... [--tag TAG]
//
// PARAMS is the inner list exactly as it appears in Signature-Input, e.g.
// ("@method" "@path" "@authority");created=1618884473;keyid="k1". Keys are PEM (PKCS#8 or SEC1
// private, SPKI public) or, for hmac-sha256 (which needs --alg), a file of raw key bytes.
#include <CLI/CLI.hpp>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/command.h"
#include "core/clock.h"
#include "core/crypto/keys.h"
#include "core/httpsig/http_message.h"
#include "core/httpsig/message_signature.h"
#include "core/httpsig/signature_base.h"
#include "core/sf/structured_fields.h"

namespace ztm::cli {
namespace {

using httpsig::HttpSigAlgorithm;

// What the three verbs read from their options.
struct HttpSigArgs {
  std::string request_file;
  std::string scheme = "https";
  std::string label;
  std::string input;
  std::string key_file;
  std::string alg;
  std::optional<std::int64_t> now;
  std::optional<std::int64_t> max_age;
  std::vector<std::string> required;
  std::optional<std::string> tag;
};

// A key as read from --key: asymmetric (PEM) or an HMAC secret, with its algorithm.
struct LoadedKey {
  HttpSigAlgorithm algorithm = HttpSigAlgorithm::kEd25519;
  std::optional<crypto::PrivateKey> private_key;
  std::optional<crypto::PublicKey> public_key;
  Secret secret;
};

// A failure with the exit code it maps to.
struct CliError {
  int exit_code;
  std::string message;
};

Result<httpsig::HttpRequest> ReadRequest(const HttpSigArgs& args) {
  ZTM_ASSIGN_OR_RETURN(const std::string text, ReadFile(args.request_file));
  return httpsig::ParseHttpRequest(text, args.scheme);
}

// --input: one inner list with its parameters (parsed as a one-member List).
Result<sf::InnerList> ParseInput(const std::string& input) {
  auto list = sf::ParseList(input);
  if (!list.ok() || list->size() != 1 || !std::holds_alternative<sf::InnerList>(list->front())) {
    return Error{Code::kHttpSigInputMalformed,
                 "--input must be one inner list, e.g. (\"@method\" \"@path\");created=1"};
  }
  return std::get<sf::InnerList>(list->front());
}

HttpSigAlgorithm AlgorithmForKeyType(crypto::KeyType type) {
  return type == crypto::KeyType::kEd25519 ? HttpSigAlgorithm::kEd25519
                                           : HttpSigAlgorithm::kEcdsaP256Sha256;
}

// Reads --key for signing (`want_private`) or verifying. Without --alg the algorithm comes
// from the PEM key type; a raw HMAC key has no type, so it needs --alg.
std::optional<CliError> LoadKey(const HttpSigArgs& args, bool want_private, LoadedKey* key) {
  auto data = ReadFile(args.key_file);
  if (!data.ok()) return CliError{kExitInvalid, data.error().message};
  std::optional<HttpSigAlgorithm> algorithm;
  if (!args.alg.empty()) {
    auto parsed = httpsig::ParseHttpSigAlgorithm(args.alg);
    if (!parsed.ok()) return CliError{kExitUsage, parsed.error().message};
    algorithm = *parsed;
  }
  if (algorithm == HttpSigAlgorithm::kHmacSha256) {
    key->algorithm = HttpSigAlgorithm::kHmacSha256;
    key->secret = Secret(AsBytes(*data));
    return std::nullopt;
  }
  if (data->find("-----BEGIN") == std::string::npos) {
    return CliError{kExitUsage, "--key is not a PEM key; a raw hmac-sha256 key needs --alg"};
  }
  if (want_private) {
    auto private_key = crypto::PrivateKey::FromPem(*data);
    if (!private_key.ok()) return CliError{kExitInvalid, private_key.error().message};
    key->private_key = std::move(private_key).value();
    key->algorithm = algorithm.value_or(AlgorithmForKeyType(key->private_key->type()));
    return std::nullopt;
  }
  // A verifier takes an SPKI public key, or the public half of a private key file.
  auto public_key = crypto::PublicKey::FromPem(*data);
  if (!public_key.ok()) {
    auto private_key = crypto::PrivateKey::FromPem(*data);
    if (!private_key.ok()) return CliError{kExitInvalid, public_key.error().message};
    public_key = private_key->public_key();
  }
  key->public_key = std::move(public_key).value();
  key->algorithm = algorithm.value_or(AlgorithmForKeyType(key->public_key->type()));
  return std::nullopt;
}

// --require: a bare component name (@method, content-digest) or a serialized component
// identifier with parameters ("@query-param";name="id").
Result<sf::Item> ParseRequiredComponent(const std::string& text) {
  if (!text.empty() && text.front() == '"') {
    auto item = sf::ParseItem(text);
    if (!item.ok() || !std::holds_alternative<std::string>(item->value)) {
      return Error{Code::kInvalidArgument, "--require " + text + " is not a component identifier"};
    }
    return std::move(item).value();
  }
  return httpsig::Component(text);
}

int RunBase(const HttpSigArgs& args) {
  auto request = ReadRequest(args);
  if (!request.ok()) return Fail(request.error());
  auto input = ParseInput(args.input);
  if (!input.ok()) return Fail(input.error());
  auto base = httpsig::BuildSignatureBase(*request, *input);
  if (!base.ok()) return Fail(base.error());
  std::printf("%s\n", base->c_str());
  return kExitOk;
}

int RunSign(const HttpSigArgs& args) {
  auto request = ReadRequest(args);
  if (!request.ok()) return Fail(request.error());
  auto input = ParseInput(args.input);
  if (!input.ok()) return Fail(input.error());
  LoadedKey key;
  if (auto error = LoadKey(args, /*want_private=*/true, &key)) {
    Fail(error->message);
    return error->exit_code;
  }
  auto signer = key.algorithm == HttpSigAlgorithm::kHmacSha256
                    ? httpsig::HttpSigner::CreateHmac(std::move(key.secret))
                    : httpsig::HttpSigner::Create(key.algorithm, std::move(*key.private_key));
  if (!signer.ok()) return Fail(signer.error());
  auto fields = signer->Sign(*request, args.label, *input);
  if (!fields.ok()) return Fail(fields.error());
  std::printf("Signature-Input: %s\nSignature: %s\n", fields->signature_input.c_str(),
              fields->signature.c_str());
  return kExitOk;
}

int RunVerify(const HttpSigArgs& args) {
  httpsig::HttpSigVerifierOptions options;
  for (const auto& text : args.required) {
    auto component = ParseRequiredComponent(text);
    if (!component.ok()) {
      Fail(component.error());
      return kExitUsage;
    }
    options.required_components.push_back(std::move(component).value());
  }
  options.allow_no_required_components = options.required_components.empty();
  options.max_age_seconds = args.max_age;
  options.required_tag = args.tag;
  std::optional<FixedClock> fixed;
  if (args.now) options.clock = &fixed.emplace(*args.now);

  auto request = ReadRequest(args);
  if (!request.ok()) return Fail(request.error());
  LoadedKey key;
  if (auto error = LoadKey(args, /*want_private=*/false, &key)) {
    Fail(error->message);
    return error->exit_code;
  }
  auto verifier =
      key.algorithm == HttpSigAlgorithm::kHmacSha256
          ? httpsig::HttpSigVerifier::CreateHmac(std::move(key.secret), std::move(options))
          : httpsig::HttpSigVerifier::Create(key.algorithm, std::move(*key.public_key),
                                             std::move(options));
  if (!verifier.ok()) return Fail(verifier.error());
  std::optional<std::string_view> label;
  if (!args.label.empty()) label = args.label;
  // The verifier also checks the body against a covered Content-Digest, whatever the
  // component's parameters (verify_content_digest is on by default).
  auto verified = verifier->Verify(*request, label);
  if (!verified.ok()) {
    return Fail(std::string(CodeName(verified.code())) + ": " + verified.error().message);
  }
  std::string line = "valid: label=" + verified->label();
  if (verified->keyid()) line += " keyid=" + *verified->keyid();
  line += " alg=" + std::string(httpsig::HttpSigAlgorithmName(verified->algorithm()));
  if (verified->created()) line += " created=" + std::to_string(*verified->created());
  std::printf("%s\n", line.c_str());
  return kExitOk;
}

void AddRequestOptions(CLI::App* verb, HttpSigArgs& args) {
  verb->add_option("--request", args.request_file,
                   "raw HTTP/1.1 request: request line, header lines, empty line, body")
      ->required();
  verb->add_option("--scheme", args.scheme, "scheme the request was sent over (default https)")
      ->check(CLI::IsMember({"http", "https"}));
}

void AddKeyOptions(CLI::App* verb, HttpSigArgs& args) {
  verb->add_option("--key", args.key_file,
                   "PEM key (PKCS#8/SEC1 private or SPKI public), or raw bytes for hmac-sha256")
      ->required();
  verb->add_option("--alg", args.alg,
                   "ed25519, ecdsa-p256-sha256 or hmac-sha256 (default: from "
                   "the PEM key type)")
      ->check(CLI::IsMember({"ed25519", "ecdsa-p256-sha256", "hmac-sha256"}));
}

void AddHttpSigCommands(CLI::App& app, Outcome& outcome) {
  CLI::App* httpsig = app.add_subcommand(
      "httpsig", "HTTP Message Signatures (RFC 9421) over a raw HTTP/1.1 request");
  httpsig->require_subcommand(1);

  auto base_args = std::make_shared<HttpSigArgs>();
  CLI::App* base = httpsig->add_subcommand("base", "Print the signature base for PARAMS");
  AddRequestOptions(base, *base_args);
  base->add_option("--label", base_args->label, "signature label (not part of the base)");
  base->add_option("--input", base_args->input,
                   "covered components and parameters as in Signature-Input, e.g. "
                   "(\"@method\" \"@path\");created=1618884473")
      ->required();
  base->callback([base_args, &outcome] { outcome.exit_code = RunBase(*base_args); });

  auto sign_args = std::make_shared<HttpSigArgs>();
  CLI::App* sign =
      httpsig->add_subcommand("sign", "Print the Signature-Input and Signature header lines");
  AddRequestOptions(sign, *sign_args);
  sign->add_option("--label", sign_args->label, "signature label, e.g. sig1")->required();
  sign->add_option("--input", sign_args->input,
                   "covered components and parameters as in Signature-Input")
      ->required();
  AddKeyOptions(sign, *sign_args);
  sign->callback([sign_args, &outcome] { outcome.exit_code = RunSign(*sign_args); });

  auto verify_args = std::make_shared<HttpSigArgs>();
  CLI::App* verify = httpsig->add_subcommand(
      "verify", "Verify the signature in the request's Signature-Input and Signature fields");
  AddRequestOptions(verify, *verify_args);
  verify->add_option("--label", verify_args->label, "label to verify (default: the only one)");
  AddKeyOptions(verify, *verify_args);
  verify->add_option("--now", verify_args->now, "verify as of this Unix time (default: now)");
  verify
      ->add_option("--max-age", verify_args->max_age,
                   "refuse signatures created more than SECONDS ago (default: no limit)")
      ->check(CLI::PositiveNumber);
  verify->add_option("--require", verify_args->required,
                     "component the signature must cover, e.g. @method or "
                     "'\"@query-param\";name=\"id\"' (repeatable)");
  verify->add_option("--tag", verify_args->tag, "required tag parameter");
  verify->callback([verify_args, &outcome] { outcome.exit_code = RunVerify(*verify_args); });
}

}  // namespace

ZTM_CLI_COMMANDS(50, AddHttpSigCommands);

}  // namespace ztm::cli
