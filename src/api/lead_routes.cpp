// Leads, their CSV import and scores, and the lead models (docs/sales.md). The scoring and
// training work runs off the I/O threads (LeadScoring blocks on XGBoost and the database).
#include <fmt/format.h>

#include <charconv>
#include <set>

#include "core/csv.hpp"
#include "agents/sales/sales_agent.hpp"
#include "api/audit.hpp"
#include "api/context.hpp"
#include "core/clock.hpp"
#include "core/ids.hpp"
#include "store/lead_repository.hpp"

namespace de::api {

namespace {
using auth::Permission;
using agents::sales::LeadFields;
using store::leads::Lead;

constexpr std::size_t import_body_limit = 64 * 1024 * 1024;
constexpr std::size_t score_body_limit = 32 * 1024 * 1024;
constexpr std::size_t most_import_rows = 100000, most_scored = 10000, most_reported = 100;

agents::sales::LeadScoring& scoring(Context& ctx) {
  if (!ctx.leads) throw core::Error(core::ErrorKind::unavailable, "lead scoring is not running");
  return *ctx.leads;
}

// ---- reading leads --------------------------------------------------------------------------

// Reads a lead's fields from a POST or PATCH body into `lead`.
void read_lead(const json::object& body, Lead& lead) {
  core::ObjectReader r(body);
  auto text = [&](const char* key, std::string& into, std::size_t longest) {
    if (auto v = r.string(key, false, longest)) into = *v;
  };
  if (const auto* external = r.any("external_id", false)) {
    if (external->is_null()) lead.external_id.reset();
    else if (external->is_string() && !external->get_string().empty() && external->get_string().size() <= 200)
      lead.external_id = std::string(external->get_string());
    else r.error("external_id", "must be a string of 1 to 200 characters, or null");
  }
  text("name", lead.name, 200);
  text("email", lead.email, 320);
  text("company", lead.company, 200);
  text("source", lead.source, 100);
  text("status", lead.status, 100);
  text("owner", lead.owner, 200);
  if (auto outcome = r.choice("outcome", false, store::leads::outcomes)) lead.outcome = *outcome;
  const auto* attributes = r.object("attributes", false);
  auto errors = r.take_errors();
  if (!lead.email.empty() && lead.email.find('@') == std::string::npos)
    errors.push_back({"email", "must be an email address"});
  if (attributes) {
    check_attributes(*attributes, "attributes", errors);
    lead.attributes = *attributes;
  }
  core::throw_if_errors(std::move(errors));
}

Lead find_lead(store::Connection& c, const std::string& id) {
  auto lead = store::leads::find(c, id);
  if (!lead) throw core::not_found("lead", id);
  return *lead;
}

// Stores a new or changed lead with its events (`leads.created` or `leads.updated`, then
// `leads.scored`); a second lead with the same external id is a conflict.
void save_lead(store::Tx& tx, const Lead& lead, bool creating) {
  if (lead.external_id)
    if (auto same = store::leads::find_by_external_ids(tx.connection, {*lead.external_id});
        !same.empty() && same.begin()->second.id != lead.id)
      throw core::Error(core::ErrorKind::conflict, "another lead has the external_id '" + *lead.external_id + "'",
                        {{"external_id", "is taken by lead " + same.begin()->second.id}});
  creating ? store::leads::insert(tx.connection, lead) : store::leads::update(tx.connection, lead);
  auto data = store::leads::to_json(lead);
  tx.emit(creating ? "leads.created" : "leads.updated", data);
  tx.emit("leads.scored", store::leads::scored_event(lead.id, lead.score));
}

store::leads::Filter lead_filter(const Request& request) {
  store::leads::Filter f;
  f.outcome = request.query("outcome");
  if (f.outcome && std::find(std::begin(store::leads::outcomes), std::end(store::leads::outcomes), *f.outcome) ==
                       std::end(store::leads::outcomes))
    throw core::Error(core::ErrorKind::bad_request, "outcome must be one of: converted, lost, open");
  f.status = request.query("status");
  f.source = request.query("source");
  f.owner = request.query("owner");
  f.grade = request.query("grade");
  if (f.grade && (f.grade->size() != 1 || (*f.grade)[0] < 'A' || (*f.grade)[0] > 'D'))
    throw core::Error(core::ErrorKind::bad_request, "grade must be one of: A, B, C, D");
  if (auto min = request.query("min_score")) {
    std::int64_t n = -1;
    auto [end, ec] = std::from_chars(min->data(), min->data() + min->size(), n);
    if (ec != std::errc() || end != min->data() + min->size() || n < 0 || n > 100)
      throw core::Error(core::ErrorKind::bad_request, "min_score must be an integer from 0 to 100");
    f.min_score = n;
  }
  if (auto sort = request.query("sort")) {
    if (*sort != "score" && *sort != "created")
      throw core::Error(core::ErrorKind::bad_request, "sort must be 'score' (highest first) or 'created' (newest first)");
    f.by_score = *sort == "score";
  }
  return f;
}

// ---- CSV import -----------------------------------------------------------------------------

struct ImportOptions {
  std::optional<std::string> outcome_column, id_column;
  bool partial = false;
};

struct Rejected {
  std::size_t row;
  std::string column, reason;
};

struct Parsed {
  std::vector<Lead> leads;
  std::vector<std::size_t> rows;  // each lead's row in the file
  std::vector<Rejected> rejected;
};

ImportOptions import_options(const Request& request) {
  ImportOptions o;
  auto named = [&](const char* key) -> std::optional<std::string> {
    auto v = request.query(key);
    if (v && v->empty()) return std::nullopt;
    return v;
  };
  o.outcome_column = named("outcome_column");
  o.id_column = named("id_column");
  if (auto partial = request.query("partial")) {
    if (*partial != "true" && *partial != "false")
      throw core::Error(core::ErrorKind::bad_request, "partial must be true or false");
    o.partial = *partial == "true";
  }
  auto type = request.header("content-type");
  auto base = model::lower(std::string(type.substr(0, type.find(';'))));
  while (!base.empty() && base.back() == ' ') base.pop_back();
  if (base != "text/csv")
    throw core::Error(core::ErrorKind::unsupported_media_type, "send the leads as CSV with 'Content-Type: text/csv'");
  return o;
}

std::optional<std::string> outcome_of(std::string_view text) {
  auto t = model::lower(std::string(text));
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.pop_back();
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.front()))) t.erase(0, 1);
  if (t.empty()) return "open";
  if (t == "1" || t == "true" || t == "yes" || t == "converted") return "converted";
  if (t == "0" || t == "false" || t == "no" || t == "lost") return "lost";
  return std::nullopt;
}

// A CSV value with its type: a number when it reads as one (and would be written back the
// same, so "00123" stays text), true/false, null when empty, else the text.
json::value typed(const std::string& text) {
  if (text.empty()) return nullptr;
  auto lower = model::lower(text);
  if (lower == "true" || lower == "false") return lower == "true";
  bool leading_zero = text.size() > 1 && text[0] == '0' && text[1] != '.';
  if (!leading_zero && text.front() != '+' && text.front() != '.' && text.back() != '.') {
    std::int64_t i = 0;
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), i);
    if (ec == std::errc() && end == text.data() + text.size()) return i;
    double d = 0;
    auto [dend, dec] = std::from_chars(text.data(), text.data() + text.size(), d, std::chars_format::fixed);
    if (dec == std::errc() && dend == text.data() + text.size()) return d;
  }
  return json::value(text);
}

core::Error malformed(const core::CsvError& e) {
  return core::Error(core::ErrorKind::bad_request,
                     fmt::format("the CSV file is malformed at row {}, column {}: {}", e.row, e.column, e.message),
                     {{fmt::format("row {}, column {}", e.row, e.column), e.message}});
}

std::optional<std::size_t> column_index(const std::vector<std::string>& header, const std::string& name) {
  auto it = std::find(header.begin(), header.end(), name);
  if (it == header.end()) return std::nullopt;
  return std::size_t(it - header.begin());
}

// The leads of a CSV file; throws bad_request on a malformed file, keeps rows with bad values
// in `rejected`.
Parsed parse_csv(std::string_view text, const ImportOptions& options) {
  core::CsvReader reader(text);
  if (reader.error()) throw malformed(*reader.error());
  const auto& header = reader.header();
  std::optional<std::size_t> outcome_at, id_at;
  for (auto [name, at, key] : {std::tuple(&options.outcome_column, &outcome_at, "outcome_column"),
                               std::tuple(&options.id_column, &id_at, "id_column")}) {
    if (!*name) continue;
    *at = column_index(header, **name);
    if (!*at)
      throw core::Error(core::ErrorKind::bad_request, fmt::format("{} '{}' is not a column of the file", key, **name),
                        {{key, "no column of the header is named '" + **name + "'"}});
  }
  // Columns named as a lead's own fields fill them too (they stay attributes as well).
  const char* own[] = {"name", "email", "company", "source", "status", "owner"};
  std::vector<int> own_field(header.size(), -1);
  for (std::size_t i = 0; i < header.size(); ++i)
    for (int k = 0; k < 6; ++k)
      if (model::lower(header[i]) == own[k]) own_field[i] = k;
  Parsed out;
  std::map<std::string, std::size_t> id_rows;
  std::vector<std::string> fields;
  while (reader.next(fields)) {
    auto row = reader.row();
    if (out.leads.size() + out.rejected.size() >= most_import_rows)
      throw core::Error(core::ErrorKind::bad_request,
                        fmt::format("the file has more than {} rows", most_import_rows),
                        {{fmt::format("row {}", row), "past the limit of rows"}});
    auto reject = [&](std::string column, std::string reason) { out.rejected.push_back({row, std::move(column), std::move(reason)}); };
    if (fields.size() != header.size()) {
      // Named: the first column without a field, or the first field without a column.
      reject(fields.size() < header.size() ? header[fields.size()] : std::to_string(header.size() + 1),
             fmt::format("the row has {} fields, the header {}", fields.size(), header.size()));
      continue;
    }
    Lead lead;
    bool bad = false;
    for (std::size_t i = 0; i < fields.size() && !bad; ++i) {
      if (fields[i].size() > longest_attribute) {
        reject(header[i], fmt::format("the value is longer than {} characters", longest_attribute));
        bad = true;
      } else if (outcome_at && i == *outcome_at) {
        auto outcome = outcome_of(fields[i]);
        if (!outcome) {
          reject(header[i], "'" + fields[i] + "' is not an outcome (1/0, true/false, yes/no, converted/lost, or empty)");
          bad = true;
        } else {
          lead.outcome = *outcome;
        }
      } else if (id_at && i == *id_at) {
        if (fields[i].empty() || fields[i].size() > 200) {
          reject(header[i], "the id must have 1 to 200 characters");
          bad = true;
        } else if (auto [it, fresh] = id_rows.emplace(fields[i], row); !fresh) {
          reject(header[i], fmt::format("the id '{}' is also on row {}", fields[i], it->second));
          bad = true;
        } else {
          lead.external_id = fields[i];
        }
      } else {
        std::string* targets[] = {&lead.name, &lead.email, &lead.company, &lead.source, &lead.status, &lead.owner};
        if (own_field[i] >= 0 && !fields[i].empty()) *targets[own_field[i]] = fields[i].substr(0, 200);
        lead.attributes[header[i]] = typed(fields[i]);
      }
    }
    if (bad) continue;
    out.leads.push_back(std::move(lead));
    out.rows.push_back(row);
  }
  if (reader.error()) throw malformed(*reader.error());
  return out;
}

core::Error rejected_error(const std::vector<Rejected>& rejected) {
  std::vector<core::FieldError> fields;
  for (std::size_t i = 0; i < rejected.size() && i < most_reported; ++i)
    fields.push_back({fmt::format("row {}, column {}", rejected[i].row, rejected[i].column), rejected[i].reason});
  const auto& first = rejected.front();
  return core::Error(core::ErrorKind::validation,
                     fmt::format("{} rows cannot be imported (the first: row {}, column {}: {}); nothing was imported; "
                                 "?partial=true imports the others",
                                 rejected.size(), first.row, first.column, first.reason),
                     std::move(fields));
}

json::object import_answer(std::size_t imported, std::size_t updated, const std::vector<Rejected>& rejected,
                           const std::optional<std::string>& model_id) {
  json::array list;
  for (const auto& r : rejected) {
    json::object o;
    o["row"] = r.row;
    o["column"] = r.column;
    o["reason"] = r.reason;
    list.push_back(std::move(o));
  }
  json::object o;
  o["imported"] = imported;
  o["updated"] = updated;
  o["rejected"] = std::move(list);
  o["model_id"] = model_id ? json::value(*model_id) : json::value(nullptr);
  return o;
}

struct Counts {
  std::size_t imported = 0, updated = 0;
};

// Stores the parsed leads: a lead whose external id is stored already is updated (keeping its
// id and creation time).
Counts store_import(store::Tx& tx, std::vector<Lead>& leads, const std::optional<std::string>& model_id,
                    std::size_t rejected) {
  std::vector<std::string> ids;
  for (const auto& l : leads)
    if (l.external_id) ids.push_back(*l.external_id);
  auto existing = store::leads::find_by_external_ids(tx.connection, ids);
  Counts counts;
  for (auto& lead : leads) {
    auto it = lead.external_id ? existing.find(*lead.external_id) : existing.end();
    if (it != existing.end()) {
      lead.id = it->second.id;
      lead.created_at = it->second.created_at;
      store::leads::update(tx.connection, lead);
      tx.emit("leads.updated", store::leads::to_json(lead));
      ++counts.updated;
    } else {
      store::leads::insert(tx.connection, lead);
      tx.emit("leads.created", store::leads::to_json(lead));
      ++counts.imported;
    }
  }
  // Each lead's event carries its score; the file and its scoring are summed up once each.
  json::object data;
  data["imported"] = counts.imported;
  data["updated"] = counts.updated;
  data["rejected"] = rejected;
  tx.emit("leads.imported", data);
  data = json::object();
  data["count"] = leads.size();
  data["model_id"] = model_id ? json::value(*model_id) : json::value(nullptr);
  data["reason"] = "imported";
  tx.emit("leads.scored", std::move(data));
  return counts;
}

// ---- scoring without storing ----------------------------------------------------------------

struct ScoreRequest {
  json::value body;  // owns the attributes the fields point into
  std::vector<LeadFields> leads;
  bool explain = false;
};

ScoreRequest read_score_request(const Request& request) {
  ScoreRequest out;
  out.body = json_body(request);
  const auto& body = out.body.get_object();
  core::ObjectReader r(body);
  const auto* leads = r.any("leads", true);
  out.explain = r.boolean("explain", false).value_or(false);
  auto errors = r.take_errors();
  if (leads && (!leads->is_array() || leads->get_array().empty() || leads->get_array().size() > most_scored))
    errors.push_back({"leads", fmt::format("must be an array of 1 to {} leads", most_scored)});
  else if (leads)
    for (std::size_t i = 0; i < leads->get_array().size() && errors.size() < most_reported; ++i) {
      auto field = fmt::format("leads[{}]", i);
      const auto& item = leads->get_array()[i];
      const auto* attributes = item.is_object() ? item.get_object().if_contains("attributes") : nullptr;
      if (!attributes || !attributes->is_object() || item.get_object().size() != 1) {
        errors.push_back({field, "must be {\"attributes\":{...}}"});
        continue;
      }
      check_attributes(attributes->get_object(), field + ".attributes", errors);
      LeadFields f;
      f.attributes = &attributes->get_object();
      out.leads.push_back(f);
    }
  core::throw_if_errors(std::move(errors));
  return out;
}

std::string scores_text(const agents::sales::Scores& scores) {
  json::array items;
  items.reserve(scores.items.size());
  for (const auto& p : scores.items) items.push_back(agents::sales::to_json(p, scores.model_id.has_value()));
  json::object o;
  o["model_id"] = scores.model_id ? json::value(*scores.model_id) : json::value(nullptr);
  o["method"] = scores.model_id ? "model" : "rules";
  o["items"] = std::move(items);
  return core::to_text(o);
}

// ---- lead models ----------------------------------------------------------------------------

struct NewModel {
  store::lead_models::Record record;
  model::Task task;
};

NewModel new_model(const json::object& body, const auth::Principal& who) {
  core::ObjectReader r(body);
  auto exclude = r.strings("exclude", false, 1000);
  auto activate = agents::sales::read_activate(r);
  r.finish();
  NewModel m;
  m.record.id = core::new_id();
  m.record.activate = activate.value_or("auto");
  m.record.exclude = exclude.value_or(std::vector<std::string>{});
  m.record.created_by = who.user_id;
  m.record.created_at = core::now_ms();
  m.task.id = core::new_id();
  m.task.title = "Train a lead model";
  m.task.type = "sales.train_lead_model";
  m.task.input_data = json::object{{"model_id", m.record.id}};
  m.task.max_attempts = 1;
  m.task.timeout_ms = 30 * 60 * 1000;
  m.task.created_by = who.user_id;
  m.task.created_at = m.task.updated_at = core::id_time_ms(m.task.id);
  m.record.task_id = m.task.id;
  return m;
}

store::lead_models::Record find_model(store::Connection& c, const std::string& id) {
  auto m = store::lead_models::find(c, id);
  if (!m) throw core::not_found("lead model", id);
  return *m;
}

json::object activated_json(store::Connection& c, const std::string& id, std::size_t rescored) {
  auto o = store::lead_models::to_json(find_model(c, id));
  o["rescored"] = rescored;
  return o;
}

json::object scored_lead_json(const Lead& lead, const agents::sales::Scores& scores) {
  auto o = agents::sales::to_json(scores.items.at(0), scores.model_id.has_value());
  o["lead_id"] = lead.id;
  o["model_id"] = scores.model_id ? json::value(*scores.model_id) : json::value(nullptr);
  return o;
}
}  // namespace

void add_lead_routes(Context& ctx, http::Router& router) {
  secured(ctx, router, "GET", "/api/v1/leads", Permission::read,
          [&ctx](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            auto page = page_request(request);
            auto filter = lead_filter(request);
            auto list = ctx.db.read([&](store::Connection& c) { return store::leads::list(c, filter, page); });
            co_return Response::json(200, page_json(list, [](const Lead& l) { return store::leads::to_json(l); }));
          });

  secured(ctx, router, "POST", "/api/v1/leads", Permission::manage_leads,
          [&ctx](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            Lead lead;
            read_lead(json_body(request), lead);
            lead.id = core::new_id();
            lead.created_at = lead.updated_at = core::now_ms();
            co_await on_cpu(ctx, [&] { scoring(ctx).score_leads(std::span(&lead, 1), lead.created_at); });
            co_await write(ctx.db, [&](store::Tx& tx) { save_lead(tx, lead, true); });
            co_return created(store::leads::to_json(lead), "/api/v1/leads/" + lead.id);
          });

  secured(ctx, router, "GET", "/api/v1/leads/{id}", Permission::read,
          [&ctx](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            const auto& id = id_param(request, "lead");
            co_return Response::json(200, store::leads::to_json(ctx.db.read([&](store::Connection& c) { return find_lead(c, id); })));
          });

  secured(ctx, router, "PATCH", "/api/v1/leads/{id}", Permission::manage_leads,
          [&ctx](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            const auto& id = id_param(request, "lead");
            auto body = json_body(request);
            auto lead = ctx.db.read([&](store::Connection& c) { return find_lead(c, id); });
            read_lead(body, lead);
            lead.updated_at = core::now_ms();
            co_await on_cpu(ctx, [&] { scoring(ctx).score_leads(std::span(&lead, 1), lead.updated_at); });
            co_await write(ctx.db, [&](store::Tx& tx) {
              if (!store::leads::find(tx.connection, id)) throw core::not_found("lead", id);
              save_lead(tx, lead, false);
            });
            co_return Response::json(200, store::leads::to_json(lead));
          });

  secured(ctx, router, "DELETE", "/api/v1/leads/{id}", Permission::manage_leads,
          [&ctx](Request& request, const auth::Principal& who) -> asio::awaitable<Response> {
            const auto& id = id_param(request, "lead");
            co_await write(ctx.db, [&](store::Tx& tx) {
              if (!store::leads::remove(tx.connection, id)) throw core::not_found("lead", id);
              tx.emit("leads.deleted", json::object{{"id", id}});
              audit(tx, request, who, "leads.deleted", "lead", id);
            });
            co_return Response::no_content();
          });

  secured(
      ctx, router, "POST", "/api/v1/leads/import", Permission::manage_leads,
      [&ctx](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
        auto options = import_options(request);
        auto parsed = co_await on_cpu(ctx, [&] { return parse_csv(request.body, options); });
        if (!parsed.rejected.empty() && !options.partial) throw rejected_error(parsed.rejected);
        auto now = core::now_ms();
        for (auto& lead : parsed.leads) {
          lead.id = core::new_id();
          lead.created_at = lead.updated_at = now;
        }
        auto scores = co_await on_cpu(ctx, [&] { return scoring(ctx).score_leads(parsed.leads, now); });
        auto counts = co_await write(
            ctx.db, [&](store::Tx& tx) { return store_import(tx, parsed.leads, scores.model_id, parsed.rejected.size()); });
        co_return Response::json(200, import_answer(counts.imported, counts.updated, parsed.rejected, scores.model_id));
      },
      import_body_limit);

  secured(
      ctx, router, "POST", "/api/v1/leads/score", Permission::run_tasks,
      [&ctx](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
        auto text = co_await on_cpu(ctx, [&] {
          auto in = read_score_request(request);
          return scores_text(scoring(ctx).score(in.leads, in.explain));
        });
        co_return Response::json_text(200, std::move(text));
      },
      score_body_limit);

  secured(ctx, router, "POST", "/api/v1/leads/{id}/score", Permission::run_tasks,
          [&ctx](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            const auto& id = id_param(request, "lead");
            auto lead = ctx.db.read([&](store::Connection& c) { return find_lead(c, id); });
            auto scores = co_await on_cpu(ctx, [&] { return scoring(ctx).score_leads(std::span(&lead, 1), core::now_ms()); });
            co_await write(ctx.db, [&](store::Tx& tx) { agents::sales::store_score(tx, lead); });
            co_return Response::json(200, scored_lead_json(lead, scores));
          });

  secured(ctx, router, "GET", "/api/v1/lead-models", Permission::read,
          [&ctx](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            auto page = page_request(request);
            auto list = ctx.db.read([&](store::Connection& c) { return store::lead_models::list(c, page); });
            co_return Response::json(
                200, page_json(list, [](const store::lead_models::Record& m) { return store::lead_models::to_json(m); }));
          });

  secured(ctx, router, "POST", "/api/v1/lead-models", Permission::manage_leads,
          [&ctx](Request& request, const auth::Principal& who) -> asio::awaitable<Response> {
            auto m = new_model(json_body(request), who);
            auto task = ctx.hub.prepare(std::move(m.task));
            co_await write(ctx.db, [&](store::Tx& tx) {
              store::lead_models::insert(tx.connection, m.record);
              ctx.hub.submit(tx, task, std::nullopt, std::nullopt);
            });
            auto response = Response::json(202, store::lead_models::to_json(m.record));
            response.set_header("Location", "/api/v1/lead-models/" + m.record.id);
            co_return response;
          });

  secured(ctx, router, "GET", "/api/v1/lead-models/{id}", Permission::read,
          [&ctx](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            const auto& id = id_param(request, "lead model");
            co_return Response::json(
                200, store::lead_models::to_json(ctx.db.read([&](store::Connection& c) { return find_model(c, id); })));
          });

  // Makes a ready model the active one (also a roll-back to an earlier model); every open lead
  // is scored again with it.
  secured(ctx, router, "POST", "/api/v1/lead-models/{id}/activate", Permission::manage_leads,
          [&ctx](Request& request, const auth::Principal&) -> asio::awaitable<Response> {
            const auto& id = id_param(request, "lead model");
            auto record = ctx.db.read([&](store::Connection& c) { return find_model(c, id); });
            if (record.status != "ready")
              throw core::Error(core::ErrorKind::conflict, "the lead model is " + record.status + "; only a ready model can be active");
            auto rescored = co_await on_cpu(ctx, [&] { return scoring(ctx).activate(id); });
            co_return Response::json(200, ctx.db.read([&](store::Connection& c) { return activated_json(c, id, rescored); }));
          });
}

}  // namespace de::api
