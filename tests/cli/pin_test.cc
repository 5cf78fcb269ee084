// `ztm pin spki` against pins computed independently with the openssl command line.
#include <gtest/gtest.h>

#include "cli/run_cli.h"
#include "testdata.h"

namespace ztm::testing {
namespace {

// testdata/pin/: a certificate and its pin computed with
//   openssl x509 -pubkey -noout | openssl pkey -pubin -outform der |
//   openssl dgst -sha256 -binary | base64
// (see testdata/pin/SOURCES.md).
TEST(CliPin, PemCertificate) {
  auto run = RunCli({"pin", "spki", TestdataPath("pin/server.pem")});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, "sha256/" + ReadTestdata("pin/server.pin"));
}

TEST(CliPin, DerCertificate) {
  auto run = RunCli({"pin", "spki", TestdataPath("pin/server.der")});
  EXPECT_EQ(run.exit_code, 0) << run.err;
  EXPECT_EQ(run.out, "sha256/" + ReadTestdata("pin/server.pin"));
}

TEST(CliPin, NotACertificateIsInvalid) {
  auto run = RunCli({"pin", "spki", WriteTempFile("junk.pem", "not a certificate")});
  EXPECT_EQ(run.exit_code, 1);
  EXPECT_NE(run.err.find("ztm: certificate"), std::string::npos) << run.err;
}

TEST(CliPin, MissingFileIsInvalidAndMissingArgumentIsUsage) {
  EXPECT_EQ(RunCli({"pin", "spki", "/nonexistent/cert.pem"}).exit_code, 1);
  EXPECT_EQ(RunCli({"pin", "spki"}).exit_code, 2);
}

}  // namespace
}  // namespace ztm::testing
