// `ztm jwk ...` and `ztm jws ...`: JWK thumbprints and generation, compact JWS verification.
#include <CLI/CLI.hpp>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "cli/command.h"
#include "core/clock.h"
#include "core/crypto/keys.h"
#include "core/jose/jwk.h"
#include "core/jose/jws.h"
#include "core/jose/jwt.h"
#include "core/json.h"

namespace ztm::cli {
namespace {

void PrintLine(std::string_view text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fputc('\n', stdout);
}

void AddJwkCommands(CLI::App& app, Outcome& outcome) {
  CLI::App* jwk = app.add_subcommand("jwk", "JSON Web Keys (RFC 7517)");
  jwk->require_subcommand(1);

  CLI::App* thumbprint = jwk->add_subcommand(
      "thumbprint",
      "Print the RFC 7638 SHA-256 thumbprint of the JWK in FILE (EC P-256, OKP Ed25519 or oct; "
      "a private JWK is accepted and hashed over its public members)");
  auto file = std::make_shared<std::string>();
  thumbprint->add_option("FILE", *file, "JWK file (JSON)")->required();
  thumbprint->callback([file, &outcome] {
    ZTM_CLI_TRY(outcome, text, ReadFile(*file));
    ZTM_CLI_TRY(outcome, key, jose::ParseAnyJwk(*text));
    PrintLine(key->Thumbprint());
    outcome.exit_code = kExitOk;
  });

  CLI::App* generate =
      jwk->add_subcommand("generate", "Generate a key pair and print it as a private JWK");
  auto kty = std::make_shared<std::string>();
  generate->add_option("--kty", *kty, "key type: EC (P-256) or OKP (Ed25519)")
      ->required()
      ->check(CLI::IsMember({"EC", "OKP"}));
  generate->callback([kty, &outcome] {
    ZTM_CLI_TRY(outcome, key,
                crypto::PrivateKey::Generate(*kty == "EC" ? crypto::KeyType::kEcP256
                                                          : crypto::KeyType::kEd25519));
    ZTM_CLI_TRY(outcome, object, jose::Jwk::FromPrivateKey(*key).ToPrivateObject());
    PrintLine(json::Serialize(*object));
    outcome.exit_code = kExitOk;
  });

  CLI::App* pem = jwk->add_subcommand(
      "pem",
      "Print the JWK in FILE as PEM: PKCS#8 for a private JWK, SubjectPublicKeyInfo for a public "
      "one or with --public (for tools that take PEM keys, such as `ztm httpsig`)");
  auto pem_file = std::make_shared<std::string>();
  auto public_only = std::make_shared<bool>(false);
  pem->add_option("FILE", *pem_file, "JWK file (JSON)")->required();
  pem->add_flag("--public", *public_only, "print only the public key");
  pem->callback([pem_file, public_only, &outcome] {
    ZTM_CLI_TRY(outcome, text, ReadFile(*pem_file));
    ZTM_CLI_TRY(outcome, key, jose::ParseAnyJwk(*text));
    if (!key->public_key()) {
      outcome.exit_code = Fail("jwk: an oct key has no PEM form");
      return;
    }
    if (!*public_only && key->private_key()) {
      std::fputs(key->private_key()->ToPem().c_str(), stdout);
    } else {
      std::fputs(key->public_key()->ToPem().c_str(), stdout);
    }
    outcome.exit_code = kExitOk;
  });
}

struct JwsVerifyArgs {
  std::string jwk_file;
  std::string alg;
  std::int64_t now = 0;
};

void AddJwsCommands(CLI::App& app, Outcome& outcome) {
  CLI::App* jws = app.add_subcommand("jws", "JSON Web Signatures (RFC 7515)");
  jws->require_subcommand(1);
  CLI::App* verify = jws->add_subcommand(
      "verify",
      "Verify the compact JWS on standard input (one trailing newline is ignored) and print "
      "its payload. Only --alg is accepted; HS256 needs an oct JWK. Without --now only the "
      "signature is checked. With --now, a payload that is a JSON object is validated as a "
      "JWT claim set at that time (exp, nbf, iat; no clock skew; iss, aud and typ are not "
      "checked); any other payload is checked by signature only.");
  auto args = std::make_shared<JwsVerifyArgs>();
  verify->add_option("--jwk", args->jwk_file, "verification key (JWK file; public or private)")
      ->required();
  verify->add_option("--alg", args->alg, "the one algorithm accepted")
      ->required()
      ->check(CLI::IsMember({"ES256", "EdDSA", "HS256"}));
  CLI::Option* now = verify->add_option("--now", args->now, "Unix time for the claim checks");
  verify->callback([args, now, &outcome] {
    ZTM_CLI_TRY(outcome, key_text, ReadFile(args->jwk_file));
    ZTM_CLI_TRY(outcome, key, jose::ParseAnyJwk(*key_text));
    ZTM_CLI_TRY(outcome, algorithm, jose::ParseJwsAlgorithm(args->alg));
    ZTM_CLI_TRY(outcome, verifier, jose::JwsVerifier::Create({*algorithm}, *key));
    ZTM_CLI_TRY(outcome, input, ReadStdin());
    ZTM_CLI_TRY(outcome, verified, verifier->Verify(TrimTrailingNewline(std::move(input).value())));
    std::string_view payload = verified->payload_text();
    std::size_t first = payload.find_first_not_of(" \t\r\n");
    if (now->count() > 0 && first != std::string_view::npos && payload[first] == '{') {
      ZTM_CLI_TRY(outcome, validator,
                  jose::JwtValidatorBuilder()
                      .IgnoreIssuer()
                      .IgnoreAudience()
                      .IgnoreTypeHeader()
                      .AllowMissingExpiration()
                      .SetClockSkew(0)
                      .Build());
      ZTM_CLI_TRY(outcome, jwt, validator->Validate(*verified, FixedClock(args->now)));
    }
    PrintLine(payload);
    outcome.exit_code = kExitOk;
  });
}

void AddJoseCommands(CLI::App& app, Outcome& outcome) {
  AddJwkCommands(app, outcome);
  AddJwsCommands(app, outcome);
}

}  // namespace

ZTM_CLI_COMMANDS(10, AddJoseCommands);

}  // namespace ztm::cli
