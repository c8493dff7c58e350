#include "integrations/connectors.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json.hpp>
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include <algorithm>
#include <functional>
#include <optional>

#include "ai/chat.hpp"
#include "ai/http_client.hpp"
#include "auth/crypto.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/ids.hpp"
#include "integrations/crm/client.hpp"
#include "integrations/mail.hpp"

namespace de::integrations {

namespace asio = boost::asio;
namespace json = boost::json;
using std::chrono::milliseconds;

namespace {
constexpr int max_attempts = 3;
constexpr milliseconds first_backoff{500}, longest_wait{30000};

std::string encode(std::string_view text) { return boost::urls::encode(text, boost::urls::unreserved_chars); }

std::string setting(const json::object& config, std::string_view key) {
  const auto* value = config.if_contains(key);
  return value && value->is_string() ? std::string(value->get_string()) : std::string();
}

// A base URL without its trailing slashes, so that paths can be appended.
std::string base_url(const json::object& config, std::string_view key) {
  auto url = setting(config, key);
  while (url.ends_with('/')) url.pop_back();
  return url;
}

// Where Salesforce's OAuth endpoints are: the login URL, else the instance's.
std::string salesforce_login(const json::object& config) {
  auto login = base_url(config, "login_url");
  return login.empty() ? base_url(config, "instance_url") : login;
}

std::string secret(const Account& account, const std::string& name) {
  auto it = account.credentials.find(name);
  return it == account.credentials.end() ? std::string() : it->second;
}

struct Call {
  std::string method, url;
  ai::HttpHeaders headers;
  std::string body;
};

Call json_call(std::string method, std::string url, ai::HttpHeaders auth, const json::value& body) {
  auth.emplace_back("content-type", "application/json; charset=utf-8");
  auth.emplace_back("accept", "application/json");
  return {std::move(method), std::move(url), std::move(auth), core::to_text(body)};
}

Call get_call(std::string url, ai::HttpHeaders auth) {
  auth.emplace_back("accept", "application/json");
  return {"GET", std::move(url), std::move(auth), ""};
}

ai::HttpHeaders bearer(const std::string& token) { return {{"authorization", "Bearer " + token}}; }

// Atlassian Cloud: an account's email address and an API token, as HTTP Basic.
ai::HttpHeaders atlassian_auth(const Account& account) {
  return {{"authorization", "Basic " + auth::base64(secret(account, "email") + ":" + secret(account, "api_token"))}};
}

std::optional<milliseconds> retry_after(std::string_view header) {
  if (header.empty() || !std::all_of(header.begin(), header.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
      header.size() > 6)
    return std::nullopt;
  return std::min(milliseconds(std::stoll(std::string(header)) * 1000), longest_wait);
}

json::value parse_answer(const std::string& body) {
  boost::system::error_code ec;
  auto value = json::parse(body, ec);
  return ec ? json::value(nullptr) : value;
}

// What the vendor said went wrong, from the error shapes of the six vendors' contracts.
std::string vendor_message(int status, const json::value& body, const std::string& text) {
  auto string_at = [](const json::value& v, std::string_view key) -> std::string {
    const auto* o = v.if_object();
    const auto* field = o ? o->if_contains(key) : nullptr;
    return field && field->is_string() ? std::string(field->get_string()) : std::string();
  };
  std::string message;
  for (auto key : {"error_description", "message", "error"})
    if (message.empty()) message = string_at(body, key);
  if (const auto* o = body.if_object()) {
    for (auto key : {"errorMessages", "errors"}) {
      const auto* list = o->if_contains(key);
      if (message.empty() && list && list->is_array() && !list->get_array().empty()) {
        const auto& first = list->get_array()[0];
        message = first.is_string() ? std::string(first.get_string()) : string_at(first, "title");
        if (message.empty()) message = string_at(first, "message");
      }
    }
  }
  if (message.empty() && body.is_array() && !body.get_array().empty()) message = string_at(body.get_array()[0], "message");
  if (message.empty() && body.is_null()) message = text.substr(0, 200);
  auto prefix = status ? "HTTP " + std::to_string(status) : std::string();
  if (message.empty()) return prefix;
  return prefix.empty() ? message : prefix + ": " + message;
}

// The vendor's answer to one call, or why there was none that worked.
struct Reply {
  int status = 0;
  json::value body;
  std::string failure;  // empty when the call succeeded
  bool ok() const { return failure.empty(); }
};

// Sends `call`, again after a 429, a 5xx or a lost connection (up to three attempts, the waits
// doubling from 500 ms, or as long as Retry-After asks, at most 30 s).
asio::awaitable<Reply> exchange(Call call, milliseconds timeout) {
  auto executor = co_await asio::this_coro::executor;
  Reply reply;
  for (int attempt = 1;; ++attempt) {
    auto wait = first_backoff * (1 << (attempt - 1));
    bool again = false;
    reply = Reply();  // this attempt's answer only
    try {
      auto answer = co_await ai::request(executor, call.method, call.url, call.headers, call.body, timeout);
      again = (answer.status == 429 || answer.status >= 500) && attempt < max_attempts;
      if (auto asked = retry_after(answer.header("retry-after"))) wait = std::max(wait, *asked);
      reply.status = answer.status;
      reply.body = parse_answer(answer.body);
      bool slack_refused = reply.body.is_object() && reply.body.get_object().contains("ok") &&
                           reply.body.get_object().at("ok") == false;
      if (answer.status < 200 || answer.status > 299 || slack_refused) {
        reply.failure = vendor_message(slack_refused ? 0 : answer.status, reply.body, answer.body);
        if (reply.failure.empty()) reply.failure = "the vendor refused it";
      }
    } catch (const ai::ProviderError& e) {
      reply.failure = "cannot connect to " + ai::url_host(call.url) + ": " + e.what();
      again = e.retryable && attempt < max_attempts;
    }
    if (!again) co_return reply;
    asio::steady_timer timer(executor, wait);
    co_await timer.async_wait(asio::use_awaitable);
  }
}

Check check(std::string name, const Reply& reply, std::string success) {
  return {std::move(name), reply.ok(), reply.ok() ? std::move(success) : reply.failure};
}

std::size_t count_of(const json::value& body, std::string_view key) {
  const auto* o = body.if_object();
  const auto* list = o ? o->if_contains(key) : nullptr;
  return list && list->is_array() ? list->get_array().size() : 0;
}

std::string text_at(const json::value& body, std::string_view key) {
  const auto* o = body.if_object();
  const auto* field = o ? o->if_contains(key) : nullptr;
  if (!field) return {};
  return field->is_string() ? std::string(field->get_string()) : core::to_text(*field);
}

SmtpSettings smtp_settings(const Account& account) {
  SmtpSettings s;
  s.url = setting(account.config, "smtp_url");
  s.require_tls = setting(account.config, "starttls") != "optional";
  if (account.credentials.contains("username")) {
    s.username = secret(account, "username");
    s.password = secret(account, "password");
  }
  return s;
}

// Runs `fn` on `pool` and comes back to the caller's executor.
template <class F>
asio::awaitable<std::invoke_result_t<F>> on_pool(asio::thread_pool& pool, F fn) {
  auto executor = co_await asio::this_coro::executor;
  co_await asio::post(pool, asio::use_awaitable);
  auto result = fn();
  co_await asio::post(executor, asio::use_awaitable);
  co_return result;
}

[[noreturn]] void refused(const Account& account, const Reply& reply) {
  throw core::Error(core::ErrorKind::bad_gateway, account.type + " (" + account.name + "): " + reply.failure);
}

// An Atlassian Document Format document of plain-text paragraphs (Jira v3 takes no plain text).
json::object adf(std::string_view text) {
  json::array paragraphs;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find('\n', start);
    auto line = text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    json::array content;
    if (!line.empty()) content.push_back(json::object{{"type", "text"}, {"text", line}});
    paragraphs.push_back(json::object{{"type", "paragraph"}, {"content", std::move(content)}});
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return {{"type", "doc"}, {"version", 1}, {"content", std::move(paragraphs)}};
}

// A value from the input, else from the config; 422 naming the input field when neither has it.
std::string input_or_config(core::ObjectReader& reader, const Account& account, std::string_view key,
                            std::string_view config_key) {
  auto value = reader.string(key, false, 200);
  if (value) return *value;
  auto fallback = setting(account.config, config_key);
  if (fallback.empty())
    reader.error(key, "is required, since the integration's config." + std::string(config_key) + " is not set");
  return fallback;
}

bool plain_address(std::string_view address) {
  auto at = address.find('@');
  return at != std::string_view::npos && at > 0 && at + 1 < address.size() && address.size() <= 320 &&
         address.find_first_of(" \t\r\n<>,;\"") == std::string_view::npos;
}

std::vector<std::string> read_addresses(core::ObjectReader& reader, std::string_view key, bool required) {
  std::vector<std::string> out;
  const auto* value = reader.any(key, required);
  if (!value) return out;
  if (value->is_string()) out.emplace_back(value->get_string());
  else if (value->is_array())
    for (const auto& item : value->get_array()) out.push_back(item.is_string() ? std::string(item.get_string()) : "");
  if ((value->is_array() && (out.empty() || out.size() > 50)) || (!value->is_string() && !value->is_array()) ||
      !std::all_of(out.begin(), out.end(), plain_address))
    reader.error(key, "must be an email address or a list of 1 to 50 of them");
  return out;
}

// GCC 12 miscompiles braced initialisers and aggregates inside coroutines: every request and
// result is built by the plain functions below; the coroutines only make the calls.

// One call of a credential check, and what its success says about the answer.
struct Probe {
  std::string name;
  Call call;
  std::function<std::string(const json::value&)> success;
};

// The check's calls in order: the `step`th (from 0) after `previous` succeeded, none when done.
std::optional<Probe> probe(const Account& account, std::size_t step, const Reply* previous) {
  const auto& config = account.config;
  if (account.type == "slack" && step == 0)
    return Probe{"auth.test", get_call(base_url(config, "base_url") + "/auth.test", bearer(secret(account, "bot_token"))),
                 [](const json::value& body) {
                   return "the token belongs to " + text_at(body, "user") + " on " + text_at(body, "team");
                 }};
  if (account.type == "hubspot" && step == 0)
    return Probe{"read contacts",
                 get_call(base_url(config, "base_url") + "/crm/v3/objects/contacts?limit=1&archived=false",
                          bearer(secret(account, "access_token"))),
                 [](const json::value& body) {
                   return "read " + std::to_string(count_of(body, "results")) + " contact(s) of the first page";
                 }};
  if (account.type == "salesforce" && step == 0) {
    auto login = salesforce_login(config);
    auto refresh = secret(account, "refresh_token");
    Call call{"POST", login + "/services/oauth2/token",
              {{"content-type", "application/x-www-form-urlencoded"}, {"accept", "application/json"}},
              crm::salesforce_token_form(secret(account, "client_id"), secret(account, "client_secret"), refresh)};
    return Probe{"oauth token", std::move(call), [consented = !refresh.empty()](const json::value&) -> std::string {
                   return consented ? "a token was issued for the refresh token a person's consent gave"
                                    : "a client-credentials token was issued";
                 }};
  }
  if (account.type == "salesforce" && step == 1 && previous) {
    // The configured instance (the org's My Domain) is read, not the one the token answer names:
    // the integration's settings are checked as they will be used.
    auto query = base_url(config, "instance_url") + "/services/data/v" + setting(config, "api_version") +
                 "/query?q=" + encode("SELECT Id FROM Account LIMIT 1");
    return Probe{"query", get_call(query, bearer(text_at(previous->body, "access_token"))), [](const json::value& body) {
                   return "a SOQL query answered (" + text_at(body, "totalSize") + " record(s))";
                 }};
  }
  if (account.type == "jira" && step == 0) {
    auto project = setting(config, "project_key");
    auto jql = project.empty() ? std::string("created >= -30d order by created DESC") : "project = \"" + project + "\"";
    return Probe{"search issues",
                 get_call(base_url(config, "base_url") + "/rest/api/3/search/jql?maxResults=1&fields=summary&jql=" + encode(jql),
                          atlassian_auth(account)),
                 [](const json::value& body) {
                   return "a JQL search answered (" + std::to_string(count_of(body, "issues")) + " issue(s))";
                 }};
  }
  if (account.type == "confluence" && step == 0) {
    auto space = setting(config, "space_id");
    return Probe{"read pages",
                 get_call(base_url(config, "base_url") + "/pages?limit=1" + (space.empty() ? "" : "&space-id=" + encode(space)),
                          atlassian_auth(account)),
                 [](const json::value& body) {
                   return "read " + std::to_string(count_of(body, "results")) + " page(s) of the first page";
                 }};
  }
  return std::nullopt;
}

// The SMTP check's stages up to the one that failed.
std::vector<Check> smtp_checks(const SmtpSettings& settings, const SmtpOutcome& outcome) {
  std::vector<std::string> stages{"connect"};
  if (settings.require_tls && settings.url.starts_with("smtp://")) stages.emplace_back("starttls");
  if (settings.username) stages.emplace_back("auth");
  stages.emplace_back("noop");
  std::vector<Check> checks;
  for (const auto& stage : stages) {
    if (stage == outcome.failed_stage || (stage == "noop" && !outcome.ok())) {
      checks.push_back({stage, false, outcome.detail});
      break;
    }
    checks.push_back({stage, true, stage == "connect" ? "the server greeted us and answered EHLO" : "passed"});
  }
  return checks;
}

void check_action(const Account& account, const std::string& action) {
  const auto* type = find_type(account.type);
  if (type && std::find(type->actions.begin(), type->actions.end(), action) != type->actions.end()) return;
  std::string offered;
  if (type)
    for (auto a : type->actions) offered += (offered.empty() ? "" : ", ") + std::string(a);
  throw core::Error(core::ErrorKind::validation,
                    "a " + account.type + " integration has no action '" + action + "'" +
                        (offered.empty() ? std::string(" (it offers none yet)") : " (it offers " + offered + ")"),
                    {{"action", "is not an action of a " + account.type + " integration"}});
}

// An HTTP action: its one call, and the vendor's answer normalised.
struct HttpAction {
  Call call;
  std::function<json::object(const json::value&)> result;
};

HttpAction http_action(const Account& account, const std::string& action, const json::object& input) {
  const auto& config = account.config;
  core::ObjectReader reader(input, "input");
  if (action == "post_message") {
    auto channel = input_or_config(reader, account, "channel", "default_channel");
    auto text = reader.string("text", true, 40000);
    auto thread = reader.string("thread_ts", false, 100);
    reader.finish();
    json::object body{{"channel", channel}, {"text", *text}};
    if (thread) body["thread_ts"] = *thread;
    return {json_call("POST", base_url(config, "base_url") + "/chat.postMessage", bearer(secret(account, "bot_token")), body),
            [](const json::value& answer) {
              return json::object{{"ts", text_at(answer, "ts")}, {"channel", text_at(answer, "channel")}};
            }};
  }
  auto base = base_url(config, "base_url");
  if (action == "create_issue") {
    auto project = input_or_config(reader, account, "project_key", "project_key");
    auto summary = reader.string("summary", true, 255);
    auto description = reader.string("description", false, 32000);
    auto issue_type = reader.string("issue_type", false, 100).value_or("Task");
    reader.finish();
    json::object fields{{"project", {{"key", project}}}, {"summary", *summary}, {"issuetype", {{"name", issue_type}}}};
    if (description) fields["description"] = adf(*description);
    return {json_call("POST", base + "/rest/api/3/issue", atlassian_auth(account), json::object{{"fields", fields}}),
            [base](const json::value& answer) {
              auto key = text_at(answer, "key");
              return json::object{{"id", text_at(answer, "id")}, {"key", key}, {"url", base + "/browse/" + key}};
            }};
  }
  if (action == "add_comment") {
    auto issue = reader.string("issue", true, 100);
    auto text = reader.string("text", true, 32000);
    reader.finish();
    return {json_call("POST", base + "/rest/api/3/issue/" + encode(*issue) + "/comment", atlassian_auth(account),
                      json::object{{"body", adf(*text)}}),
            [base, issue = *issue](const json::value& answer) {
              auto id = text_at(answer, "id");
              return json::object{{"id", id}, {"issue", issue}, {"url", base + "/browse/" + issue + "?focusedCommentId=" + id}};
            }};
  }
  // create_page
  auto space = input_or_config(reader, account, "space_id", "space_id");
  auto title = reader.string("title", true, 255);
  auto body_text = reader.string("body", true, 1000000);
  auto parent = reader.string("parent_id", false, 100);
  reader.finish();
  json::object page{{"spaceId", space},
                    {"status", "current"},
                    {"title", *title},
                    {"body", {{"representation", "storage"}, {"value", *body_text}}}};
  if (parent) page["parentId"] = *parent;
  return {json_call("POST", base + "/pages", atlassian_auth(account), page), [](const json::value& answer) {
            std::string url;
            if (const auto* o = answer.if_object())
              if (const auto* links = o->if_contains("_links"); links && links->is_object())
                url = text_at(*links, "base") + text_at(*links, "webui");
            return json::object{{"id", text_at(answer, "id")}, {"title", text_at(answer, "title")}, {"url", url}};
          }};
}

// An email to send: the message as it goes out.
struct MailJob {
  SmtpSettings settings;
  Mail mail;
  std::string message_id, message;
};

MailJob mail_job(const Account& account, const json::object& input, milliseconds timeout) {
  core::ObjectReader reader(input, "input");
  MailJob job;
  job.mail.from = setting(account.config, "from");
  job.mail.to = read_addresses(reader, "to", true);
  job.mail.cc = read_addresses(reader, "cc", false);
  auto subject = reader.string("subject", true, 998);
  if (subject && subject->find_first_of("\r\n") != std::string::npos) reader.error("subject", "must be one line");
  auto text = reader.string("text", true, 1000000);
  reader.finish();
  job.mail.subject = *subject;
  job.mail.text = *text;
  auto from = mail_address(job.mail.from);
  job.message_id = "<" + core::new_id() + "@" + from.substr(from.find('@') + 1) + ">";
  job.message = format_mail(job.mail, job.message_id, core::now_ms());
  job.settings = smtp_settings(account);
  job.settings.timeout = timeout;
  return job;
}

json::object mail_result(const Account& account, const MailJob& job, const SmtpOutcome& outcome) {
  if (!outcome.ok())
    throw core::Error(core::ErrorKind::bad_gateway, "email (" + account.name + "): " + outcome.failed_stage + ": " + outcome.detail);
  json::array accepted;
  for (const auto* list : {&job.mail.to, &job.mail.cc})
    for (const auto& address : *list) accepted.emplace_back(address);
  return {{"message_id", job.message_id}, {"accepted", std::move(accepted)}};
}
}  // namespace

json::object TestReport::to_json() const {
  json::array list;
  for (const auto& c : checks) list.push_back(json::object{{"name", c.name}, {"passed", c.passed}, {"detail", c.detail}});
  return {{"ok", ok}, {"checks", std::move(list)}, {"latency_ms", latency_ms}};
}

json::object TestReport::summary(std::int64_t at) const {
  std::string detail = "every check passed";
  for (const auto& c : checks)
    if (!c.passed) {
      detail = c.name + ": " + c.detail;
      break;
    }
  return {{"ok", ok}, {"detail", std::move(detail)}, {"at", core::format_timestamp(at)}};
}

Account account_of(const store::integrations::Integration& integration, std::string_view master_key) {
  Account a{integration.id, integration.name, integration.type, integration.config, {}};
  if (integration.credentials_sealed) {
    auto text = auth::unseal(master_key, *integration.credentials_sealed);
    if (!text)
      throw core::Error(core::ErrorKind::validation,
                        "the credentials of integration " + integration.name +
                            " cannot be read with this master key: set them again");
    a.credentials = parse_credentials(*text);
  }
  return a;
}

store::integrations::Integration find_usable(store::Connection& c, const std::string& reference) {
  std::optional<store::integrations::Integration> found;
  if (core::is_uuid(reference)) found = store::integrations::find(c, reference);
  if (!found) {
    auto named = store::integrations::named(c, reference);
    if (named.size() > 1)
      throw core::Error(core::ErrorKind::validation, "more than one integration is named '" + reference + "': give its id");
    if (!named.empty()) found = std::move(named[0]);
  }
  if (!found) throw core::not_found("integration", reference);
  if (!found->is_active)
    throw core::Error(core::ErrorKind::validation, "integration " + found->name + " is switched off (is_active false)");
  return std::move(*found);
}

Account usable_account(store::Connection& c, std::string_view master_key, const std::string& reference,
                       std::string_view type, const std::string& field) {
  auto integration = find_usable(c, reference);
  if (integration.type != type)
    throw core::validation_error(field, "is a " + integration.type + " integration, not " + std::string(type));
  return account_of(integration, master_key);
}

Connectors& running(Connectors* clients) {
  if (!clients) throw core::Error(core::ErrorKind::unavailable, "the vendor clients are not running here");
  return *clients;
}

Connectors::Connectors(milliseconds timeout) : timeout_(timeout) {}

Connectors::~Connectors() {
  mail_pool_.stop();
  mail_pool_.join();
}

std::string consent_url(const Account& account, const std::string& redirect_uri, const std::string& state,
                        const std::string& challenge) {
  return salesforce_login(account.config) + "/services/oauth2/authorize?response_type=code&client_id=" +
         encode(secret(account, "client_id")) + "&redirect_uri=" + encode(redirect_uri) + "&state=" + encode(state) +
         "&code_challenge=" + encode(challenge) + "&code_challenge_method=S256";
}

asio::awaitable<Consent> Connectors::redeem_consent(const Account& account, const std::string& code,
                                                   const std::string& redirect_uri, const std::string& verifier) {
  Call call{"POST", salesforce_login(account.config) + "/services/oauth2/token",
            {{"content-type", "application/x-www-form-urlencoded"}, {"accept", "application/json"}},
            "grant_type=authorization_code&code=" + encode(code) + "&client_id=" + encode(secret(account, "client_id")) +
                "&client_secret=" + encode(secret(account, "client_secret")) + "&redirect_uri=" + encode(redirect_uri) +
                "&code_verifier=" + encode(verifier)};
  auto reply = co_await exchange(std::move(call), timeout_);
  if (!reply.ok()) refused(account, reply);
  Consent consent{text_at(reply.body, "refresh_token"), text_at(reply.body, "instance_url")};
  if (consent.refresh_token.empty())
    throw core::Error(core::ErrorKind::bad_gateway, "Salesforce gave no refresh token: give the connected app the "
                                                    "refresh_token (offline_access) scope");
  co_return consent;
}

asio::awaitable<TestReport> Connectors::test(const Account& account) {
  auto started = std::chrono::steady_clock::now();
  TestReport report;
  if (account.type == "email") {
    auto settings = smtp_settings(account);
    settings.timeout = timeout_;
    // Named first: GCC 12 mishandles a non-trivial temporary inside a co_await expression.
    auto check_mail = [settings] { return smtp_check(settings); };
    auto outcome = co_await on_pool(mail_pool_, std::move(check_mail));
    report.checks = smtp_checks(settings, outcome);
  } else {
    std::optional<Reply> previous;
    for (std::size_t step = 0;; ++step) {
      auto next = probe(account, step, previous ? &*previous : nullptr);
      if (!next) break;
      auto reply = co_await exchange(next->call, timeout_);
      report.checks.push_back(check(next->name, reply, reply.ok() ? next->success(reply.body) : std::string()));
      if (!reply.ok()) break;
      previous = std::move(reply);
    }
  }
  const auto& checks = report.checks;
  report.ok = !checks.empty() && std::all_of(checks.begin(), checks.end(), [](const Check& c) { return c.passed; });
  report.latency_ms = std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - started).count();
  co_return report;
}

asio::awaitable<json::object> Connectors::act(const Account& account, const std::string& action, const json::object& input) {
  check_action(account, action);
  if (action == "send_email") {
    auto job = mail_job(account, input, timeout_);
    auto send_mail = [job] { return smtp_send(job.settings, job.mail, job.message); };
    auto outcome = co_await on_pool(mail_pool_, std::move(send_mail));
    co_return mail_result(account, job, outcome);
  }
  auto prepared = http_action(account, action, input);
  auto reply = co_await exchange(prepared.call, timeout_);
  if (!reply.ok()) refused(account, reply);
  co_return prepared.result(reply.body);
}

}  // namespace de::integrations
