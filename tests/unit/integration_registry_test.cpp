// The integration catalogue's checks of config and credentials, and the email format.
#include <gtest/gtest.h>
#include <sodium.h>

#include <boost/json.hpp>

#include "integrations/catalog.hpp"
#include "integrations/inbound.hpp"
#include "integrations/mail.hpp"

#include <map>
#include <memory>

namespace de::integrations {
namespace {

namespace json = boost::json;

std::vector<std::string> fields_of(const std::vector<core::FieldError>& errors) {
  std::vector<std::string> out;
  for (const auto& e : errors) out.push_back(e.field);
  return out;
}

TEST(IntegrationCatalog, ConfigGetsItsDefaultsAndEachProblemNamesItsField) {
  const auto* slack = find_type("slack");
  ASSERT_NE(slack, nullptr);
  std::vector<core::FieldError> errors;
  auto config = read_config(*slack, nullptr, {}, errors);
  EXPECT_TRUE(errors.empty());
  EXPECT_EQ(config, (json::object{{"base_url", "https://slack.com/api"}}));

  const auto* email = find_type("email");
  auto given = json::parse(R"({"smtp_url":"http://mail","from":"nobody","starttls":"sometimes","colour":"red"})").as_object();
  read_config(*email, &given, {}, errors);
  EXPECT_EQ(fields_of(errors),
            (std::vector<std::string>{"config.smtp_url", "config.starttls", "config.colour", "config.from"}));
  EXPECT_EQ(find_type("fax"), nullptr);
}

TEST(IntegrationCatalog, ConfigGivenIsMergedOverTheStoredOne) {
  const auto* jira = find_type("jira");
  std::vector<core::FieldError> errors;
  json::object stored{{"base_url", "https://acme.atlassian.net"}, {"project_key", "DE"}};
  auto given = json::parse(R"({"project_key":"OPS"})").as_object();
  auto config = read_config(*jira, &given, stored, errors);
  EXPECT_TRUE(errors.empty());
  EXPECT_EQ(config, (json::object{{"base_url", "https://acme.atlassian.net"}, {"project_key", "OPS"}}));
  read_config(*jira, nullptr, {}, errors);
  EXPECT_EQ(fields_of(errors), (std::vector<std::string>{"config.base_url"}));
}

TEST(IntegrationCatalog, CredentialsGivenReplaceTheirKeysAndNullRemovesOne) {
  const auto* slack = find_type("slack");
  std::vector<core::FieldError> errors;
  Credentials stored{{"bot_token", "old"}, {"signing_secret", "sign"}};
  auto given = json::parse(R"({"bot_token":"new","signing_secret":null})").as_object();
  auto merged = read_credentials(*slack, &given, stored, errors);
  EXPECT_TRUE(errors.empty());
  EXPECT_EQ(merged, (Credentials{{"bot_token", "new"}}));

  auto bad = json::parse(R"({"bot_token":null,"pin":"1"})").as_object();
  read_credentials(*slack, &bad, stored, errors);
  EXPECT_EQ(fields_of(errors), (std::vector<std::string>{"credentials.pin", "credentials.bot_token"}));
}

TEST(IntegrationCatalog, AnEmailUserNameGoesWithAPassword) {
  const auto* email = find_type("email");
  std::vector<core::FieldError> errors;
  EXPECT_TRUE(read_credentials(*email, nullptr, {}, errors).empty());
  EXPECT_TRUE(errors.empty());  // a relay without AUTH
  auto half = json::parse(R"({"username":"mailer"})").as_object();
  read_credentials(*email, &half, {}, errors);
  EXPECT_EQ(fields_of(errors), (std::vector<std::string>{"credentials.password"}));
}

TEST(IntegrationCatalog, CredentialsSurviveTheirStoredText) {
  Credentials credentials{{"client_id", "id \"1\""}, {"client_secret", "s3cr3t\n"}};
  EXPECT_EQ(parse_credentials(credentials_text(credentials)), credentials);
}

std::string header(const std::string& message, const std::string& name) {
  auto start = message.find("\r\n" + name + ": ");
  if (start == std::string::npos) return {};
  start += name.size() + 4;
  return message.substr(start, message.find("\r\n", start) - start);
}

TEST(IntegrationMail, AMessageIsRfc5322WithCrlfLines) {
  Mail mail{"Sales <sales@example.com>", {"ada@example.com"}, {"grace@example.com"}, "Weekly report", "Line one\nLine two"};
  auto message = format_mail(mail, "<1@example.com>", 1780000000000);  // 2026-05-28 20:26:40 UTC
  EXPECT_TRUE(message.starts_with("Date: Thu, 28 May 2026 20:26:40 +0000\r\n")) << message;
  EXPECT_EQ(header(message, "From"), "Sales <sales@example.com>");
  EXPECT_EQ(header(message, "To"), "ada@example.com");
  EXPECT_EQ(header(message, "Cc"), "grace@example.com");
  EXPECT_EQ(header(message, "Subject"), "Weekly report");
  EXPECT_EQ(header(message, "Message-ID"), "<1@example.com>");
  EXPECT_EQ(header(message, "Content-Transfer-Encoding"), "7bit");
  EXPECT_TRUE(message.ends_with("\r\n\r\nLine one\r\nLine two\r\n")) << message;
  EXPECT_EQ(mail_address(mail.from), "sales@example.com");
  EXPECT_EQ(mail_address("ada@example.com"), "ada@example.com");
}

TEST(IntegrationMail, TextThatIsNotAsciiIsEncoded) {
  Mail mail{"sales@example.com", {"ada@example.com"}, {}, "Bericht für Q3", "Grüße"};
  auto message = format_mail(mail, "<2@example.com>", 0);
  // RFC 2047: =?UTF-8?B?<base64 of the UTF-8 bytes>?=
  EXPECT_EQ(header(message, "Subject"), "=?UTF-8?B?QmVyaWNodCBmw7xyIFEz?=");
  EXPECT_EQ(header(message, "Content-Transfer-Encoding"), "base64");
  auto body = message.substr(message.find("\r\n\r\n") + 4);
  while (body.ends_with('\n') || body.ends_with('\r')) body.pop_back();
  std::string decoded(body.size(), '\0');
  std::size_t length = 0;
  ASSERT_EQ(sodium_base642bin(reinterpret_cast<unsigned char*>(decoded.data()), decoded.size(), body.c_str(), body.size(),
                              "\r\n", &length, nullptr, sodium_base64_VARIANT_ORIGINAL),
            0);
  decoded.resize(length);
  EXPECT_EQ(decoded, "Grüße\r\n");
}

}  // namespace
}  // namespace de::integrations

namespace de::integrations {
namespace {

constexpr std::string_view slack_body =
    "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&"
    "user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%"
    "2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121."
    "803a0bc887a14d10d2c447fce8b6703c";
constexpr std::string_view hubspot_body =
    R"([{"eventId":1,"subscriptionId":12345,"portalId":62515,"occurredAt":1564113600000,"subscriptionType":"contact.creation","attemptNumber":0,"objectId":123,"changeSource":"CRM","changeFlag":"NEW","appId":54321}])";

// The vectors of ../shared/contracts/slack/request-signing.md and hubspot/webhook-signature-v3.md.
TEST(InboundWebhooks, SignaturesMatchTheVendorsVectors) {
  EXPECT_EQ(slack_signature("8f742231b10e8888abcd99yyyzzz85a5", "1531420618", slack_body),
            "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503");
  EXPECT_EQ(hubspot_v3_signature("yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy", "POST", "https://www.example.com/webhook_uri",
                                 hubspot_body, "1564113600000"),
            "DxmVAjFNa2xfF3YgQjdZP6TNcok9k1oaH7UXombPtvw=");
}

InboundRequest request_with(std::string_view body, std::map<std::string, std::string, std::less<>> headers) {
  auto shared = std::make_shared<std::map<std::string, std::string, std::less<>>>(std::move(headers));
  return {"POST", "https://www.example.com/webhook_uri", body, [shared](std::string_view name) -> std::string_view {
            auto it = shared->find(name);
            return it == shared->end() ? std::string_view() : std::string_view(it->second);
          }};
}

TEST(InboundWebhooks, AreCheckedWithinFiveMinutesAndAgainstTheirBody) {
  Credentials slack{{"bot_token", "t"}, {"signing_secret", "8f742231b10e8888abcd99yyyzzz85a5"}};
  auto signed_request = request_with(slack_body, {{"x-slack-request-timestamp", "1531420618"},
                                                  {"x-slack-signature", "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"}});
  auto verdict = verify_inbound("slack", slack, signed_request, 1531420618000 + 299000);
  EXPECT_TRUE(verdict.ok) << verdict.problem;
  EXPECT_EQ(verdict.dedup_key, "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503");
  EXPECT_EQ(verify_inbound("slack", slack, signed_request, 1531420618000 + 301000).problem,
            "the request's timestamp is more than 5 minutes from now");
  auto tampered = signed_request;
  tampered.body = "token=other";
  EXPECT_EQ(verify_inbound("slack", slack, tampered, 1531420618000).problem, "the signature does not match");
  EXPECT_EQ(verify_inbound("slack", {{"bot_token", "t"}}, signed_request, 1531420618000).problem,
            "this integration has no secret to check webhooks with");

  Credentials hubspot{{"access_token", "t"}, {"client_secret", "yyyyyyyy-yyyy-yyyy-yyyy-yyyyyyyyyyyy"}};
  auto from_hubspot = request_with(hubspot_body, {{"x-hubspot-request-timestamp", "1564113600000"},
                                                  {"x-hubspot-signature-v3", "DxmVAjFNa2xfF3YgQjdZP6TNcok9k1oaH7UXombPtvw="}});
  EXPECT_TRUE(verify_inbound("hubspot", hubspot, from_hubspot, 1564113600000).ok);

  Credentials jira{{"email", "a@b.c"}, {"api_token", "t"}, {"webhook_secret", "whk"}};
  auto generic = request_with("{}", {{"x-webhook-timestamp", "1700000000"},
                                     {"x-webhook-signature", generic_signature("whk", "1700000000", "{}")}});
  EXPECT_TRUE(verify_inbound("jira", jira, generic, 1700000000000).ok);
  EXPECT_EQ(generic_signature("whk", "1700000000", "{}").substr(0, 7), "sha256=");
}

}  // namespace
}  // namespace de::integrations
