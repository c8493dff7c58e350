#include "auth/oidc_client.hpp"

#include <boost/json/parse.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>

#include <functional>

#include "ai/http_client.hpp"
#include "auth/crypto.hpp"
#include "core/clock.hpp"
#include "core/json.hpp"

namespace de::auth::oidc {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {
constexpr std::int64_t metadata_max_age_ms = 3600 * 1000;
constexpr std::int64_t keys_max_age_ms = 3600 * 1000;
constexpr std::size_t answer_limit = 1024 * 1024;

core::Error provider_failed(std::string detail) { return core::Error(core::ErrorKind::bad_gateway, std::move(detail)); }

struct Call {
  std::string what;  // names the document in errors
  std::string method = "GET";
  std::string url;
  ai::HttpHeaders headers{{"Accept", "application/json"}};
  std::string body;
};

// The JSON object the provider answers `call` with (200).
// (Callers keep `call` in a local of their coroutine's top level: GCC 12 mishandles
// temporaries and nested-block locals that live across a co_await.)
asio::awaitable<json::object> fetch_json(asio::any_io_executor executor, const Call& call,
                                         std::chrono::milliseconds timeout) {
  ai::HttpAnswer answer;
  std::string failure;
  std::function<void(std::string_view)> whole_body;
  const std::string& what = call.what;
  try {
    // The issuer is the operator's setting (DE_OIDC_ISSUER), and its discovery names the other
    // endpoints: a provider on the internal network is usual, so the outbound guard stays out.
    answer = co_await ai::request(executor, call.method, call.url, call.headers, call.body, timeout, whole_body,
                                  answer_limit, ai::Destination::operator_configured);
  } catch (const core::Error& e) {
    failure = e.what();
  }
  if (!failure.empty()) throw provider_failed("the identity provider's " + what + " cannot be fetched: " + failure);
  boost::system::error_code ec;
  auto value = json::parse(answer.body, ec);
  auto* object = ec ? nullptr : value.if_object();
  if (answer.status != 200) {
    // OAuth errors (RFC 6749, 5.2): `error` is a code from a short list; said as given.
    std::string code = object && object->contains("error") && object->at("error").is_string()
                           ? std::string(object->at("error").get_string())
                           : "";
    auto detail = "the identity provider's " + what + " answered " + std::to_string(answer.status) +
                  (code.empty() ? "" : " (" + code.substr(0, 64) + ")");
    if (code == "invalid_grant") throw core::Error(core::ErrorKind::unauthorized, detail);
    throw provider_failed(detail);
  }
  if (!object) throw provider_failed("the identity provider's " + what + " is not a JSON object");
  co_return std::move(*object);
}

std::string member(const json::object& o, std::string_view key) {
  auto* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : std::string();
}

// An endpoint must be http(s), and https when the issuer is.
bool usable_endpoint(const std::string& url, const std::string& issuer) {
  if (issuer.starts_with("https://")) return url.starts_with("https://");
  return url.starts_with("https://") || url.starts_with("http://");
}

std::string form_encoded(std::initializer_list<std::pair<std::string_view, std::string_view>> fields) {
  boost::urls::url form;
  for (const auto& [name, value] : fields) form.params().append({name, value});
  return std::string(form.encoded_query());
}

// RFC 6749, 2.3.1: the id and secret are form-encoded before they are joined.
std::string basic_credentials(const std::string& id, const std::string& secret) {
  auto encode = [](const std::string& text) {
    boost::urls::url u;
    u.params().append({"x", text});
    return std::string(u.encoded_query().substr(2));
  };
  return "Basic " + base64(encode(id) + ":" + encode(secret));
}
}  // namespace

Attempt new_attempt() { return {random_token(32), random_token(32), random_token(32)}; }

Client::Client(Settings settings) : settings_(std::move(settings)) {}

asio::awaitable<Client::Metadata> Client::metadata(asio::any_io_executor executor) {
  {
    std::lock_guard lock(mutex_);
    if (metadata_ && core::now_ms() - metadata_->fetched_at_ms < metadata_max_age_ms) co_return *metadata_;
  }
  // The issuer is compared as configured (some end with '/'); its discovery path is appended.
  std::string base = settings_.issuer;
  while (base.ends_with('/')) base.pop_back();
  Call call{"discovery document", "GET", base + "/.well-known/openid-configuration"};
  auto document = co_await fetch_json(executor, call, settings_.timeout);
  // OpenID Connect Discovery, 4.3: the document must name the issuer it was fetched for.
  if (member(document, "issuer") != settings_.issuer)
    throw provider_failed("the identity provider's discovery document names another issuer than DE_OIDC_ISSUER");
  Metadata fresh{member(document, "authorization_endpoint"), member(document, "token_endpoint"),
                 member(document, "jwks_uri"), core::now_ms()};
  for (const auto* url : {&fresh.authorization_endpoint, &fresh.token_endpoint, &fresh.jwks_uri})
    if (!usable_endpoint(*url, settings_.issuer))
      throw provider_failed("the identity provider's discovery document lacks a usable endpoint");
  std::lock_guard lock(mutex_);
  metadata_ = fresh;
  co_return fresh;
}

asio::awaitable<std::shared_ptr<const KeySet>> Client::keys(asio::any_io_executor executor, const Metadata& metadata,
                                                            bool unknown_kid) {
  {
    std::lock_guard lock(mutex_);
    auto age = core::now_ms() - keys_fetched_at_ms_;
    bool stale = !keys_ || age >= keys_max_age_ms;
    bool may_refetch = age >= std::chrono::duration_cast<std::chrono::milliseconds>(settings_.keys_refresh_floor).count();
    if (!stale && !(unknown_kid && may_refetch)) co_return keys_;
    // Taken now, so that logins arriving meanwhile do not fetch too.
    keys_fetched_at_ms_ = core::now_ms();
  }
  Call call{"JWKS", "GET", metadata.jwks_uri};
  auto answer = co_await fetch_json(executor, call, settings_.timeout);
  auto fresh = std::make_shared<const KeySet>(KeySet::parse(core::to_text(answer)));
  if (fresh->size() == 0) throw provider_failed("the identity provider's JWKS holds no usable signing key");
  std::lock_guard lock(mutex_);
  keys_ = fresh;
  co_return fresh;
}

asio::awaitable<std::string> Client::authorization_url(asio::any_io_executor executor, const Attempt& attempt) {
  auto meta = co_await metadata(executor);
  auto parsed = boost::urls::parse_uri(meta.authorization_endpoint);
  if (!parsed) throw provider_failed("the identity provider's authorization endpoint is not a URL");
  boost::urls::url url(*parsed);
  auto challenge = pkce_challenge(attempt.code_verifier);
  for (const auto& [name, value] : std::initializer_list<std::pair<std::string_view, std::string_view>>{
           {"response_type", "code"},
           {"client_id", settings_.client_id},
           {"redirect_uri", settings_.redirect_uri},
           {"scope", settings_.scopes},
           {"state", attempt.state},
           {"nonce", attempt.nonce},
           {"code_challenge", challenge},
           {"code_challenge_method", "S256"}})
    url.params().append({name, value});
  co_return std::string(url.buffer());
}

asio::awaitable<json::object> Client::redeem(asio::any_io_executor executor, const std::string& code,
                                            const Attempt& attempt) {
  auto meta = co_await metadata(executor);
  Call call{"token endpoint", "POST", meta.token_endpoint};
  call.headers.emplace_back("Content-Type", "application/x-www-form-urlencoded");
  if (settings_.client_secret.empty()) {
    call.body = form_encoded({{"grant_type", "authorization_code"}, {"code", code},
                              {"redirect_uri", settings_.redirect_uri}, {"code_verifier", attempt.code_verifier},
                              {"client_id", settings_.client_id}});
  } else {
    call.body = form_encoded({{"grant_type", "authorization_code"}, {"code", code},
                              {"redirect_uri", settings_.redirect_uri}, {"code_verifier", attempt.code_verifier}});
    call.headers.emplace_back("Authorization", basic_credentials(settings_.client_id, settings_.client_secret));
  }
  auto answer = co_await fetch_json(executor, call, settings_.timeout);
  auto id_token = member(answer, "id_token");
  if (id_token.empty()) throw provider_failed("the identity provider's token answer has no ID token");
  Expectations expected{settings_.issuer, settings_.client_id, attempt.nonce, core::now_ms() / 1000};
  auto key_set = co_await keys(executor, meta, false);
  std::optional<json::object> claims;
  try {
    claims = validate_id_token(id_token, *key_set, expected);
  } catch (const UnknownKey&) {
    // Handled below: a co_await cannot sit in a handler.
  }
  if (!claims) {
    key_set = co_await keys(executor, meta, true);
    claims = validate_id_token(id_token, *key_set, expected);  // an unknown kid still: refused
  }
  co_return std::move(*claims);
}

}  // namespace de::auth::oidc
