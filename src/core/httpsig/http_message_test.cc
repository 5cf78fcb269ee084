// The HTTP message model and the bounded HTTP/1.1 parser.
#include "core/httpsig/http_message.h"

#include <gtest/gtest.h>

#include <string>

namespace ztm::httpsig {
namespace {

constexpr char kRequest[] =
    "POST /foo?param=Value&Pet=dog HTTP/1.1\r\n"
    "Host: example.com\r\n"
    "Content-Type: application/json\r\n"
    "Accept: application/json\r\n"
    "Accept: */*\r\n"
    "Content-Length: 18\r\n"
    "\r\n"
    "{\"hello\": \"world\"}";

TEST(HttpSigHttpMessage, ParsesRequestWithCrlf) {
  auto request = ParseHttpRequest(kRequest);
  ASSERT_TRUE(request.ok()) << request.error().message;
  EXPECT_EQ(request->method, "POST");
  EXPECT_EQ(request->target, "/foo?param=Value&Pet=dog");
  EXPECT_EQ(request->scheme, "https");
  EXPECT_EQ(request->authority, "example.com");
  EXPECT_EQ(AsString(request->body), "{\"hello\": \"world\"}");
  ASSERT_EQ(request->fields.size(), 5u);
  EXPECT_EQ(request->fields.lines()[1].name, "content-type");
  // Repeated lines stay separate and ordered.
  const auto accept = request->fields.Values("accept");
  ASSERT_EQ(accept.size(), 2u);
  EXPECT_EQ(accept[0], "application/json");
  EXPECT_EQ(accept[1], "*/*");
}

TEST(HttpSigHttpMessage, ParsesRequestWithLfAndWithoutFinalEmptyLine) {
  auto request = ParseHttpRequest("GET /demo HTTP/1.1\nHost: example.org\nAccept: */*", "http");
  ASSERT_TRUE(request.ok()) << request.error().message;
  EXPECT_EQ(request->scheme, "http");
  EXPECT_TRUE(request->body.empty());
  EXPECT_EQ(request->fields.Values("accept").front(), "*/*");
}

TEST(HttpSigHttpMessage, TrimsFieldValuesAndLowercasesNames) {
  auto request = ParseHttpRequest("GET / HTTP/1.1\nHOST: Example.COM\nX-Ows:  \t a b \t\n\n");
  ASSERT_TRUE(request.ok()) << request.error().message;
  EXPECT_EQ(request->fields.Values("x-ows").front(), "a b");
  EXPECT_EQ(request->authority, "Example.COM");
  // An empty value is a value.
  auto empty = ParseHttpRequest("GET / HTTP/1.1\nHost: a\nX-Empty: \n\n");
  ASSERT_TRUE(empty.ok());
  ASSERT_EQ(empty->fields.Values("x-empty").size(), 1u);
  EXPECT_EQ(empty->fields.Values("x-empty").front(), "");
}

TEST(HttpSigHttpMessage, ParsesResponse) {
  auto response = ParseHttpResponse(
      "HTTP/1.1 200 OK\nContent-Type: application/json\nContent-Length: 23\n\n"
      "{\"message\": \"good dog\"}");
  ASSERT_TRUE(response.ok()) << response.error().message;
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(AsString(response->body), "{\"message\": \"good dog\"}");
  // Without Content-Length a response body runs to the end.
  auto to_end = ParseHttpResponse("HTTP/1.1 503\n\nbusy");
  ASSERT_TRUE(to_end.ok()) << to_end.error().message;
  EXPECT_EQ(to_end->status, 503);
  EXPECT_EQ(AsString(to_end->body), "busy");
}

TEST(HttpSigHttpMessage, RejectsMalformedRequests) {
  const char* cases[] = {
      "",                                             // no request line
      "GET / HTTP/1.1\n\n",                           // no Host
      "GET / HTTP/1.1\nHost: a\nHost: b\n\n",         // repeated Host
      "GET / HTTP/1.1\nHost: a\n folded: x\n\n",      // obs-fold
      "GET / HTTP/1.1\nHost: a\nX-A: 1\n\tmore\n\n",  // obs-fold continuation
      "GET / HTTP/1.1\nHost: a\nBad Name: x\n\n",     // space in field name
      "GET / HTTP/1.1\nHost: a\nX-A : x\n\n",         // space before colon
      "GET / HTTP/1.1\nHost: a\nNoColon\n\n",         // no colon
      "GET / HTTP/1.1\nHost: a\nX-A: a\rb\n\n",       // bare CR in value
      "GET / HTTP/1.1\nHost: a\nX-A: a\x01"
      "b\n\n",                                               // control character
      "GET / HTTP/1.0\nHost: a\n\n",                         // not HTTP/1.1
      "GET  / HTTP/1.1\nHost: a\n\n",                        // double space
      "GET /a b HTTP/1.1\nHost: a\n\n",                      // space in target
      "G(T / HTTP/1.1\nHost: a\n\n",                         // invalid method
      "GET /a#frag HTTP/1.1\nHost: a\n\n",                   // fragment
      "GET /a%2 HTTP/1.1\nHost: a\n\n",                      // broken percent-encoding
      "GET /a<b HTTP/1.1\nHost: a\n\n",                      // character outside RFC 3986
      "GET / HTTP/1.1\nHost: user@a\n\n",                    // userinfo
      "GET / HTTP/1.1\nHost: a:99999\n\n",                   // port out of range
      "GET / HTTP/1.1\nHost: a:0443\n\n",                    // port with leading zero
      "GET / HTTP/1.1\nHost: \n\n",                          // empty Host
      "GET * HTTP/1.1\nHost: a\n\n",                         // asterisk outside OPTIONS
      "GET / HTTP/1.1\nHost: a\n\nbody",                     // body without Content-Length
      "GET / HTTP/1.1\nHost: a\nContent-Length: 3\n\nbody",  // wrong length
      "GET / HTTP/1.1\nHost: a\nContent-Length: 4\nContent-Length: 4\n\nbody",
      "GET / HTTP/1.1\nHost: a\nContent-Length: +4\n\nbody",
      "GET / HTTP/1.1\nHost: a\nTransfer-Encoding: chunked\n\n",
      "GET https://b/ HTTP/1.1\nHost: a\n\n",  // two authorities
      "GET ftp://a/ HTTP/1.1\nHost: a\n\n",    // not http(s)
  };
  for (const char* text : cases) {
    auto request = ParseHttpRequest(text);
    EXPECT_FALSE(request.ok()) << text;
    if (!request.ok()) {
      EXPECT_EQ(request.code(), Code::kHttpMessageMalformed) << text;
    }
  }
  EXPECT_EQ(ParseHttpRequest("GET / HTTP/1.1\nHost: a\n\n", "ftp").code(),
            Code::kHttpMessageMalformed);
}

TEST(HttpSigHttpMessage, AcceptsEveryTargetForm) {
  auto absolute =
      ParseHttpRequest("GET https://Example.com:443/p?q HTTP/1.1\nHost: example.com\n\n");
  ASSERT_TRUE(absolute.ok()) << absolute.error().message;
  auto absolute_target = ParseTarget(*absolute);
  ASSERT_TRUE(absolute_target.ok());
  EXPECT_EQ(absolute_target->form, TargetForm::kAbsolute);
  EXPECT_EQ(absolute_target->path, "/p");
  EXPECT_EQ(absolute_target->query, "q");

  auto connect = ParseHttpRequest("CONNECT www.example.com:80 HTTP/1.1\nHost: www.example.com\n\n");
  ASSERT_TRUE(connect.ok()) << connect.error().message;
  EXPECT_EQ(ParseTarget(*connect)->form, TargetForm::kAuthority);

  auto options = ParseHttpRequest("OPTIONS * HTTP/1.1\nHost: www.example.com\n\n");
  ASSERT_TRUE(options.ok()) << options.error().message;
  EXPECT_EQ(ParseTarget(*options)->form, TargetForm::kAsterisk);

  auto ipv6 = ParseHttpRequest("GET / HTTP/1.1\nHost: [::1]:8443\n\n");
  ASSERT_TRUE(ipv6.ok()) << ipv6.error().message;
}

TEST(HttpSigHttpMessage, NormalizesAuthority) {
  EXPECT_EQ(NormalizeAuthority("WWW.Example.COM", "https").value(), "www.example.com");
  EXPECT_EQ(NormalizeAuthority("example.com:443", "https").value(), "example.com");
  EXPECT_EQ(NormalizeAuthority("example.com:443", "http").value(), "example.com:443");
  EXPECT_EQ(NormalizeAuthority("example.com:80", "http").value(), "example.com");
  EXPECT_EQ(NormalizeAuthority("example.com:", "https").value(), "example.com");
  EXPECT_EQ(NormalizeAuthority("[::1]:443", "https").value(), "[::1]");
  EXPECT_EQ(NormalizeAuthority("a@example.com", "https").code(), Code::kHttpMessageMalformed);
  EXPECT_EQ(NormalizeAuthority("[::1", "https").code(), Code::kHttpMessageMalformed);
  EXPECT_EQ(NormalizeAuthority("[zz]", "https").code(), Code::kHttpMessageMalformed);
}

TEST(HttpSigHttpMessage, BoundsInput) {
  const std::string big(kMaxMessageBytes + 1, 'a');
  EXPECT_EQ(ParseHttpRequest(big).code(), Code::kInputTooLarge);

  const std::string long_target = "GET /" + std::string(kMaxStartLineBytes, 'a') + " HTTP/1.1\n";
  EXPECT_EQ(ParseHttpRequest(long_target + "Host: a\n\n").code(), Code::kInputTooLarge);

  std::string many_fields = "GET / HTTP/1.1\nHost: a\n";
  for (std::size_t i = 0; i < kMaxFieldLines; ++i) many_fields += "X-A: 1\n";
  EXPECT_EQ(ParseHttpRequest(many_fields + "\n").code(), Code::kInputTooLarge);

  std::string big_headers = "GET / HTTP/1.1\nHost: a\n";
  for (int i = 0; i < 20; ++i) big_headers += "X-A: " + std::string(4000, 'a') + "\n";
  EXPECT_EQ(ParseHttpRequest(big_headers + "\n").code(), Code::kInputTooLarge);
}

TEST(HttpSigHttpMessage, FieldsAddValidates) {
  HttpFields fields;
  EXPECT_TRUE(fields.Add("X-Good", " v ").ok());
  EXPECT_EQ(fields.Values("x-good").front(), "v");
  EXPECT_EQ(fields.Add("bad name", "v").code(), Code::kHttpMessageMalformed);
  EXPECT_EQ(fields.Add("", "v").code(), Code::kHttpMessageMalformed);
  EXPECT_EQ(fields.Add("x", "a\nb").code(), Code::kHttpMessageMalformed);
  EXPECT_EQ(fields.Add("x", std::string("a\0b", 3)).code(), Code::kHttpMessageMalformed);
  EXPECT_TRUE(fields.Add("x", "caf\xc3\xa9").ok());  // obs-text is opaque, not refused
}

}  // namespace
}  // namespace ztm::httpsig
