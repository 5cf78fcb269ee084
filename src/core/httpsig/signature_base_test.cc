// RFC 9421 §2: component values and signature bases, checked against the RFC's own examples
// (§2.1-§2.5), and every way a component list can be refused.
#include "core/httpsig/signature_base.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace ztm::httpsig {
namespace {

HttpRequest Request(std::string_view text, std::string_view scheme = "https") {
  auto request = ParseHttpRequest(text, scheme);
  EXPECT_TRUE(request.ok()) << request.error().message;
  return request.ok() ? std::move(request).value() : HttpRequest{};
}

// The base for one component, without the @signature-params line.
Result<std::string> Line(HttpMessageView message, const sf::Item& component,
                         const StructuredFieldTypes& types = StructuredFieldTypes::Standard()) {
  ZTM_ASSIGN_OR_RETURN(std::string base, BuildSignatureBase(message, {{component}, {}}, types));
  return base.substr(0, base.find('\n'));
}

std::string LineOrError(HttpMessageView message, const sf::Item& component,
                        const StructuredFieldTypes& types = StructuredFieldTypes::Standard()) {
  auto line = Line(message, component, types);
  return line.ok() ? *line : std::string("error: ") + CodeName(line.code());
}

sf::Item Flag(std::string_view name, std::string_view flag) {
  return Component(name, {{std::string(flag), true}});
}
sf::Item WithString(std::string_view name, std::string_view key, std::string_view value) {
  return Component(name, {{std::string(key), std::string(value)}});
}

// RFC 9421 §2.1 example message (without its obs-fold line, which ztm's parser refuses).
constexpr char kFieldsMessage[] =
    "GET / HTTP/1.1\n"
    "Host: www.example.com\n"
    "Date: Tue, 20 Apr 2021 02:07:56 GMT\n"
    "X-OWS-Header:   Leading and trailing whitespace.   \n"
    "Cache-Control: max-age=60\n"
    "Cache-Control:    must-revalidate\n"
    "Example-Dict:  a=1,    b=2;x=1;y=2,   c=(a   b   c)\n"
    "X-Empty-Header: \n"
    "\n";

TEST(SignatureBase, HttpFieldsRfc9421Section2_1) {
  const HttpRequest request = Request(kFieldsMessage);
  EXPECT_EQ(LineOrError(request, Component("host")), "\"host\": www.example.com");
  EXPECT_EQ(LineOrError(request, Component("date")), "\"date\": Tue, 20 Apr 2021 02:07:56 GMT");
  EXPECT_EQ(LineOrError(request, Component("x-ows-header")),
            "\"x-ows-header\": Leading and trailing whitespace.");
  EXPECT_EQ(LineOrError(request, Component("cache-control")),
            "\"cache-control\": max-age=60, must-revalidate");
  EXPECT_EQ(LineOrError(request, Component("example-dict")),
            "\"example-dict\": a=1,    b=2;x=1;y=2,   c=(a   b   c)");
  // An empty field is signed as the empty string after ": ".
  EXPECT_EQ(LineOrError(request, Component("x-empty-header")), "\"x-empty-header\": ");
}

TEST(SignatureBase, StrictStructuredSerializationRfc9421Section2_1_1) {
  const HttpRequest request = Request(kFieldsMessage);
  StructuredFieldTypes types = StructuredFieldTypes::Standard();
  types.Declare("example-dict", StructuredFieldType::kDictionary);
  EXPECT_EQ(LineOrError(request, Flag("example-dict", "sf"), types),
            "\"example-dict\";sf: a=1, b=2;x=1;y=2, c=(a b c)");
  // Without a declared type, `sf` cannot be honoured.
  EXPECT_EQ(LineOrError(request, Flag("example-dict", "sf")), "error: http_sig_component_invalid");
  // A value that is not of the declared type.
  types.Declare("date", StructuredFieldType::kItem);
  EXPECT_EQ(LineOrError(request, Flag("date", "sf"), types), "error: http_sig_component_invalid");
  // Repeated lines are combined before parsing: two Items are not an Item.
  types.Declare("cache-control", StructuredFieldType::kItem);
  EXPECT_EQ(LineOrError(request, Flag("cache-control", "sf"), types),
            "error: http_sig_component_invalid");
  types.Declare("cache-control", StructuredFieldType::kList);
  EXPECT_EQ(LineOrError(request, Flag("cache-control", "sf"), types),
            "error: http_sig_component_invalid");  // "max-age=60" is not a List member
}

TEST(SignatureBase, DictionaryMembersRfc9421Section2_1_2) {
  const HttpRequest request =
      Request("GET / HTTP/1.1\nHost: a\nExample-Dict:  a=1, b=2;x=1;y=2, c=(a   b    c), d\n\n");
  EXPECT_EQ(LineOrError(request, WithString("example-dict", "key", "a")),
            "\"example-dict\";key=\"a\": 1");
  EXPECT_EQ(LineOrError(request, WithString("example-dict", "key", "d")),
            "\"example-dict\";key=\"d\": ?1");
  EXPECT_EQ(LineOrError(request, WithString("example-dict", "key", "b")),
            "\"example-dict\";key=\"b\": 2;x=1;y=2");
  EXPECT_EQ(LineOrError(request, WithString("example-dict", "key", "c")),
            "\"example-dict\";key=\"c\": (a b c)");
  // A key that is not in the Dictionary, a field that is not a Dictionary, a key on a field
  // declared with another type.
  EXPECT_EQ(LineOrError(request, WithString("example-dict", "key", "e")),
            "error: http_sig_component_missing");
  const HttpRequest not_dict = Request("GET / HTTP/1.1\nHost: a\nExample-Dict: (\n\n");
  EXPECT_EQ(LineOrError(not_dict, WithString("example-dict", "key", "a")),
            "error: http_sig_component_invalid");
  const HttpRequest cert = Request("GET / HTTP/1.1\nHost: a\nClient-Cert: :AAAA:\n\n");
  EXPECT_EQ(LineOrError(cert, WithString("client-cert", "key", "a")),
            "error: http_sig_component_invalid");
}

TEST(SignatureBase, ByteSequenceWrappingRfc9421Section2_1_3) {
  const HttpRequest two_lines = Request(
      "GET / HTTP/1.1\nHost: a\nExample-Header: value, with, lots\n"
      "Example-Header: of, commas\n\n");
  const HttpRequest one_line =
      Request("GET / HTTP/1.1\nHost: a\nExample-Header: value, with, lots, of, commas\n\n");
  // Without `bs` both messages sign the same value; with it they differ.
  EXPECT_EQ(LineOrError(two_lines, Component("example-header")),
            LineOrError(one_line, Component("example-header")));
  EXPECT_EQ(LineOrError(two_lines, Flag("example-header", "bs")),
            "\"example-header\";bs: :dmFsdWUsIHdpdGgsIGxvdHM=:, :b2YsIGNvbW1hcw==:");
  EXPECT_EQ(LineOrError(one_line, Flag("example-header", "bs")),
            "\"example-header\";bs: :dmFsdWUsIHdpdGgsIGxvdHMsIG9mLCBjb21tYXM=:");
  // `bs` needs the raw lines; `sf` and `key` need the parsed structure.
  EXPECT_EQ(LineOrError(one_line, Component("example-header", {{"bs", true}, {"sf", true}})),
            "error: http_sig_component_invalid");
  EXPECT_EQ(
      LineOrError(one_line, Component("example-header", {{"bs", true}, {"key", std::string("a")}})),
      "error: http_sig_component_invalid");
}

TEST(SignatureBase, DerivedComponentsRfc9421Section2_2) {
  const HttpRequest request = Request("POST /path?param=value HTTP/1.1\nHost: www.example.com\n\n");
  EXPECT_EQ(LineOrError(request, Component("@method")), "\"@method\": POST");
  EXPECT_EQ(LineOrError(request, Component("@target-uri")),
            "\"@target-uri\": https://www.example.com/path?param=value");
  EXPECT_EQ(LineOrError(request, Component("@authority")), "\"@authority\": www.example.com");
  EXPECT_EQ(LineOrError(request, Component("@scheme")), "\"@scheme\": https");
  EXPECT_EQ(LineOrError(request, Component("@request-target")),
            "\"@request-target\": /path?param=value");
  EXPECT_EQ(LineOrError(request, Component("@path")), "\"@path\": /path");
  EXPECT_EQ(LineOrError(request, Component("@query")), "\"@query\": ?param=value");

  const HttpRequest plain =
      Request("POST /path?param=value HTTP/1.1\nHost: www.example.com\n\n", "http");
  EXPECT_EQ(LineOrError(plain, Component("@scheme")), "\"@scheme\": http");
  EXPECT_EQ(LineOrError(plain, Component("@target-uri")),
            "\"@target-uri\": http://www.example.com/path?param=value");

  // §2.2.3: host lowercased, default port removed.
  const HttpRequest upper = Request("GET / HTTP/1.1\nHost: WWW.Example.COM:443\n\n");
  EXPECT_EQ(LineOrError(upper, Component("@authority")), "\"@authority\": www.example.com");
  const HttpRequest port = Request("GET / HTTP/1.1\nHost: www.example.com:8443\n\n");
  EXPECT_EQ(LineOrError(port, Component("@authority")), "\"@authority\": www.example.com:8443");

  // §2.2.7: the query with '?', and "?" alone when there is none.
  const HttpRequest query =
      Request("POST /path?param=value&foo=bar&baz=bat%2Dman HTTP/1.1\nHost: www.example.com\n\n");
  EXPECT_EQ(LineOrError(query, Component("@query")),
            "\"@query\": ?param=value&foo=bar&baz=bat%2Dman");
  const HttpRequest query_string =
      Request("POST /path?queryString HTTP/1.1\nHost: www.example.com\n\n");
  EXPECT_EQ(LineOrError(query_string, Component("@query")), "\"@query\": ?queryString");
  const HttpRequest no_query = Request("GET /path HTTP/1.1\nHost: www.example.com\n\n");
  EXPECT_EQ(LineOrError(no_query, Component("@query")), "\"@query\": ?");
}

TEST(SignatureBase, RequestTargetFormsRfc9421Section2_2_5) {
  const HttpRequest absolute =
      Request("GET https://www.example.com/path?param=value HTTP/1.1\nHost: www.example.com\n\n");
  EXPECT_EQ(LineOrError(absolute, Component("@request-target")),
            "\"@request-target\": https://www.example.com/path?param=value");
  EXPECT_EQ(LineOrError(absolute, Component("@target-uri")),
            "\"@target-uri\": https://www.example.com/path?param=value");
  EXPECT_EQ(LineOrError(absolute, Component("@path")), "\"@path\": /path");

  const HttpRequest connect =
      Request("CONNECT www.example.com:80 HTTP/1.1\nHost: www.example.com\n\n");
  EXPECT_EQ(LineOrError(connect, Component("@request-target")),
            "\"@request-target\": www.example.com:80");
  EXPECT_EQ(LineOrError(connect, Component("@path")), "error: http_sig_component_invalid");

  const HttpRequest options = Request("OPTIONS * HTTP/1.1\nHost: www.example.com\n\n");
  EXPECT_EQ(LineOrError(options, Component("@request-target")), "\"@request-target\": *");
  EXPECT_EQ(LineOrError(options, Component("@query")), "error: http_sig_component_invalid");

  // §2.2.6: an empty path is "/".
  const HttpRequest empty_path =
      Request("GET https://www.example.com?a=b HTTP/1.1\nHost: www.example.com\n\n");
  EXPECT_EQ(LineOrError(empty_path, Component("@path")), "\"@path\": /");
}

TEST(SignatureBase, QueryParametersRfc9421Section2_2_8) {
  const HttpRequest request =
      Request("POST /path?param=value&foo=bar&baz=batman&qux= HTTP/1.1\nHost: www.example.com\n\n");
  EXPECT_EQ(LineOrError(request, WithString("@query-param", "name", "baz")),
            "\"@query-param\";name=\"baz\": batman");
  EXPECT_EQ(LineOrError(request, WithString("@query-param", "name", "qux")),
            "\"@query-param\";name=\"qux\": ");
  EXPECT_EQ(LineOrError(request, WithString("@query-param", "name", "param")),
            "\"@query-param\";name=\"param\": value");

  // Decoded, then re-encoded: '+' and %20 both become %20; the name is matched encoded.
  const HttpRequest encoded = Request(
      "GET /path?var=this%20is%20a%20big%0Amultiline%20value&bar=with+plus+whitespace"
      "&fa%C3%A7ade%22%3A%20=something HTTP/1.1\nHost: www.example.com\n\n");
  EXPECT_EQ(LineOrError(encoded, WithString("@query-param", "name", "var")),
            "\"@query-param\";name=\"var\": this%20is%20a%20big%0Amultiline%20value");
  EXPECT_EQ(LineOrError(encoded, WithString("@query-param", "name", "bar")),
            "\"@query-param\";name=\"bar\": with%20plus%20whitespace");
  EXPECT_EQ(LineOrError(encoded, WithString("@query-param", "name", "fa%C3%A7ade%22%3A%20")),
            "\"@query-param\";name=\"fa%C3%A7ade%22%3A%20\": something");
  // A needlessly encoded value is re-encoded canonically: ~ and ! are encoded, %2D is not.
  const HttpRequest canonical = Request("GET /p?a=%7E!b%2D HTTP/1.1\nHost: h\n\n");
  EXPECT_EQ(LineOrError(canonical, WithString("@query-param", "name", "a")),
            "\"@query-param\";name=\"a\": %7E%21b-");

  // Missing, repeated, without a name, or not UTF-8 after decoding.
  EXPECT_EQ(LineOrError(request, WithString("@query-param", "name", "nope")),
            "error: http_sig_component_missing");
  const HttpRequest repeated = Request("GET /p?a=1&a=2 HTTP/1.1\nHost: h\n\n");
  EXPECT_EQ(LineOrError(repeated, WithString("@query-param", "name", "a")),
            "error: http_sig_component_invalid");
  EXPECT_EQ(LineOrError(request, Component("@query-param")), "error: http_sig_component_invalid");
  const HttpRequest not_utf8 = Request("GET /p?a=%FF HTTP/1.1\nHost: h\n\n");
  EXPECT_EQ(LineOrError(not_utf8, WithString("@query-param", "name", "a")),
            "error: http_sig_component_invalid");
}

TEST(SignatureBase, DerivedValuesMustBeValidAndPrintable) {
  // Requests built without the parser are checked when their components are derived.
  HttpRequest request = Request("GET / HTTP/1.1\nHost: h\n\n");
  request.method = "GE\x01T";
  EXPECT_EQ(LineOrError(request, Component("@method")), "error: http_sig_component_invalid");
  request.method = "GET /x";
  EXPECT_EQ(LineOrError(request, Component("@method")), "error: http_message_malformed");
  request.method = "GET";
  request.target = "/a\nb";
  EXPECT_EQ(LineOrError(request, Component("@path")), "error: http_message_malformed");
  request.target = "/" + std::string(kMaxStartLineBytes, 'a');
  EXPECT_EQ(LineOrError(request, Component("@path")), "error: input_too_large");
  request.target = "/";
  request.authority = "h\x7f";
  EXPECT_EQ(LineOrError(request, Component("@authority")), "error: http_message_malformed");
  HttpResponse response;
  response.status = 42;
  EXPECT_EQ(LineOrError(response, Component("@status")), "error: http_sig_component_invalid");
}

TEST(SignatureBase, TargetUriKeepsTheAuthorityAsReceived) {
  // RFC 9112 §3.3 rebuilds the target URI from the Host value; only @authority normalizes.
  const HttpRequest request = Request("GET /a?b HTTP/1.1\nHost: WWW.Example.COM:443\n\n");
  EXPECT_EQ(LineOrError(request, Component("@target-uri")),
            "\"@target-uri\": https://WWW.Example.COM:443/a?b");
  EXPECT_EQ(LineOrError(request, Component("@authority")), "\"@authority\": www.example.com");
}

TEST(SignatureBase, StatusRfc9421Section2_2_9) {
  HttpResponse response;
  response.status = 200;
  EXPECT_EQ(LineOrError(response, Component("@status")), "\"@status\": 200");
  const HttpRequest request = Request("GET / HTTP/1.1\nHost: h\n\n");
  EXPECT_EQ(LineOrError(request, Component("@status")), "error: http_sig_component_invalid");
  // Request components of a response need `req`.
  EXPECT_EQ(LineOrError(response, Component("@method")), "error: http_sig_component_invalid");
}

// RFC 9421 §2.4: a response signature that covers parts of the request it answers.
TEST(SignatureBase, RequestResponseBindingRfc9421Section2_4) {
  const std::string request_signature =
      "LAH8BjcfcOcLojiuOBFWn0P5keD3xAOuJRGziCLuD8r5MW9S0RoXXLzLSRfGY/3SF8kVIkHjE13SEFdTo4Af/fJ/"
      "Pu9wheqoLVdwXyY/UkBIS1M8Brc8IODsn5DFIrG0IrburbLi0uCc+E2ZIIb6HbUJ+o+jP58JelMTe0QE3IpWINTEzpx"
      "jqDf5/Df+InHCAkQCTuKsamjWXUpyOT1Wkxi7YPVNOjW4MfNuTZ9HdbD2Tr65+BXeTG9ZS/9SWuXAc+"
      "BZ8WyPz0QRz//ec3uWXd7bYYODSjRAxHqX+S1ag3LZElYyUKaAIjZ8MGOt4gXEwCSLDv/zqxZeWLj/PDkn6w==";
  const std::string request_text =
      "POST /foo?param=Value&Pet=dog HTTP/1.1\n"
      "Host: example.com\n"
      "Date: Tue, 20 Apr 2021 02:07:55 GMT\n"
      "Content-Type: application/json\n"
      "Content-Digest: sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNN"
      "yealdVLvRwEmTHWXvJwew==:\n"
      "Content-Length: 18\n"
      "Signature-Input: sig1=(\"@method\" \"@authority\" \"@path\" \"content-digest\" "
      "\"content-length\" \"content-type\");created=1618884475;keyid=\"test-key-rsa-pss\"\n"
      "Signature:  sig1=:" +
      request_signature +
      ":\n"
      "\n"
      "{\"hello\": \"world\"}";
  auto response = ParseHttpResponse(
      "HTTP/1.1 503 Service Unavailable\n"
      "Date: Tue, 20 Apr 2021 02:07:56 GMT\n"
      "Content-Type: application/json\n"
      "Content-Length: 62\n"
      "\n"
      "{\"busy\": true, \"message\": \"Your call is very important to us\"}");
  ASSERT_TRUE(response.ok()) << response.error().message;

  sf::InnerList params;
  params.items = {Component("@status"),
                  Component("content-length"),
                  Component("content-type"),
                  Component("signature", {{"req", true}, {"key", std::string("sig1")}}),
                  Flag("@authority", "req"),
                  Flag("@method", "req")};
  params.params = {{"created", std::int64_t{1618884479}},
                   {"keyid", std::string("test-key-ecc-p256")}};
  // Without the related request, `req` components cannot be resolved.
  EXPECT_EQ(BuildSignatureBase(*response, params).code(), Code::kHttpSigComponentMissing);

  response->request = Request(request_text);
  const std::string expected =
      "\"@status\": 503\n"
      "\"content-length\": 62\n"
      "\"content-type\": application/json\n"
      "\"signature\";req;key=\"sig1\": :" +
      request_signature +
      ":\n"
      "\"@authority\";req: example.com\n"
      "\"@method\";req: POST\n"
      "\"@signature-params\": (\"@status\" \"content-length\" \"content-type\" "
      "\"signature\";req;key=\"sig1\" \"@authority\";req \"@method\";req)"
      ";created=1618884479;keyid=\"test-key-ecc-p256\"";
  auto base = BuildSignatureBase(*response, params);
  ASSERT_TRUE(base.ok()) << base.error().message;
  EXPECT_EQ(*base, expected);

  // `req` on a request is an error (§2.4).
  EXPECT_EQ(LineOrError(*response->request, Flag("@method", "req")),
            "error: http_sig_component_invalid");
}

TEST(SignatureBase, SignatureParamsLineIsLastAndKeepsParameterOrder) {
  const HttpRequest request = Request("GET /foo HTTP/1.1\nHost: example.com\n\n");
  sf::InnerList params;
  params.items = {Component("@method"), Component("@path")};
  params.params = {
      {"keyid", std::string("k")}, {"created", std::int64_t{1}}, {"x-custom", sf::Token{"t"}}};
  auto base = BuildSignatureBase(request, params);
  ASSERT_TRUE(base.ok()) << base.error().message;
  EXPECT_EQ(*base,
            "\"@method\": GET\n\"@path\": /foo\n"
            "\"@signature-params\": (\"@method\" \"@path\");keyid=\"k\";created=1;x-custom=t");
  // No components at all is a base of one line.
  EXPECT_EQ(BuildSignatureBase(request, {}).value(), "\"@signature-params\": ()");
}

TEST(SignatureBase, RefusesBadComponentLists) {
  const HttpRequest request =
      Request("GET /foo HTTP/1.1\nHost: example.com\nDate: x\nExample-Dict: a=1\n\n");
  const auto code = [&](std::vector<sf::Item> items, sf::Parameters params = {}) {
    auto base = BuildSignatureBase(request, {std::move(items), std::move(params)});
    return base.ok() ? std::string("ok") : std::string(CodeName(base.code()));
  };
  EXPECT_EQ(code({Component("@method"), Component("@method")}), "http_sig_component_duplicate");
  // Parameter order does not make two identifiers different (§2).
  EXPECT_EQ(code({Component("example-dict", {{"sf", true}, {"key", std::string("a")}}),
                  Component("example-dict", {{"key", std::string("a")}, {"sf", true}})}),
            "http_sig_component_duplicate");
  // Different parameters do.
  EXPECT_EQ(code({Component("example-dict"), WithString("example-dict", "key", "a")}), "ok");
  EXPECT_EQ(code({Component("x-missing")}), "http_sig_component_missing");
  EXPECT_EQ(code({Component("@unknown")}), "http_sig_component_invalid");
  EXPECT_EQ(code({Component("@signature-params")}), "http_sig_component_invalid");
  EXPECT_EQ(code({Component("Date")}), "http_sig_component_invalid");  // not lowercase
  EXPECT_EQ(code({Component("")}), "http_sig_component_invalid");
  EXPECT_EQ(code({sf::Item{sf::Token{"date"}, {}}}), "http_sig_component_invalid");
  EXPECT_EQ(code({Flag("date", "x-unknown")}), "http_sig_component_invalid");
  EXPECT_EQ(code({WithString("@method", "name", "a")}), "http_sig_component_invalid");
  EXPECT_EQ(code({Flag("@method", "sf")}), "http_sig_component_invalid");
  EXPECT_EQ(code({Component("date", {{"sf", false}})}), "http_sig_component_invalid");
  EXPECT_EQ(code({Component("date", {{"key", std::int64_t{1}}})}), "http_sig_component_invalid");
  EXPECT_EQ(code({Flag("date", "tr")}), "http_sig_component_invalid");
  EXPECT_EQ(code({Component("date", {{"bs", true}, {"bs", true}})}), "http_sig_component_invalid");
  // Sender-chosen names reach error messages bounded and printable.
  auto long_name = BuildSignatureBase(request, {{Component(std::string(1000, 'X') + "\x01")}, {}});
  ASSERT_FALSE(long_name.ok());
  EXPECT_LT(long_name.error().message.size(), 120u);
  auto control = BuildSignatureBase(request, {{Component("@a\x01b")}, {}});
  ASSERT_FALSE(control.ok());
  EXPECT_EQ(control.error().message.find('\x01'), std::string::npos);
  // Signature parameters of the wrong type.
  EXPECT_EQ(code({}, {{"created", std::string("1")}}), "http_sig_input_malformed");
  EXPECT_EQ(code({}, {{"expires", std::int64_t{-1}}}), "http_sig_input_malformed");
  EXPECT_EQ(code({}, {{"keyid", sf::Token{"k"}}}), "http_sig_input_malformed");
  EXPECT_EQ(code({}, {{"alg", true}}), "http_sig_input_malformed");
}

TEST(SignatureBase, BoundsComponentsAndBaseSize) {
  const HttpRequest request = Request("GET / HTTP/1.1\nHost: h\n\n");
  std::vector<sf::Item> many;
  for (std::size_t i = 0; i <= kMaxCoveredComponents; ++i) {
    many.push_back(WithString("@query-param", "name", "p" + std::to_string(i)));
  }
  EXPECT_EQ(BuildSignatureBase(request, {many, {}}).code(), Code::kInputTooLarge);

  // One large Dictionary field (within the header bound) covered under four distinct
  // identifiers: plain, byte-sequence wrapped, strictly re-serialized and by member.
  HttpRequest big = request;
  ASSERT_TRUE(big.fields.Add("x-big", "a=\"" + std::string(63000, 'a') + "\"").ok());
  StructuredFieldTypes types = StructuredFieldTypes::Standard();
  types.Declare("x-big", StructuredFieldType::kDictionary);
  const std::vector<sf::Item> four = {Component("x-big"), Flag("x-big", "bs"), Flag("x-big", "sf"),
                                      WithString("x-big", "key", "a")};
  EXPECT_EQ(BuildSignatureBase(big, {four, {}}, types).code(), Code::kInputTooLarge);
  EXPECT_TRUE(BuildSignatureBase(big, {{four[0], four[2], four[3]}, {}}, types).ok());
}

}  // namespace
}  // namespace ztm::httpsig
