#pragma once
// Configuration: defaults < file (--config, KEY=VALUE lines) < environment < command-line flags.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace de::core {

struct Endpoint {
  std::string host;
  std::uint16_t port = 0;
};

struct Config {
  Endpoint listen{"127.0.0.1", 8080};
  std::string database_url = "sqlite:var/digital-enterprise.db";
  std::string data_dir = "var";
  std::string jwt_secret;  // empty: generated and kept in data_dir
  std::string master_key;  // empty: generated and kept in data_dir
  std::string admin_email = "admin@example.com";
  std::string admin_password;  // empty: generated and printed once
  bool demo_data = true;
  std::string log_level = "info";
  int threads = 0;  // 0: one per core
  std::string web_root = "web/dist";
  int http_timeout_seconds = 30;
  int access_token_ttl_seconds = 900;
  int refresh_token_ttl_seconds = 30 * 24 * 3600;
  int task_lease_seconds = 30;  // a claimed task returns to the queue when its lease runs out
  int queue_window = 10000;     // queued tasks per queue held in memory (hub::HubOptions)
  // PostgreSQL: how often the event log is read for other nodes' events when no notification
  // came (one missed while the listening connection was down).
  int event_poll_ms = 1000;
  // AI providers (docs/ai.md). The API keys are secrets: never logged, printed or put in an event.
  std::vector<std::string> ai_providers = {"anthropic", "openai", "offline"};  // fallback order
  std::string openai_base_url = "https://api.openai.com/v1";
  std::string openai_api_key;
  std::string openai_model = "gpt-4o-mini";
  std::string anthropic_base_url = "https://api.anthropic.com";
  std::string anthropic_api_key;
  std::string anthropic_model = "claude-3-5-haiku-latest";
  int ai_timeout_seconds = 60;  // per attempt
  int ai_max_attempts = 3;      // per provider and call
  std::string ai_prices_file;   // price lines added to the built-in table; empty: none
  // The sales pipeline (docs/sales.md): its open stages in order (`won` and `lost` close a deal),
  // and after how many days without a stage change an open deal counts as stale.
  // Outbound webhooks (docs/integrations.md): the waits between a failed delivery's attempts,
  // in milliseconds; after the last one the delivery is dead (the dead-letter list). About a day.
  std::vector<std::int64_t> webhook_retry_ms = {5'000,     30'000,    120'000,    600'000,    1'800'000,
                                                3'600'000, 7'200'000, 14'400'000, 28'800'000, 28'800'000};
  std::vector<std::string> pipeline_stages = {"prospecting", "engaging", "proposal", "negotiation"};
  int pipeline_stale_days = 60;
  // Retention (docs/operations.md): days to keep each kind, 0 for ever (the default); the
  // archive written before a deletion (empty: none); seconds between pruning rounds.
  double retention_tasks_days = 0, retention_events_days = 0, retention_workflow_executions_days = 0,
         retention_messages_days = 0, retention_ai_calls_days = 0;
  std::string retention_archive_dir;
  int retention_interval_seconds = 60;
  // The HTTP edge (docs/security.md): origins other sites' pages may call the API from (exact
  // "scheme://host[:port]"; none: same-origin only), TLS from PEM files (both or neither), and
  // the requests a user or API key may make per minute on this node (0: no limit).
  std::vector<std::string> cors_origins;
  std::string tls_cert_file, tls_key_file;
  int rate_limit_per_minute = 600;
  // Single sign-on with OpenID Connect (docs/security.md): off while oidc_issuer is empty. The
  // client secret is a secret (never logged or echoed).
  std::string oidc_issuer, oidc_client_id, oidc_client_secret, oidc_redirect_uri;
  std::string oidc_scopes = "openid email profile";
  std::string oidc_role_claim = "groups";
  std::vector<std::pair<std::string, std::string>> oidc_role_map;  // claim value -> role
  std::string oidc_default_role;  // empty: a login no mapping matches is refused
  int oidc_keys_refresh_floor_seconds = 60;
  // Outbound requests to internal addresses (core/outbound.hpp, docs/security.md): the CIDRs and
  // host names allowed anyway; empty: none.
  std::string outbound_allow;
  // Reverse proxies whose X-Forwarded-For names the client (http/beast_request.hpp): CIDRs;
  // empty: the peer of the connection is the client.
  std::string trusted_proxies;
};

// `overrides` maps variable names (DE_LISTEN, ...) to values given as flags.
// Throws core::Error(bad_request) naming the variable on an invalid value.
Config load_config(const std::optional<std::string>& config_file,
                   const std::map<std::string, std::string>& overrides);

Endpoint parse_endpoint(const std::string& text);

// The items of a comma-separated list, trimmed (an empty value gives one empty item).
std::vector<std::string> split_list(std::string_view value);

}  // namespace de::core
