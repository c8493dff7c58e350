// Integrations (docs/integrations.md): connections to vendors. Everyone who reads may see them
// (never their credentials, which are write-only and sealed under the master key: answers and
// events name the credentials set, not their values); managers and admins connect, change,
// test and use them.
#include <boost/url/encode.hpp>
#include <boost/url/rfc/unreserved_chars.hpp>

#include "api/audit.hpp"
#include "api/context.hpp"
#include "auth/crypto.hpp"
#include "auth/oidc.hpp"
#include "core/clock.hpp"
#include "core/ids.hpp"
#include "integrations/catalog.hpp"
#include "integrations/connectors.hpp"
#include "integrations/inbound.hpp"

namespace de::api {

namespace {
using auth::Permission;
using store::integrations::Integration;

json::object to_json(const Integration& i, const integrations::Credentials& credentials) {
  json::array set;
  for (const auto& [name, value] : credentials) set.emplace_back(name);
  return {{"id", i.id},
          {"name", i.name},
          {"type", i.type},
          {"config", i.config},
          {"credentials_set", std::move(set)},
          {"is_active", i.is_active},
          {"last_sync", core::time_or_null(i.last_sync)},
          {"last_test", i.last_test ? *i.last_test : json::value(nullptr)},
          {"created_by", i.created_by ? json::value(*i.created_by) : json::value(nullptr)},
          {"created_at", core::format_timestamp(i.created_at)},
          {"updated_at", core::format_timestamp(i.updated_at)}};
}

integrations::Credentials credentials_of(const Context& ctx, const Integration& i) {
  if (!i.credentials_sealed) return {};
  // Sealed under another master key: shown as none set, so that they are set again.
  auto text = auth::unseal(ctx.master_key, *i.credentials_sealed);
  return text ? integrations::parse_credentials(*text) : integrations::Credentials{};
}

Integration find_integration(store::Connection& c, const std::string& id) {
  auto i = store::integrations::find(c, id);
  if (!i) throw core::not_found("integration", id);
  return std::move(*i);
}

// name, config, credentials and is_active from a body onto `i` (whose type is set); every
// problem named at once, nothing changed when there is one.
void read_fields(const Context& ctx, core::ObjectReader& r, Integration& i, bool creating) {
  if (auto name = r.string("name", creating, 200)) i.name = *name;
  const auto* type = integrations::find_type(i.type);
  const auto* config = r.object("config", false);
  const auto* credentials = r.object("credentials", false);
  if (auto active = r.boolean("is_active", false)) i.is_active = *active;
  auto errors = r.take_errors();
  if (type) {
    i.config = integrations::read_config(*type, config, creating ? json::object() : i.config, errors);
    auto current = creating ? integrations::Credentials{} : credentials_of(ctx, i);
    auto merged = integrations::read_credentials(*type, credentials, std::move(current), errors);
    if (!merged.empty()) i.credentials_sealed = auth::seal(ctx.master_key, integrations::credentials_text(merged));
    else i.credentials_sealed.reset();
  }
  core::throw_if_errors(std::move(errors));
}

json::object event_data(const Context& ctx, const Integration& i) { return to_json(i, credentials_of(ctx, i)); }

// What a create or change of `i` sent: the fields, and the names of the credentials it set
// (never their values). Sending credentials is audited as integrations.credentials_changed.
void audit_integration(store::Tx& tx, const Request& request, const auth::Principal& who, const Integration& i,
                       const json::object& body, bool creating) {
  json::array fields, credentials;
  for (const auto& field : body) fields.emplace_back(field.key());
  if (const auto* sent = body.if_contains("credentials"); sent && sent->is_object())
    for (const auto& credential : sent->get_object()) credentials.emplace_back(credential.key());
  bool credentials_changed = body.contains("credentials");
  std::string action = creating ? "integrations.created"
                                : credentials_changed ? "integrations.credentials_changed" : "integrations.updated";
  audit(tx, request, who, std::move(action), "integration", i.id,
        {{"name", i.name}, {"type", i.type}, {"fields", std::move(fields)}, {"credentials", std::move(credentials)}});
}

// ?type=, one of the types when given.
std::optional<std::string> type_filter(const Request& request) {
  auto type = request.query("type");
  if (type && !integrations::find_type(*type))
    throw core::Error(core::ErrorKind::bad_request, "type must be salesforce, hubspot, jira, confluence, slack or email",
                      {{"type", "must be salesforce, hubspot, jira, confluence, slack or email"}});
  return type;
}

// An inbound webhook whose signature holds: who sent it and what to keep. Throws unauthorized
// (the signature is the credential) when it does not.
struct Inbound {
  std::string id, signature;
  json::object event;  // integrations.webhook_received
};

Inbound verify_inbound(const Context& ctx, const Request& request, const Integration& integration) {
  // HubSpot signs the URL it called: the one its app registered, else this request's on https.
  const auto* configured = integration.config.if_contains("webhook_url");
  auto uri = configured && configured->is_string() ? std::string(configured->get_string())
                                                   : "https://" + std::string(request.header("host")) + request.target;
  integrations::InboundRequest inbound{request.method, uri, request.body,
                                      [&request](std::string_view name) { return request.header(name); }};
  auto verdict = integrations::verify_inbound(integration.type, credentials_of(ctx, integration), inbound, core::now_ms());
  if (!verdict.ok) throw core::Error(core::ErrorKind::unauthorized, verdict.problem);
  Inbound out{core::new_id(), verdict.dedup_key, {}};
  out.event = {{"id", out.id}, {"integration_id", integration.id}, {"type", integration.type},
               {"bytes", std::int64_t(request.body.size())}};
  return out;
}

// Slack's Events API checks a new URL with a signed url_verification: it wants its challenge back.
json::object inbound_answer(const Request& request, const Inbound& inbound, bool kept) {
  boost::system::error_code ec;
  auto body = json::parse(request.body, ec);
  if (!ec && body.is_object() && body.as_object().if_contains("type") && body.at("type") == "url_verification" &&
      body.as_object().if_contains("challenge"))
    return {{"challenge", body.at("challenge")}};
  return {{"id", inbound.id}, {"duplicate", !kept}};
}

// ---- a person's consent (Salesforce's OAuth web server flow) ----------------------------------

constexpr std::string_view consent_callback = "/api/v1/integrations/oauth/callback";
constexpr std::int64_t consent_ms = 10 * 60 * 1000;  // from the redirect to the callback

// Where Salesforce sends the person back: the integration's oauth_redirect_uri, else this server
// as the browser reached it (the connected app must list it as a callback URL).
std::string consent_redirect_uri(const Request& request, const Integration& i) {
  const auto* configured = i.config.if_contains("oauth_redirect_uri");
  if (configured && configured->is_string() && !configured->get_string().empty()) return std::string(configured->get_string());
  return (came_over_tls(request) ? "https://" : "http://") + std::string(request.header("host")) + std::string(consent_callback);
}

// Back to the dashboard's Integrations page, which says how the consent went.
Response consent_outcome(const std::string& integration_id, std::string_view outcome, std::string_view reason = {}) {
  auto location = "/integrations?tab=connected&integration=" + integration_id + "&consent=" + std::string(outcome);
  if (!reason.empty()) location += "&reason=" + boost::urls::encode(reason.substr(0, 300), boost::urls::unreserved_chars);
  return redirect(std::move(location));
}

}  // namespace

integrations::Connectors& connectors(Context& ctx) { return integrations::running(ctx.connectors); }

void add_integration_routes(Context& ctx, http::Router& router) {
  secured(ctx, router, "GET", "/api/v1/integrations", Permission::read,
          [&ctx](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            auto type = type_filter(request);
            auto page = page_request(request);
            auto list = ctx.db.read([&](store::Connection& c) { return store::integrations::list(c, type, page); });
            co_return Response::json(
                200, page_json(list, [&ctx](const Integration& i) { return to_json(i, credentials_of(ctx, i)); }));
          });

  secured(ctx, router, "POST", "/api/v1/integrations", Permission::manage_integrations,
          [&ctx](Request& request, const auth::Principal& who) -> asio::awaitable<Response> {
            auto body = json_body(request);
            Integration i;
            core::ObjectReader reader(body);
            if (auto type = reader.choice("type", true, integrations::type_names())) i.type = *type;
            read_fields(ctx, reader, i, true);
            i.id = core::new_id();
            i.created_by = who.user_id;
            i.created_at = i.updated_at = core::now_ms();
            auto data = event_data(ctx, i);
            co_await write(ctx.db, [&](store::Tx& tx) {
              store::integrations::insert(tx.connection, i);
              tx.emit("integrations.created", data);
              audit_integration(tx, request, who, i, body, true);
            });
            co_return created(data, "/api/v1/integrations/" + i.id);
          });

  secured(ctx, router, "GET", "/api/v1/integrations/{id}", Permission::read,
          [&ctx](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            const auto& id = id_param(request, "integration");
            auto i = ctx.db.read([&](store::Connection& c) { return find_integration(c, id); });
            co_return Response::json(200, to_json(i, credentials_of(ctx, i)));
          });

  secured(ctx, router, "PATCH", "/api/v1/integrations/{id}", Permission::manage_integrations,
          [&ctx](Request& request, const auth::Principal& who) -> asio::awaitable<Response> {
            const auto& id = id_param(request, "integration");
            auto body = json_body(request);
            auto data = co_await write(ctx.db, [&](store::Tx& tx) {
              auto i = find_integration(tx.connection, id);
              core::ObjectReader reader(body);
              if (auto type = reader.string("type", false, 50); type && *type != i.type)
                reader.error("type", "cannot change: make a new integration of that type");
              read_fields(ctx, reader, i, false);
              i.updated_at = core::now_ms();
              store::integrations::update(tx.connection, i);
              auto data = event_data(ctx, i);
              tx.emit("integrations.updated", data);
              audit_integration(tx, request, who, i, body, false);
              return data;
            });
            co_return Response::json(200, data);
          });

  secured(ctx, router, "DELETE", "/api/v1/integrations/{id}", Permission::manage_integrations,
          [&ctx](Request& request, const auth::Principal& who) -> asio::awaitable<Response> {
            const auto& id = id_param(request, "integration");
            co_await write(ctx.db, [&](store::Tx& tx) {
              if (!store::integrations::remove(tx.connection, id)) throw core::not_found("integration", id);
              tx.emit("integrations.deleted", json::object{{"id", id}});
              audit(tx, request, who, "integrations.deleted", "integration", id);
            });
            co_return Response::no_content();
          });

  secured(ctx, router, "POST", "/api/v1/integrations/{id}/test", Permission::manage_integrations,
          [&ctx](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            const auto& id = id_param(request, "integration");
            auto& clients = connectors(ctx);
            auto account = ctx.db.read(
                [&](store::Connection& c) { return integrations::account_of(find_integration(c, id), ctx.master_key); });
            auto report = co_await clients.test(account);
            auto summary = report.summary(core::now_ms());
            co_await write(ctx.db, [&](store::Tx& tx) {
              find_integration(tx.connection, id);  // deleted meanwhile: 404
              store::integrations::record_test(tx.connection, id, summary);
              auto data = summary;
              data["id"] = id;
              tx.emit("integrations.tested", data);
            });
            co_return Response::json(200, report.to_json());
          });

  // Begins a person's consent: where to send their browser (Salesforce's authorize page, with a
  // state and the PKCE challenge of a verifier kept here until the callback).
  secured(ctx, router, "POST", "/api/v1/integrations/{id}/consent", Permission::manage_integrations,
          [&ctx](Request& request, const auth::Principal& who) -> asio::awaitable<Response> {
            const auto& id = id_param(request, "integration");
            auto state = auth::random_token(32), verifier = auth::random_token(32);
            auto answer = co_await write(ctx.db, [&](store::Tx& tx) {
              auto i = find_integration(tx.connection, id);
              if (i.type != "salesforce")
                throw core::Error(core::ErrorKind::validation, "only a salesforce integration asks a person's consent here "
                                                                "(HubSpot's private app tokens need none)",
                                  {{"type", "must be salesforce"}});
              auto account = integrations::account_of(i, ctx.master_key);
              for (const char* needed : {"client_id", "client_secret"})
                if (!account.credentials.contains(needed))
                  throw core::Error(core::ErrorKind::validation, "set the connected app's client_id and client_secret first",
                                    {{std::string("credentials.") + needed, "is required for a consent"}});
              auto redirect_uri = consent_redirect_uri(request, i);
              auto now = core::now_ms();
              store::integrations::insert_consent(tx.connection, auth::sha256_hex(state),
                                                  {id, verifier, redirect_uri, who.user_id, now + consent_ms}, now);
              return json::object{{"authorize_url", integrations::consent_url(account, redirect_uri, state, auth::oidc::pkce_challenge(verifier))},
                                  {"redirect_uri", redirect_uri},
                                  {"expires_at", core::format_timestamp(now + consent_ms)}};
            });
            co_return Response::json(200, answer);
          });

  // Salesforce sends the person back here with a code (or why not); the state is the credential.
  router.add("GET", std::string(consent_callback), [&ctx](Request& request) -> asio::awaitable<Response> {
    auto state = request.query("state");
    if (!state || state->empty()) throw core::Error(core::ErrorKind::bad_request, "the callback has no state");
    auto attempt = co_await write(ctx.db, [&](store::Tx& tx) {
      return store::integrations::take_consent(tx.connection, auth::sha256_hex(*state), core::now_ms());
    });
    if (!attempt)
      throw core::Error(core::ErrorKind::bad_request, "this consent is unknown, used or expired: begin it again from the integration");
    if (auto refusal = request.query("error"))
      co_return consent_outcome(attempt->integration_id, "refused", request.query("error_description").value_or(*refusal));
    auto code = request.query("code");
    if (!code || code->empty()) co_return consent_outcome(attempt->integration_id, "failed", "Salesforce sent no code");
    auto account = ctx.db.read([&](store::Connection& c) {
      return integrations::account_of(find_integration(c, attempt->integration_id), ctx.master_key);
    });
    std::optional<integrations::Consent> consent;
    std::string failure;
    try {
      consent = co_await connectors(ctx).redeem_consent(account, *code, attempt->redirect_uri, attempt->code_verifier);
    } catch (const core::Error& e) {
      failure = e.what();
    }
    if (!consent) co_return consent_outcome(attempt->integration_id, "failed", failure);
    co_await write(ctx.db, [&](store::Tx& tx) {
      auto i = find_integration(tx.connection, attempt->integration_id);
      auto credentials = credentials_of(ctx, i);
      credentials["refresh_token"] = consent->refresh_token;
      i.credentials_sealed = auth::seal(ctx.master_key, integrations::credentials_text(credentials));
      if (!consent->instance_url.empty()) i.config["instance_url"] = consent->instance_url;
      i.updated_at = core::now_ms();
      store::integrations::update(tx.connection, i);
      tx.emit("integrations.updated", event_data(ctx, i));
      audit(tx, request, auth::Principal{attempt->user_id}, "integrations.consented", "integration", i.id,
            {{"name", i.name}, {"type", i.type}, {"credentials", json::array{"refresh_token"}}});
    });
    co_return consent_outcome(attempt->integration_id, "given");
  });

  secured(ctx, router, "POST", "/api/v1/integrations/{id}/actions/{action}", Permission::manage_integrations,
          [&ctx](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            const auto& id = id_param(request, "integration");
            auto action = std::string(request.param("action"));
            auto body = json_body(request);
            core::ObjectReader reader(body);
            const auto* input = reader.object("input", true);
            reader.finish();
            auto& clients = connectors(ctx);
            auto account = ctx.db.read([&](store::Connection& c) {
              auto i = find_integration(c, id);
              if (!i.is_active)
                throw core::Error(core::ErrorKind::validation, "integration " + i.name + " is switched off (is_active false)");
              return integrations::account_of(i, ctx.master_key);
            });
            auto result = co_await clients.act(account, action, *input);
            co_return Response::json(200, result);
          });

  // Inbound webhooks: the vendor's signature is the credential. Kept (once per signature: a
  // replay within the window is answered, not kept again) before the 200.
  router.add("POST", "/api/v1/webhooks/{integration_id}", [&ctx](Request& request) -> asio::awaitable<Response> {
    const auto& id = id_param(request, "integration", "integration_id");
    auto integration = ctx.db.read([&](store::Connection& c) { return find_integration(c, id); });
    auto inbound = verify_inbound(ctx, request, integration);
    auto kept = co_await write(ctx.db, [&](store::Tx& tx) {
      bool fresh = store::integrations::keep_inbound(tx.connection, inbound.id, id, inbound.signature, request.body,
                                                     core::now_ms());
      if (fresh) tx.emit("integrations.webhook_received", inbound.event);
      return fresh;
    });
    co_return Response::json(200, inbound_answer(request, inbound, kept));
  });
}

}  // namespace de::api
