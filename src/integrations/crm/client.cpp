#include "integrations/crm/client.hpp"

#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <charconv>
#include <map>
#include <span>

#include "ai/chat.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"

namespace de::integrations::crm {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {
constexpr std::int64_t hubspot_page = 200;      // the most HubSpot's search gives at once
constexpr std::int64_t hubspot_search_window = 10'000;  // HubSpot's search stops paging there
constexpr std::size_t hubspot_batch = 100;      // batch create's limit
constexpr std::size_t salesforce_batch = 25;    // composite's subrequest limit
constexpr std::string_view salesforce_api = "/services/data/v60.0";

std::string percent_encode(std::string_view text) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') out += char(c);
    else out += {'%', hex[c >> 4], hex[c & 15]};
  }
  return out;
}

std::optional<std::int64_t> number(std::string_view text) {
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// A vendor's time stamp: ISO 8601 with Z or +0000 (Salesforce), or ms since the epoch (HubSpot's
// properties may be either).
std::int64_t parse_time(std::string text) {
  if (auto ms = number(text)) return *ms;
  if (text.ends_with("+0000")) text.replace(text.size() - 5, 5, "Z");
  if (text.size() == 20 && text.back() == 'Z') text.insert(19, ".000");  // without milliseconds
  return core::parse_timestamp(text).value_or(0);
}

std::string text_of(const json::value& value) {
  if (value.is_string()) return std::string(value.as_string());
  if (value.is_null()) return "";
  return json::serialize(value);
}

std::string_view credential(const Endpoint& endpoint, std::string_view key) {
  const auto* value = endpoint.credentials.if_contains(key);
  if (!value || !value->is_string() || value->as_string().empty())
    throw core::Error(core::ErrorKind::bad_request, "the integration's credentials lack " + std::string(key));
  return value->as_string();
}

// HTTP to one vendor: retries with backoff on 429, 5xx and broken connections, honouring
// Retry-After and, before each call, a pause the vendor's rate-limit headers asked for.
class VendorHttp {
 public:
  VendorHttp(asio::any_io_executor executor, RetryPolicy retry) : executor_(std::move(executor)), retry_(retry) {}

  // `on_answer` reads each answer's rate-limit headers: the ms to wait before the next call.
  std::function<std::int64_t(const ai::HttpAnswer&)> on_answer;

  asio::awaitable<ai::HttpAnswer> send(std::string method, std::string url, ai::HttpHeaders headers, std::string body) {
    auto wait = retry_.first_wait;
    for (int attempt = 1;; ++attempt) {
      co_await pause_until(not_before_);
      std::optional<std::chrono::milliseconds> retry_in;
      std::string failure;
      try {
        auto answer = co_await ai::request(executor_, method, url, headers, body, retry_.timeout);
        if (on_answer) not_before_ = std::max(not_before_, core::now_ms() + on_answer(answer));
        bool retryable = answer.status == 429 || answer.status == 502 || answer.status == 503 || answer.status == 504;
        if (!retryable || attempt >= retry_.attempts) co_return answer;
        if (auto seconds = number(answer.header("retry-after"))) retry_in = std::chrono::seconds(std::min<std::int64_t>(*seconds, 60));
        failure = "HTTP " + std::to_string(answer.status);
      } catch (const ai::ProviderError& e) {
        if (!e.retryable || attempt >= retry_.attempts) throw;
        failure = e.what();
      }
      auto pause = retry_in.value_or(wait);
      wait = std::min(retry_.longest_wait, wait * 2);
      co_await pause_until(core::now_ms() + pause.count());
    }
  }

 private:
  asio::awaitable<void> pause_until(std::int64_t at) {
    auto left = at - core::now_ms();
    if (left <= 0) co_return;
    asio::steady_timer timer(executor_, std::chrono::milliseconds(left));
    co_await timer.async_wait(asio::use_awaitable);
  }

  asio::any_io_executor executor_;
  RetryPolicy retry_;
  std::int64_t not_before_ = 0;
};

// A JSON answer's body, or a bad_gateway naming the vendor, call and status.
constexpr int ok_statuses[] = {200};
constexpr int created_statuses[] = {201, 207};  // 207: some made, some not
constexpr int updated_statuses[] = {200, 207};  // 207: some updated, some not
constexpr int no_content_statuses[] = {204};
constexpr int deleted_statuses[] = {204, 404};  // 404: gone already

// A record the vendor no longer has: what sync reads as deleted there.
void throw_if_gone(const ai::HttpAnswer& answer, std::string_view what) {
  if (answer.status == 404) throw core::Error(core::ErrorKind::not_found, std::string(what) + ": the record is deleted there");
}

json::value expect(const ai::HttpAnswer& answer, std::string_view what, std::span<const int> ok = ok_statuses) {
  if (std::find(ok.begin(), ok.end(), answer.status) == ok.end()) {
    std::string detail = answer.body.substr(0, 300);
    throw core::Error(core::ErrorKind::bad_gateway, std::string(what) + " failed: HTTP " + std::to_string(answer.status) + " " + detail);
  }
  if (answer.body.empty()) return nullptr;
  boost::system::error_code ec;
  auto value = json::parse(answer.body, ec);
  if (ec) throw core::Error(core::ErrorKind::bad_gateway, std::string(what) + " answered with a body that is not JSON");
  return value;
}

// A HubSpot search: one filter, `sort_by` ascending when given.
json::object search_body(const ObjectMap& map, json::object filter, const std::string& sort_by, std::int64_t limit,
                         const std::string& after) {
  json::array filters;
  filters.emplace_back(std::move(filter));
  json::array groups;
  groups.emplace_back(json::object{{"filters", std::move(filters)}});
  json::array properties;
  properties.emplace_back(map.modified_field);
  properties.emplace_back(map.match_field);
  for (const auto& f : map.fields)
    for (const auto& p : f.remote) properties.emplace_back(p);
  json::object body{{"filterGroups", std::move(groups)}, {"properties", std::move(properties)}, {"limit", limit}};
  if (!sort_by.empty()) {
    json::array sorts;
    sorts.emplace_back(json::object{{"propertyName", sort_by}, {"direction", "ASCENDING"}});
    body["sorts"] = std::move(sorts);
  }
  if (!after.empty()) body["after"] = after;
  return body;
}

std::string batch_create_body(const std::vector<Values>& records, std::size_t start, std::size_t end) {
  json::array inputs;
  for (auto i = start; i < end; ++i) inputs.emplace_back(json::object{{"properties", to_object(records[i])}, {"associations", json::array()}});
  return json::serialize(json::object{{"inputs", std::move(inputs)}});
}

// Whether `made` is the record created from `sent`: by the match field's value when `sent` has
// one, else by every property sent that the answer shows (records without an email, say; those
// alike in all of them are interchangeable).
bool made_from(const RemoteRecord& made, const Values& sent, const std::string& match_field) {
  if (auto key = sent.find(match_field); key != sent.end() && !key->second.empty()) {
    auto value = made.properties.find(match_field);
    return value != made.properties.end() && value->second == key->second;
  }
  return std::all_of(sent.begin(), sent.end(), [&](const auto& property) {
    auto value = made.properties.find(property.first);
    return value == made.properties.end() || value->second == property.second;
  });
}

std::string properties_body(const Values& properties) {
  return json::serialize(json::object{{"properties", to_object(properties)}});
}

std::string batch_update_body(const std::vector<std::pair<std::string, Values>>& changes, std::size_t start, std::size_t end) {
  json::array inputs;
  for (auto i = start; i < end; ++i)
    inputs.emplace_back(json::object{{"id", changes[i].first}, {"properties", to_object(changes[i].second)}});
  return json::serialize(json::object{{"inputs", std::move(inputs)}});
}

class HubSpot final : public Client {
 public:
  HubSpot(asio::any_io_executor executor, const Endpoint& endpoint, RetryPolicy retry)
      : http_(std::move(executor), retry), base_(endpoint.base_url), token_(credential(endpoint, "access_token")) {
    // X-HubSpot-RateLimit-Remaining 0: wait out the interval the limit counts over.
    http_.on_answer = [](const ai::HttpAnswer& answer) -> std::int64_t {
      auto remaining = number(answer.header("x-hubspot-ratelimit-remaining"));
      auto interval = number(answer.header("x-hubspot-ratelimit-interval-milliseconds"));
      return remaining && *remaining <= 0 && interval ? std::min<std::int64_t>(*interval, 60'000) : 0;
    };
  }

  asio::awaitable<ChangePage> changes(const ObjectMap& map, std::int64_t since_ms, std::string next) override {
    auto since = std::to_string(since_ms);
    auto body = json::serialize(search_body(map, filter(map.modified_field, "GTE", since), map.modified_field, hubspot_page, next));
    auto url = base_ + "/crm/v3/objects/" + map.remote_type + "/search";
    auto answer = co_await call("POST", url, std::move(body));
    auto page = expect(answer, "HubSpot search " + map.remote_type);
    ChangePage out;
    for (const auto& item : page.at("results").as_array()) out.records.push_back(record(map, item.as_object()));
    if (const auto* after = page.as_object().if_contains("paging")) {
      auto token = text_of(after->at("next").at("after"));
      // The search pages no further than its window: the caller starts again from its cursor.
      if (number(token).value_or(0) < hubspot_search_window) out.next = token;
      else out.truncated = true;
    }
    co_return out;
  }

  asio::awaitable<std::vector<RemoteRecord>> create(const ObjectMap& map, std::vector<Values> records) override {
    std::vector<RemoteRecord> out;
    for (std::size_t start = 0; start < records.size(); start += hubspot_batch) {
      auto end = std::min(records.size(), start + hubspot_batch);
      auto body = batch_create_body(records, start, end);
      auto url = base_ + "/crm/v3/objects/" + map.remote_type + "/batch/create";
      auto answer = co_await call("POST", url, std::move(body));
      auto made = expect(answer, "HubSpot batch create " + map.remote_type, created_statuses);
      if (const auto* errors = made.as_object().if_contains("errors"); errors && !errors->as_array().empty())
        throw core::Error(core::ErrorKind::bad_gateway, "HubSpot batch create " + map.remote_type + " refused records: " +
                                                            json::serialize(errors->as_array()[0]).substr(0, 300));
      // Results come in no promised order: put them in the inputs' by the match field.
      std::vector<RemoteRecord> batch;
      for (const auto& item : made.at("results").as_array()) batch.push_back(record(map, item.as_object()));
      for (auto i = start; i < end; ++i) {
        auto found = std::find_if(batch.begin(), batch.end(),
                                  [&](const RemoteRecord& r) { return made_from(r, records[i], map.match_field); });
        if (found == batch.end()) throw core::Error(core::ErrorKind::bad_gateway, "HubSpot batch create answered without a record made");
        out.push_back(std::move(*found));
        batch.erase(found);
      }
    }
    co_return out;
  }

  asio::awaitable<RemoteRecord> update(const ObjectMap& map, std::string id, Values properties) override {
    auto url = base_ + "/crm/v3/objects/" + map.remote_type + "/" + percent_encode(id);
    auto body = properties_body(properties);
    auto answer = co_await call("PATCH", url, std::move(body));
    throw_if_gone(answer, "HubSpot update " + map.remote_type);
    auto updated = expect(answer, "HubSpot update " + map.remote_type);
    co_return record(map, updated.as_object());
  }

  // Batch updates of up to 100 (`POST /crm/v3/objects/{type}/batch/update`: HubSpot's public
  // reference; the contract's fact sheet lists the batch read and create beside it). A record the
  // answer leaves out (207: one not found, say) is updated on its own, which tells a record
  // deleted there (404) from another refusal.
  asio::awaitable<std::vector<std::optional<RemoteRecord>>> update_many(const ObjectMap& map,
                                                                        std::vector<std::pair<std::string, Values>> changes) override {
    std::vector<std::optional<RemoteRecord>> out(changes.size());
    for (std::size_t start = 0; start < changes.size(); start += hubspot_batch) {
      auto end = std::min(changes.size(), start + hubspot_batch);
      auto url = base_ + "/crm/v3/objects/" + map.remote_type + "/batch/update";
      auto answer = co_await call("POST", url, batch_update_body(changes, start, end));
      auto result = expect(answer, "HubSpot batch update " + map.remote_type, updated_statuses);
      std::map<std::string, RemoteRecord> by_id;
      for (const auto& item : result.at("results").as_array()) {
        auto r = record(map, item.as_object());
        by_id.emplace(r.id, std::move(r));
      }
      for (auto i = start; i < end; ++i) {
        if (auto found = by_id.find(changes[i].first); found != by_id.end()) out[i] = std::move(found->second);
        else out[i] = co_await update_unless_gone(map, changes[i].first, changes[i].second);
      }
    }
    co_return out;
  }

  // The archived records (the list's archived=true: HubSpot's deletions), 100 a page.
  asio::awaitable<ChangePage> removed(const ObjectMap& map, std::string next) override {
    auto url = base_ + "/crm/v3/objects/" + map.remote_type + "?archived=true&limit=100";
    if (!next.empty()) url += "&after=" + percent_encode(next);
    auto answer = co_await call("GET", url, "");
    auto page = expect(answer, "HubSpot archived " + map.remote_type);
    ChangePage out;
    for (const auto& item : page.at("results").as_array()) {
      RemoteRecord r;
      r.id = text_of(item.at("id"));
      out.records.push_back(std::move(r));
    }
    if (const auto* paging = page.as_object().if_contains("paging")) out.next = text_of(paging->at("next").at("after"));
    co_return out;
  }

  asio::awaitable<void> remove(const ObjectMap& map, std::string id) override {
    auto url = base_ + "/crm/v3/objects/" + map.remote_type + "/" + percent_encode(id);
    auto answer = co_await call("DELETE", url, "");
    expect(answer, "HubSpot archive " + map.remote_type, deleted_statuses);
  }

  asio::awaitable<std::optional<RemoteRecord>> find_match(const ObjectMap& map, std::string value) override {
    auto body = json::serialize(search_body(map, filter(map.match_field, "EQ", value), "", 1, ""));
    auto url = base_ + "/crm/v3/objects/" + map.remote_type + "/search";
    auto answer = co_await call("POST", url, std::move(body));
    auto page = expect(answer, "HubSpot search " + map.remote_type);
    const auto& results = page.at("results").as_array();
    if (results.empty()) co_return std::nullopt;
    co_return record(map, results[0].as_object());
  }

 private:
  asio::awaitable<ai::HttpAnswer> call(std::string method, std::string url, std::string body) {
    ai::HttpHeaders headers;
    headers.emplace_back("authorization", "Bearer " + token_);
    headers.emplace_back("content-type", "application/json");
    headers.emplace_back("accept", "application/json");
    co_return co_await http_.send(std::move(method), std::move(url), std::move(headers), std::move(body));
  }

  static json::object filter(const std::string& property, std::string_view op, const std::string& value) {
    return {{"propertyName", property}, {"operator", op}, {"value", value}};
  }

  static RemoteRecord record(const ObjectMap& map, const json::object& item) {
    RemoteRecord r;
    r.id = text_of(item.at("id"));
    for (const auto& [k, v] : item.at("properties").as_object()) r.properties[k] = text_of(v);
    auto modified = r.properties.find(map.modified_field);
    r.modified_at = modified != r.properties.end() && !modified->second.empty()
                        ? parse_time(modified->second)
                        : item.contains("updatedAt") ? parse_time(text_of(item.at("updatedAt"))) : 0;
    return r;
  }

  VendorHttp http_;
  std::string base_, token_;
};

// A SOQL string literal's content: quotes and backslashes escaped.
std::string soql_quoted(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

// A SOQL date-time literal (whole seconds: the fraction is dropped, so a few records of that
// second come again and are skipped as seen).
std::string soql_time(std::int64_t ms) {
  auto text = core::format_timestamp(ms - ms % 1000);  // 2026-11-24T09:13:37.000Z
  return text.substr(0, 19) + "Z";
}

// Local-form values as a Salesforce body: numbers for the amount field, null for empty values
// (Salesforce refuses "" for dates and numbers).
json::object salesforce_body(const ObjectMap& map, const Values& properties) {
  json::object out;
  for (const auto& [k, v] : properties) {
    bool amount = std::any_of(map.fields.begin(), map.fields.end(),
                              [&](const FieldMap& f) { return f.local == "amount" && f.remote.size() == 1 && f.remote[0] == k; });
    if (v.empty()) out[k] = nullptr;
    else if (amount) out[k] = std::stod(v);
    else out[k] = v;
  }
  return out;
}

std::string composite_create_body(const ObjectMap& map, const std::vector<Values>& records, std::size_t start, std::size_t end) {
  json::array requests;
  for (auto i = start; i < end; ++i)
    requests.emplace_back(json::object{{"method", "POST"},
                                       {"url", std::string(salesforce_api) + "/sobjects/" + map.remote_type},
                                       {"referenceId", "r" + std::to_string(i - start)},
                                       {"body", salesforce_body(map, records[i])}});
  return json::serialize(json::object{{"allOrNone", true}, {"compositeRequest", std::move(requests)}});
}

class Salesforce final : public Client {
 public:
  Salesforce(asio::any_io_executor executor, const Endpoint& endpoint, RetryPolicy retry)
      : http_(std::move(executor), retry), base_(endpoint.base_url), client_id_(credential(endpoint, "client_id")),
        client_secret_(credential(endpoint, "client_secret")) {
    if (const auto* refresh = endpoint.credentials.if_contains("refresh_token"); refresh && refresh->is_string())
      refresh_token_ = refresh->as_string();
    const auto* token_url = endpoint.credentials.if_contains("token_url");
    token_url_ = token_url && token_url->is_string() ? std::string(token_url->as_string()) : base_ + "/services/oauth2/token";
    // Sforce-Limit-Info: api-usage=USED/MAX, the org's calls in the last 24 hours.
    http_.on_answer = [this](const ai::HttpAnswer& answer) -> std::int64_t {
      auto info = answer.header("sforce-limit-info");
      auto at = info.find("api-usage=");
      auto slash = info.find('/', at);
      if (at == std::string_view::npos || slash == std::string_view::npos) return 0;
      auto used = number(info.substr(at + 10, slash - at - 10));
      auto end = info.find_first_of(",; ", slash);
      auto most = number(info.substr(slash + 1, end == std::string_view::npos ? std::string_view::npos : end - slash - 1));
      limit_reached_ = used && most && *used >= *most;
      return 0;
    };
  }

  asio::awaitable<ChangePage> changes(const ObjectMap& map, std::int64_t since_ms, std::string next) override {
    std::string path = next;
    if (path.empty()) {
      auto soql = "SELECT " + field_list(map) + " FROM " + map.remote_type + " WHERE " + map.modified_field +
                  " >= " + soql_time(since_ms) + " ORDER BY " + map.modified_field + " ASC, Id ASC";
      path = std::string(salesforce_api) + "/query?q=" + percent_encode(soql);
    }
    auto answer = co_await call("GET", base_ + path, "");
    auto result = expect(answer, "Salesforce query " + map.remote_type);
    ChangePage out;
    for (const auto& item : result.at("records").as_array()) out.records.push_back(record(map, item.as_object()));
    if (const auto* more = result.as_object().if_contains("nextRecordsUrl"); more && more->is_string())
      out.next = more->as_string();
    co_return out;
  }

  asio::awaitable<std::vector<RemoteRecord>> create(const ObjectMap& map, std::vector<Values> records) override {
    std::vector<RemoteRecord> out;
    for (std::size_t start = 0; start < records.size(); start += salesforce_batch) {
      auto end = std::min(records.size(), start + salesforce_batch);
      auto body = composite_create_body(map, records, start, end);
      auto answer = co_await call("POST", base_ + std::string(salesforce_api) + "/composite", std::move(body));
      auto made = expect(answer, "Salesforce composite create " + map.remote_type);
      const auto& results = made.at("compositeResponse").as_array();
      for (auto i = start; i < end; ++i) {
        auto reference = "r" + std::to_string(i - start);
        auto found = std::find_if(results.begin(), results.end(),
                                  [&](const json::value& r) { return r.at("referenceId").as_string() == reference; });
        if (found == results.end() || found->at("httpStatusCode").to_number<int>() != 201)
          throw core::Error(core::ErrorKind::bad_gateway, "Salesforce refused a " + map.remote_type + ": " +
                                                              (found == results.end() ? "no answer" : json::serialize(found->at("body")).substr(0, 300)));
        RemoteRecord r;
        r.id = text_of(found->at("body").at("id"));
        r.properties = records[i];
        out.push_back(std::move(r));
      }
    }
    co_return out;
  }

  asio::awaitable<RemoteRecord> update(const ObjectMap& map, std::string id, Values properties) override {
    auto url = base_ + std::string(salesforce_api) + "/sobjects/" + map.remote_type + "/" + percent_encode(id);
    auto body = json::serialize(salesforce_body(map, properties));
    auto answer = co_await call("PATCH", url, std::move(body));
    throw_if_gone(answer, "Salesforce update " + map.remote_type);
    expect(answer, "Salesforce update " + map.remote_type, no_content_statuses);
    RemoteRecord r;  // a 204 tells no modification time: the next pull sees the same values and skips it
    r.id = std::move(id);
    r.properties = std::move(properties);
    co_return r;
  }

  // The REST subset lists no deletions (getDeleted and queryAll are not in it).
  asio::awaitable<ChangePage> removed(const ObjectMap&, std::string) override { co_return ChangePage{}; }

  asio::awaitable<void> remove(const ObjectMap& map, std::string id) override {
    auto url = base_ + std::string(salesforce_api) + "/sobjects/" + map.remote_type + "/" + percent_encode(id);
    auto answer = co_await call("DELETE", url, "");
    expect(answer, "Salesforce delete " + map.remote_type, deleted_statuses);
  }

  asio::awaitable<std::optional<RemoteRecord>> find_match(const ObjectMap& map, std::string value) override {
    auto soql = "SELECT " + field_list(map) + " FROM " + map.remote_type + " WHERE " + map.match_field + " = " +
                soql_quoted(value) + " LIMIT 1";
    auto answer = co_await call("GET", base_ + std::string(salesforce_api) + "/query?q=" + percent_encode(soql), "");
    auto result = expect(answer, "Salesforce query " + map.remote_type);
    const auto& records = result.at("records").as_array();
    if (records.empty()) co_return std::nullopt;
    co_return record(map, records[0].as_object());
  }

 private:
  // A call with the access token: fetched first (OAuth 2.0 refresh token or client
  // credentials), fetched again once when Salesforce answers 401 (the session expired).
  asio::awaitable<ai::HttpAnswer> call(std::string method, std::string url, std::string body) {
    if (limit_reached_)
      throw core::Error(core::ErrorKind::too_many_requests, "the Salesforce org's daily API limit is reached (Sforce-Limit-Info)");
    for (int attempt = 0;; ++attempt) {
      if (token_.empty()) co_await fetch_token();
      ai::HttpHeaders headers;
      headers.emplace_back("authorization", "Bearer " + token_);
      headers.emplace_back("accept", "application/json");
      if (!body.empty()) headers.emplace_back("content-type", "application/json");
      auto answer = co_await http_.send(method, url, std::move(headers), body);
      if (answer.status != 401 || attempt > 0) co_return answer;
      token_.clear();
    }
  }

  asio::awaitable<void> fetch_token() {
    auto form = salesforce_token_form(client_id_, client_secret_, refresh_token_);
    ai::HttpHeaders headers;
    headers.emplace_back("content-type", "application/x-www-form-urlencoded");
    headers.emplace_back("accept", "application/json");
    auto answer = co_await http_.send("POST", token_url_, std::move(headers), std::move(form));
    if (answer.status == 400 || answer.status == 401)
      throw core::Error(core::ErrorKind::bad_gateway, std::string("Salesforce refused the ") +
                                                          (refresh_token_.empty() ? "client credentials" : "refresh token") + ": " +
                                                          answer.body.substr(0, 300));
    auto token = expect(answer, "Salesforce token");
    token_ = text_of(token.at("access_token"));
    if (const auto* instance = token.as_object().if_contains("instance_url"); instance && instance->is_string())
      base_ = instance->as_string();  // every later call goes to the org's instance
  }

  static std::string field_list(const ObjectMap& map) {
    std::vector<std::string> fields{"Id", map.modified_field, map.match_field};
    for (const auto& f : map.fields)
      for (const auto& p : f.remote)
        if (std::find(fields.begin(), fields.end(), p) == fields.end()) fields.push_back(p);
    std::string out;
    for (const auto& f : fields) out += (out.empty() ? "" : ", ") + f;
    return out;
  }

  static RemoteRecord record(const ObjectMap& map, const json::object& item) {
    RemoteRecord r;
    r.id = text_of(item.at("Id"));
    for (const auto& [k, v] : item)
      if (k != "attributes") r.properties[k] = text_of(v);
    r.modified_at = parse_time(r.properties[map.modified_field]);
    return r;
  }

  VendorHttp http_;
  std::string base_, client_id_, client_secret_, refresh_token_, token_url_, token_;
  bool limit_reached_ = false;
};

}  // namespace

std::string salesforce_token_form(std::string_view client_id, std::string_view client_secret, std::string_view refresh_token) {
  auto client = "&client_id=" + percent_encode(client_id) + "&client_secret=" + percent_encode(client_secret);
  if (refresh_token.empty()) return "grant_type=client_credentials" + client;
  return "grant_type=refresh_token" + client + "&refresh_token=" + percent_encode(refresh_token);
}

asio::awaitable<std::optional<RemoteRecord>> Client::update_unless_gone(const ObjectMap& map, std::string id, Values properties) {
  try {
    co_return co_await update(map, std::move(id), std::move(properties));
  } catch (const core::Error& e) {
    if (e.kind() != core::ErrorKind::not_found) throw;
  }
  co_return std::nullopt;
}

asio::awaitable<std::vector<std::optional<RemoteRecord>>> Client::update_many(const ObjectMap& map,
                                                                             std::vector<std::pair<std::string, Values>> changes) {
  std::vector<std::optional<RemoteRecord>> out;
  for (auto& [id, properties] : changes) out.push_back(co_await update_unless_gone(map, std::move(id), std::move(properties)));
  co_return out;
}

std::unique_ptr<Client> make_client(asio::any_io_executor executor, const Endpoint& endpoint, RetryPolicy retry) {
  if (endpoint.base_url.empty()) throw core::Error(core::ErrorKind::bad_request, "the integration has no base URL");
  if (endpoint.vendor == Vendor::salesforce) return std::make_unique<Salesforce>(std::move(executor), endpoint, retry);
  return std::make_unique<HubSpot>(std::move(executor), endpoint, retry);
}

}  // namespace de::integrations::crm
