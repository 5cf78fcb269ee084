// `ztm dpop verify|create`: check or produce DPoP proofs (RFC 9449).
#include <CLI/CLI.hpp>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

#include "cli/command.h"
#include "core/clock.h"
#include "core/dpop/dpop.h"
#include "core/jose/jwk.h"

namespace ztm::cli {
namespace {

struct DpopArgs {
  std::string htm;
  std::string htu;
  std::string access_token;
  std::string nonce;
  std::string jkt;
  std::string jwk_file;
  std::string jti;
  std::int64_t now = 0;
};

std::int64_t NowOrSystem(const CLI::Option* now, std::int64_t value) {
  return now->count() > 0 ? value : SystemClock::Instance().NowSeconds();
}

void AddDpopCommands(CLI::App& app, Outcome& outcome) {
  CLI::App* dpop = app.add_subcommand("dpop", "DPoP proofs (RFC 9449)");
  dpop->require_subcommand(1);

  CLI::App* verify = dpop->add_subcommand(
      "verify",
      "Check the DPoP proof on standard input (one trailing newline is ignored) for a request "
      "and print its key's RFC 7638 thumbprint. Policy: ES256 or EdDSA, iat at most 300 s old "
      "and 60 s ahead. --nonce makes a matching nonce claim mandatory; --access-token makes a "
      "matching ath mandatory; --jkt requires the proof key to have that thumbprint (with "
      "--access-token but no --jkt the key binding is not checked and a warning is printed).");
  auto v = std::make_shared<DpopArgs>();
  verify->add_option("--htm", v->htm, "HTTP method of the request")->required();
  verify->add_option("--htu", v->htu, "target URI of the request")->required();
  CLI::Option* v_token =
      verify->add_option("--access-token", v->access_token, "access token sent with the proof");
  CLI::Option* v_nonce = verify->add_option("--nonce", v->nonce, "nonce the server issued");
  CLI::Option* v_jkt = verify->add_option("--jkt", v->jkt, "the access token's cnf.jkt");
  CLI::Option* v_now = verify->add_option("--now", v->now, "Unix time (default: now)");
  verify->callback([v, v_token, v_nonce, v_jkt, v_now, &outcome] {
    ZTM_CLI_TRY(outcome, verifier, dpop::DpopVerifier::Create(dpop::DpopPolicy{}));
    ZTM_CLI_TRY(outcome, input, ReadStdin());
    dpop::DpopRequestContext context;
    if (v_token->count() > 0) context.access_token = v->access_token;
    if (v_nonce->count() > 0) context.expected_nonce = v->nonce;
    if (v_jkt->count() > 0) context.expected_jkt = v->jkt;
    // A resource server always has the token's cnf.jkt; this tool may be run without it, so
    // it opts out of the key binding visibly rather than refusing.
    const bool unbound = context.access_token && !context.expected_jkt;
    context.allow_unbound_access_token = unbound;
    ZTM_CLI_TRY(outcome, verified,
                verifier->Verify(TrimTrailingNewline(std::move(input).value()), v->htm, v->htu,
                                 context, FixedClock(NowOrSystem(v_now, v->now))));
    if (unbound) {
      std::fprintf(stderr, "warning: --jkt not given; proof key not checked against the token\n");
    }
    std::printf("%s\n", verified->thumbprint().c_str());
    outcome.exit_code = kExitOk;
  });

  CLI::App* create = dpop->add_subcommand(
      "create", "Create a DPoP proof signed with the private JWK in --jwk and print it");
  auto c = std::make_shared<DpopArgs>();
  create->add_option("--jwk", c->jwk_file, "private JWK file (EC P-256 or OKP Ed25519)")
      ->required();
  create->add_option("--htm", c->htm, "HTTP method")->required();
  create->add_option("--htu", c->htu, "target URI (query and fragment are dropped)")->required();
  CLI::Option* c_token =
      create->add_option("--access-token", c->access_token, "adds ath for this token");
  CLI::Option* c_nonce = create->add_option("--nonce", c->nonce, "server-provided nonce");
  create->add_option("--jti", c->jti, "proof identifier (default: 128 random bits)");
  CLI::Option* c_now = create->add_option("--now", c->now, "iat as Unix time (default: now)");
  create->callback([c, c_token, c_nonce, c_now, &outcome] {
    ZTM_CLI_TRY(outcome, text, ReadFile(c->jwk_file));
    ZTM_CLI_TRY(outcome, key, jose::ParsePrivateJwk(*text));
    if (key->private_key() == nullptr) {
      outcome.exit_code = Fail("dpop: --jwk must be an EC P-256 or OKP Ed25519 private key");
      return;
    }
    dpop::ProofInput input;
    input.htm = c->htm;
    input.htu = c->htu;
    input.iat = NowOrSystem(c_now, c->now);
    input.jti = c->jti;
    if (c_token->count() > 0) input.access_token = c->access_token;
    if (c_nonce->count() > 0) input.nonce = c->nonce;
    ZTM_CLI_TRY(outcome, proof, dpop::CreateProof(*key->private_key(), input));
    std::printf("%s\n", proof->c_str());
    outcome.exit_code = kExitOk;
  });
}

}  // namespace

ZTM_CLI_COMMANDS(30, AddDpopCommands);

}  // namespace ztm::cli
