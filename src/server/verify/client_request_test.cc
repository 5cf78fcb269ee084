#include "server/verify/client_request.h"

#include <gtest/gtest.h>

#include <vector>

#include "server/testing/gateway_test_support.h"

namespace ztm::server {
namespace {

using testing::MakeRequest;

TEST(ClientRequest, ReverseProxyModeUsesTheRequest) {
  auto client = ClientRequestOf(MakeRequest("POST", "/v1/orders?x=1"), GatewayMode::kReverseProxy);
  ASSERT_TRUE(client.ok()) << client.error().message;
  EXPECT_EQ(client->method, "POST");
  EXPECT_EQ(client->scheme, "https");
  EXPECT_EQ(client->authority, "gw.test");
  EXPECT_EQ(client->target, "/v1/orders?x=1");
  EXPECT_EQ(client->path, "/v1/orders");
}

TEST(ClientRequest, AuthRequestModeReadsTheFrontProxysHeaders) {
  http::Request request = MakeRequest("GET", "/_ztm/auth", "",
                                      {{"x-original-method", "DELETE"},
                                       {"x-original-uri", "/v1/orders/7?force=1"},
                                       {"x-forwarded-proto", "https"}});
  request.tls = false;
  auto client = ClientRequestOf(request, GatewayMode::kAuthRequest);
  ASSERT_TRUE(client.ok()) << client.error().message;
  EXPECT_EQ(client->method, "DELETE");
  EXPECT_EQ(client->target, "/v1/orders/7?force=1");
  EXPECT_EQ(client->scheme, "https");
  EXPECT_EQ(client->path, "/v1/orders/7");
  // The same headers mean nothing in reverse-proxy mode.
  auto proxied = ClientRequestOf(request, GatewayMode::kReverseProxy);
  ASSERT_TRUE(proxied.ok());
  EXPECT_EQ(proxied->method, "GET");
  EXPECT_EQ(proxied->target, "/_ztm/auth");
  EXPECT_EQ(proxied->scheme, "http");
}

TEST(ClientRequest, AmbiguousRequestsAreRefused) {
  const std::vector<std::string> malformed_targets = {
      "/a/%zz", "/a/%4", "*", "http://gw.test/x", "", "/a b", "/a#frag",
  };
  for (const std::string& target : malformed_targets) {
    auto client = ClientRequestOf(MakeRequest("GET", target), GatewayMode::kReverseProxy);
    EXPECT_FALSE(client.ok()) << target;
    if (!client.ok()) {
      EXPECT_EQ(client.code(), Code::kHttpMessageMalformed) << target;
    }
  }
  // Paths an upstream may resolve to another route than the one the gateway matched.
  const std::vector<std::string> ambiguous_targets = {
      "/public/../admin",
      "/a/./b",
      "/a/%2e%2e/b",
      "/a/%2E/b",
      "/a%2Fb",
      "/a%5cb",
      "/..",
      "/%2e%2e/admin",
      "//admin/x",
      "/public//admin",
      "/admin//",
      "//",
      "/public/..;/admin/secret",
      "/public/%2e%2e;/admin/secret",
      "/public/.;/admin",
      "/admin;jsessionid=1/x",
      "/admin/x;",
      "/public/..%3B/admin",
      "/public/..%3b/admin",
  };
  for (const std::string& target : ambiguous_targets) {
    auto client = ClientRequestOf(MakeRequest("GET", target), GatewayMode::kReverseProxy);
    EXPECT_FALSE(client.ok()) << target;
    if (!client.ok()) {
      EXPECT_EQ(client.code(), Code::kRequestPathAmbiguous) << target;
    }
  }
  // The same holds for the original URI of an auth_request sub-request.
  http::Request proxied_slashes =
      MakeRequest("GET", "/_ztm/auth", "", {{"x-original-uri", "//admin/x"}});
  auto proxied = ClientRequestOf(proxied_slashes, GatewayMode::kAuthRequest);
  ASSERT_FALSE(proxied.ok());
  EXPECT_EQ(proxied.code(), Code::kRequestPathAmbiguous);
  http::Request no_host = MakeRequest("GET", "/x");
  no_host.headers.clear();
  EXPECT_FALSE(ClientRequestOf(no_host, GatewayMode::kReverseProxy).ok());
  http::Request two_hosts = MakeRequest("GET", "/x", "", {{"host", "evil.test"}});
  EXPECT_FALSE(ClientRequestOf(two_hosts, GatewayMode::kReverseProxy).ok());
  http::Request two_uris =
      MakeRequest("GET", "/x", "", {{"x-original-uri", "/a"}, {"x-original-uri", "/b"}});
  EXPECT_FALSE(ClientRequestOf(two_uris, GatewayMode::kAuthRequest).ok());
  http::Request bad_proto = MakeRequest("GET", "/x", "", {{"x-forwarded-proto", "ftp"}});
  EXPECT_FALSE(ClientRequestOf(bad_proto, GatewayMode::kAuthRequest).ok());
}

TEST(ClientRequest, UnreservedPercentEncodingIsDecodedForRouting) {
  auto client =
      ClientRequestOf(MakeRequest("GET", "/v1/%61dmin/%7euser/%c3%a9"), GatewayMode::kReverseProxy);
  ASSERT_TRUE(client.ok());
  EXPECT_EQ(client->path, "/v1/admin/~user/%C3%A9");
  EXPECT_EQ(client->target, "/v1/%61dmin/%7euser/%c3%a9");  // what the signature covers
}

TEST(RouteMatching, LongestPrefixWinsAndUnmatchedPathsGetEveryCheck) {
  std::vector<RoutePolicy> routes(3);
  routes[0].path_prefix = "/";
  routes[0].require_signature = false;
  routes[1].path_prefix = "/v1/admin";
  routes[1].required_acr = "mfa";
  routes[2].path_prefix = "/public/";
  routes[2].public_route = true;
  EXPECT_EQ(&MatchRoute(routes, "/v1/admin/users"), &routes[1]);
  EXPECT_EQ(&MatchRoute(routes, "/public/logo.png"), &routes[2]);
  EXPECT_EQ(&MatchRoute(routes, "/v1/orders"), &routes[0]);
  std::vector<RoutePolicy> only_admin(routes.begin() + 1, routes.begin() + 2);
  const RoutePolicy& fallback = MatchRoute(only_admin, "/v1/orders");
  EXPECT_EQ(&fallback, &DefaultRoutePolicy());
  EXPECT_TRUE(fallback.require_token);
  EXPECT_TRUE(fallback.require_dpop);
  EXPECT_TRUE(fallback.require_signature);
  EXPECT_FALSE(fallback.public_route);
  EXPECT_TRUE(fallback.methods.empty());
}

}  // namespace
}  // namespace ztm::server

namespace ztm::server {
namespace {

TEST(ClientRequest, ForwardTargetIsTheNormalizedPathAndTheOriginalQuery) {
  auto client = ClientRequestOf(MakeRequest("GET", "/v1/%61dmin/a%2fb?x=%2F&y=1"),
                                GatewayMode::kReverseProxy);
  EXPECT_FALSE(client.ok());  // %2F in the path is refused
  auto plain = ClientRequestOf(MakeRequest("GET", "/v1/%61dmin/%c3%a9?x=%2F&y=//"),
                               GatewayMode::kReverseProxy);
  ASSERT_TRUE(plain.ok()) << plain.error().message;
  EXPECT_EQ(plain->target, "/v1/%61dmin/%c3%a9?x=%2F&y=//");
  EXPECT_EQ(plain->path, "/v1/admin/%C3%A9");
  EXPECT_EQ(plain->forward_target, "/v1/admin/%C3%A9?x=%2F&y=//");
  auto root = ClientRequestOf(MakeRequest("GET", "/"), GatewayMode::kReverseProxy);
  ASSERT_TRUE(root.ok());
  EXPECT_EQ(root->forward_target, "/");
  auto trailing = ClientRequestOf(MakeRequest("GET", "/admin/"), GatewayMode::kReverseProxy);
  ASSERT_TRUE(trailing.ok());
  EXPECT_EQ(trailing->forward_target, "/admin/");
}

}  // namespace
}  // namespace ztm::server

namespace ztm::server {
namespace {

TEST(ClientRequest, PublicOriginsRefuseOtherHosts) {
  const std::vector<std::string> origins = {"https://gw.test", "https://gw.test:8443"};
  auto check = [&](const http::Request& request, GatewayMode mode = GatewayMode::kReverseProxy) {
    Status status = CheckPublicOrigin(request, mode, origins);
    return status.ok() ? std::string("ok") : std::string(CodeName(status.code()));
  };
  EXPECT_EQ(check(testing::MakeRequest("GET", "/x")), "ok");  // Host: gw.test over TLS
  http::Request port = testing::MakeRequest("GET", "/x");
  testing::SetHeader(port, "host", "GW.test:8443");
  EXPECT_EQ(check(port), "ok");
  testing::SetHeader(port, "host", "gw.test:443");
  EXPECT_EQ(check(port), "ok");
  for (const std::string host :
       {"other.example", "gw.test:9443", "gw.test.evil", "", "gw.test/x", "user@gw.test"}) {
    http::Request other = testing::MakeRequest("GET", "/x");
    testing::SetHeader(other, "host", host);
    EXPECT_EQ(check(other), "misdirected_request") << host;
  }
  http::Request plaintext = testing::MakeRequest("GET", "/x");
  plaintext.tls = false;  // http://gw.test is another origin
  EXPECT_EQ(check(plaintext), "misdirected_request");
  http::Request two_hosts = testing::MakeRequest("GET", "/x", "", {{"host", "gw.test"}});
  EXPECT_EQ(check(two_hosts), "misdirected_request");
  // auth_request: the front proxy's X-Forwarded-Proto / X-Forwarded-Host count too.
  http::Request proxied = testing::MakeRequest(
      "GET", "/_ztm/auth", "", {{"x-forwarded-proto", "https"}, {"x-forwarded-host", "evil.test"}});
  proxied.tls = false;
  EXPECT_EQ(check(proxied, GatewayMode::kAuthRequest), "misdirected_request");
  testing::SetHeader(proxied, "x-forwarded-host", "gw.test");
  EXPECT_EQ(check(proxied, GatewayMode::kAuthRequest), "ok");
  EXPECT_TRUE(CheckPublicOrigin(plaintext, GatewayMode::kReverseProxy, {}).ok());
}

}  // namespace
}  // namespace ztm::server
