#include "core/config.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <thread>

#include "core/duration.hpp"
#include "core/error.hpp"
#include "core/net_address.hpp"
#include "core/outbound.hpp"

namespace de::core {

namespace {
Error invalid(const std::string& name, const std::string& value, std::string_view expected) {
  return Error(ErrorKind::bad_request,
               fmt::format("invalid {}={:?}: expected {}", name, value, expected));
}

int parse_int(const std::string& name, const std::string& value, int min, int max) {
  int n = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
  if (ec != std::errc() || end != value.data() + value.size() || n < min || n > max)
    throw invalid(name, value, fmt::format("an integer from {} to {}", min, max));
  return n;
}

// Days as a decimal number (fractions for tests), 0 to 100 years.
double parse_days(const std::string& name, const std::string& value) {
  double days = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), days);
  if (ec != std::errc() || end != value.data() + value.size() || !(days >= 0 && days <= 36500))
    throw invalid(name, value, "a number of days from 0 (keep for ever) to 36500");
  return days;
}

bool parse_bool(const std::string& name, const std::string& value) {
  if (value == "1" || value == "true" || value == "yes") return true;
  if (value == "0" || value == "false" || value == "no") return false;
  throw invalid(name, value, "1 or 0");
}

bool repeats(const std::vector<std::string>& items) {
  for (std::size_t i = 0; i < items.size(); ++i)
    if (std::find(items.begin() + std::ptrdiff_t(i) + 1, items.end(), items[i]) != items.end()) return true;
  return false;
}

// The fallback order: known providers, each at most once.
std::vector<std::string> parse_providers(const std::string& name, const std::string& value) {
  auto providers = split_list(value);
  auto known = [](const std::string& item) { return item == "anthropic" || item == "openai" || item == "offline"; };
  if (repeats(providers) || !std::all_of(providers.begin(), providers.end(), known))
    throw invalid(name, value, "a comma-separated list of anthropic, openai and offline, each at most once");
  return providers;
}

// Open stages in order: 1 to 20 distinct names of lower-case letters, digits and '_', not the
// closing stages won and lost.
std::vector<std::string> parse_stages(const std::string& name, const std::string& value) {
  auto stages = split_list(value);
  auto valid = [](const std::string& item) {
    return !item.empty() && item.size() <= 40 && item != "won" && item != "lost" &&
           std::all_of(item.begin(), item.end(), [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'; });
  };
  if (stages.size() > 20 || repeats(stages) || !std::all_of(stages.begin(), stages.end(), valid))
    throw invalid(name, value, "a comma-separated list of 1 to 20 distinct stage names (a-z, 0-9, _), without won and lost");
  return stages;
}

// Waits such as "5s,30s,2m,1h" (units ms, s, m, h): 1 to 30 of them, each from 1 ms to 24 h.
std::vector<std::int64_t> parse_durations(const std::string& name, const std::string& value) {
  std::vector<std::int64_t> out;
  bool valid = true;
  for (const auto& item : split_list(value)) {
    auto ms = parse_duration_ms(item);
    valid = valid && ms && *ms <= 24 * 3'600'000;
    out.push_back(ms.value_or(0));
  }
  if (!valid || out.size() > 30)
    throw invalid(name, value, "a comma-separated list of 1 to 30 waits such as 5s, 30s, 2m, 1h (units ms, s, m, h; each at most 24h)");
  return out;
}

// Exact origins as browsers send them: http or https, a host, maybe a port; no path, no "*".
std::vector<std::string> parse_origins(const std::string& name, const std::string& value) {
  auto origins = split_list(value);
  auto valid = [](const std::string& origin) {
    auto rest = std::string_view(origin);
    if (rest.starts_with("https://")) rest.remove_prefix(8);
    else if (rest.starts_with("http://")) rest.remove_prefix(7);
    else return false;
    return !rest.empty() && std::all_of(rest.begin(), rest.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' || c == '[' || c == ']';
    });
  };
  if (!std::all_of(origins.begin(), origins.end(), valid))
    throw invalid(name, value, "a comma-separated list of origins such as https://app.example.com (scheme, host, port; no path, no *)");
  for (auto& origin : origins)
    std::transform(origin.begin(), origin.end(), origin.begin(), [](unsigned char c) { return char(std::tolower(c)); });
  return origins;
}

// The roles an SSO login may be given (agent is for programs, not people).
bool person_role(const std::string& role) {
  return role == "admin" || role == "manager" || role == "operator" || role == "viewer";
}

// "admins:admin,sales:operator": claim values and the role each gives (a value may repeat to
// give several roles).
std::vector<std::pair<std::string, std::string>> parse_role_map(const std::string& name, const std::string& value) {
  std::vector<std::pair<std::string, std::string>> map;
  for (const auto& item : split_list(value)) {
    auto colon = item.rfind(':');
    auto role = colon == std::string::npos ? "" : item.substr(colon + 1);
    if (colon == 0 || colon == std::string::npos || !person_role(role))
      throw invalid(name, value, "a comma-separated list of CLAIM_VALUE:ROLE, roles admin, manager, operator or viewer");
    map.emplace_back(item.substr(0, colon), role);
  }
  return map;
}

// http(s)://host...; plain http only on the loopback interface (tests, a provider on the same host).
void check_oidc_url(const std::string& name, const std::string& value) {
  bool loopback = false;
  for (std::string_view host : {"http://127.0.0.1", "http://localhost", "http://[::1]"}) {
    auto rest = std::string_view(value).substr(std::min(value.size(), host.size()));
    loopback = loopback || (value.starts_with(host) && (rest.empty() || rest[0] == ':' || rest[0] == '/'));
  }
  if (!(value.starts_with("https://") && value.size() > 8) && !loopback)
    throw invalid(name, value, "an https:// URL (http:// only for 127.0.0.1 or localhost)");
}

void check_oidc(const Config& c) {
  if (c.oidc_issuer.empty()) return;
  check_oidc_url("DE_OIDC_ISSUER", c.oidc_issuer);
  if (c.oidc_client_id.empty())
    throw Error(ErrorKind::bad_request, "DE_OIDC_CLIENT_ID is required with DE_OIDC_ISSUER");
  // The server knows no public URL of its own: where the provider sends the browser back is said.
  if (c.oidc_redirect_uri.empty())
    throw Error(ErrorKind::bad_request,
                "DE_OIDC_REDIRECT_URI is required with DE_OIDC_ISSUER (https://HOST/api/v1/auth/oidc/callback)");
  check_oidc_url("DE_OIDC_REDIRECT_URI", c.oidc_redirect_uri);
  auto scopes = " " + c.oidc_scopes + " ";
  if (scopes.find(" openid ") == std::string::npos)
    throw invalid("DE_OIDC_SCOPES", c.oidc_scopes, "space-separated scopes including openid");
}

using Setter = std::function<void(Config&, const std::string& name, const std::string& value)>;

const std::map<std::string, Setter>& setters() {
  static const std::map<std::string, Setter> table = {
      {"DE_LISTEN", [](Config& c, auto&, auto& v) { c.listen = parse_endpoint(v); }},
      {"DE_DATABASE_URL", [](Config& c, auto&, auto& v) { c.database_url = v; }},
      {"DE_DATA_DIR", [](Config& c, auto&, auto& v) { c.data_dir = v; }},
      {"DE_JWT_SECRET", [](Config& c, auto&, auto& v) { c.jwt_secret = v; }},
      {"DE_MASTER_KEY", [](Config& c, auto&, auto& v) { c.master_key = v; }},
      {"DE_ADMIN_EMAIL", [](Config& c, auto&, auto& v) { c.admin_email = v; }},
      {"DE_ADMIN_PASSWORD", [](Config& c, auto&, auto& v) { c.admin_password = v; }},
      {"DE_DEMO_DATA", [](Config& c, auto& n, auto& v) { c.demo_data = parse_bool(n, v); }},
      {"DE_LOG_LEVEL",
       [](Config& c, auto& n, auto& v) {
         if (v != "trace" && v != "debug" && v != "info" && v != "warn" && v != "error" &&
             v != "off")
           throw invalid(n, v, "trace, debug, info, warn, error or off");
         c.log_level = v;
       }},
      {"DE_THREADS", [](Config& c, auto& n, auto& v) { c.threads = parse_int(n, v, 0, 256); }},
      {"DE_WEB_ROOT", [](Config& c, auto&, auto& v) { c.web_root = v; }},
      {"DE_HTTP_TIMEOUT",
       [](Config& c, auto& n, auto& v) { c.http_timeout_seconds = parse_int(n, v, 1, 3600); }},
      {"DE_ACCESS_TOKEN_TTL",
       [](Config& c, auto& n, auto& v) {
         c.access_token_ttl_seconds = parse_int(n, v, 10, 24 * 3600);
       }},
      {"DE_REFRESH_TOKEN_TTL",
       [](Config& c, auto& n, auto& v) {
         c.refresh_token_ttl_seconds = parse_int(n, v, 60, 365 * 24 * 3600);
       }},
      {"DE_TASK_LEASE_SECONDS",
       [](Config& c, auto& n, auto& v) { c.task_lease_seconds = parse_int(n, v, 1, 3600); }},
      {"DE_EVENT_POLL_MS", [](Config& c, auto& n, auto& v) { c.event_poll_ms = parse_int(n, v, 10, 3600000); }},
      {"DE_QUEUE_WINDOW", [](Config& c, auto& n, auto& v) { c.queue_window = parse_int(n, v, 1, 10000000); }},
      {"DE_AI_PROVIDERS", [](Config& c, auto& n, auto& v) { c.ai_providers = parse_providers(n, v); }},
      {"DE_OPENAI_BASE_URL", [](Config& c, auto&, auto& v) { c.openai_base_url = v; }},
      // The API keys are taken as given: a check whose error quoted the value would print them.
      {"DE_OPENAI_API_KEY", [](Config& c, auto&, auto& v) { c.openai_api_key = v; }},
      {"DE_OPENAI_MODEL", [](Config& c, auto&, auto& v) { c.openai_model = v; }},
      {"DE_ANTHROPIC_BASE_URL", [](Config& c, auto&, auto& v) { c.anthropic_base_url = v; }},
      {"DE_ANTHROPIC_API_KEY", [](Config& c, auto&, auto& v) { c.anthropic_api_key = v; }},
      {"DE_ANTHROPIC_MODEL", [](Config& c, auto&, auto& v) { c.anthropic_model = v; }},
      {"DE_AI_TIMEOUT",
       [](Config& c, auto& n, auto& v) { c.ai_timeout_seconds = parse_int(n, v, 1, 3600); }},
      {"DE_AI_MAX_ATTEMPTS",
       [](Config& c, auto& n, auto& v) { c.ai_max_attempts = parse_int(n, v, 1, 10); }},
      {"DE_AI_PRICES", [](Config& c, auto&, auto& v) { c.ai_prices_file = v; }},
      {"DE_PIPELINE_STAGES", [](Config& c, auto& n, auto& v) { c.pipeline_stages = parse_stages(n, v); }},
      {"DE_WEBHOOK_RETRY_SCHEDULE",
       [](Config& c, auto& n, auto& v) { c.webhook_retry_ms = parse_durations(n, v); }},
      {"DE_PIPELINE_STALE_DAYS",
       [](Config& c, auto& n, auto& v) { c.pipeline_stale_days = parse_int(n, v, 1, 3650); }},
      {"DE_RETENTION_TASKS_DAYS", [](Config& c, auto& n, auto& v) { c.retention_tasks_days = parse_days(n, v); }},
      {"DE_RETENTION_EVENTS_DAYS", [](Config& c, auto& n, auto& v) { c.retention_events_days = parse_days(n, v); }},
      {"DE_RETENTION_WORKFLOW_EXECUTIONS_DAYS",
       [](Config& c, auto& n, auto& v) { c.retention_workflow_executions_days = parse_days(n, v); }},
      {"DE_RETENTION_MESSAGES_DAYS", [](Config& c, auto& n, auto& v) { c.retention_messages_days = parse_days(n, v); }},
      {"DE_RETENTION_AI_CALLS_DAYS", [](Config& c, auto& n, auto& v) { c.retention_ai_calls_days = parse_days(n, v); }},
      {"DE_RETENTION_ARCHIVE_DIR", [](Config& c, auto&, auto& v) { c.retention_archive_dir = v; }},
      {"DE_CORS_ORIGINS", [](Config& c, auto& n, auto& v) { c.cors_origins = parse_origins(n, v); }},
      {"DE_TLS_CERT_FILE", [](Config& c, auto&, auto& v) { c.tls_cert_file = v; }},
      {"DE_TLS_KEY_FILE", [](Config& c, auto&, auto& v) { c.tls_key_file = v; }},
      {"DE_RATE_LIMIT_PER_MINUTE",
       [](Config& c, auto& n, auto& v) { c.rate_limit_per_minute = parse_int(n, v, 0, 1'000'000'000); }},
      {"DE_OIDC_ISSUER", [](Config& c, auto&, auto& v) { c.oidc_issuer = v; }},
      {"DE_OIDC_CLIENT_ID", [](Config& c, auto&, auto& v) { c.oidc_client_id = v; }},
      {"DE_OIDC_CLIENT_SECRET", [](Config& c, auto&, auto& v) { c.oidc_client_secret = v; }},
      {"DE_OIDC_REDIRECT_URI", [](Config& c, auto&, auto& v) { c.oidc_redirect_uri = v; }},
      {"DE_OIDC_SCOPES", [](Config& c, auto&, auto& v) { c.oidc_scopes = v; }},
      {"DE_OIDC_ROLE_CLAIM", [](Config& c, auto&, auto& v) { c.oidc_role_claim = v; }},
      {"DE_OIDC_ROLE_MAP", [](Config& c, auto& n, auto& v) { c.oidc_role_map = parse_role_map(n, v); }},
      {"DE_OIDC_DEFAULT_ROLE",
       [](Config& c, auto& n, auto& v) {
         if (!person_role(v)) throw invalid(n, v, "admin, manager, operator or viewer (unset: refuse)");
         c.oidc_default_role = v;
       }},
      {"DE_OIDC_KEYS_REFRESH_FLOOR",
       [](Config& c, auto& n, auto& v) { c.oidc_keys_refresh_floor_seconds = parse_int(n, v, 1, 3600); }},
      {"DE_OUTBOUND_ALLOW",
       [](Config& c, auto&, auto& v) {
         outbound::Policy::parse(v);  // names the bad entry now, not at the first outbound call
         c.outbound_allow = v;
       }},
      {"DE_TRUSTED_PROXIES",
       [](Config& c, auto& n, auto& v) {
         net::parse_networks(v, n);  // names the bad entry at start-up
         c.trusted_proxies = v;
       }},
      {"DE_RETENTION_INTERVAL",
       [](Config& c, auto& n, auto& v) { c.retention_interval_seconds = parse_int(n, v, 1, 24 * 3600); }},
  };
  return table;
}

void apply(Config& config, const std::string& name, const std::string& value) {
  auto it = setters().find(name);
  if (it == setters().end())
    throw Error(ErrorKind::bad_request, fmt::format("unknown setting {}", name));
  it->second(config, name, value);
}
}  // namespace

Endpoint parse_endpoint(const std::string& text) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon == 0)
    throw invalid("DE_LISTEN", text, "HOST:PORT, for example 127.0.0.1:8080");
  Endpoint e;
  e.host = text.substr(0, colon);
  if (e.host.size() > 2 && e.host.front() == '[' && e.host.back() == ']')
    e.host = e.host.substr(1, e.host.size() - 2);
  e.port = static_cast<std::uint16_t>(parse_int("DE_LISTEN port", text.substr(colon + 1), 0, 65535));
  return e;
}

Config load_config(const std::optional<std::string>& config_file,
                   const std::map<std::string, std::string>& overrides) {
  Config config;
  if (config_file) {
    std::ifstream in(*config_file);
    if (!in)
      throw Error(ErrorKind::bad_request, fmt::format("cannot read config file {}", *config_file));
    std::string line;
    int number = 0;
    while (std::getline(in, line)) {
      ++number;
      auto first = line.find_first_not_of(" \t");
      if (first == std::string::npos || line[first] == '#') continue;
      auto eq = line.find('=');
      if (eq == std::string::npos)
        throw Error(ErrorKind::bad_request,
                    fmt::format("{}:{}: expected KEY=VALUE", *config_file, number));
      auto key = line.substr(first, eq - first);
      while (!key.empty() && (key.back() == ' ' || key.back() == '\t')) key.pop_back();
      apply(config, key, line.substr(eq + 1));
    }
  }
  for (const auto& [name, setter] : setters()) {
    if (const char* value = std::getenv(name.c_str()); value && *value) setter(config, name, value);
  }
  for (const auto& [name, value] : overrides) apply(config, name, value);
  if (config.tls_cert_file.empty() != config.tls_key_file.empty())
    throw Error(ErrorKind::bad_request, "DE_TLS_CERT_FILE and DE_TLS_KEY_FILE go together: set both or neither");
  check_oidc(config);
  if (config.threads == 0) config.threads = std::max(1u, std::thread::hardware_concurrency());
  return config;
}

std::vector<std::string> split_list(std::string_view value) {
  std::vector<std::string> items;
  std::size_t start = 0;
  while (start <= value.size()) {
    auto comma = std::min(value.find(',', start), value.size());
    std::string item(value.substr(start, comma - start));
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    items.push_back(std::move(item));
    start = comma + 1;
  }
  return items;
}

}  // namespace de::core
