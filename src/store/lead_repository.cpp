#include "store/lead_repository.hpp"

#include <algorithm>
#include <deque>
#include <tuple>

#include "core/clock.hpp"
#include "core/json.hpp"
#include "store/planning.hpp"

namespace de::store {

namespace json = boost::json;
using core::parse_stored;
using core::to_text;

namespace {
Param nullable_real(const std::optional<double>& d) { return d ? Param(*d) : Param(nullptr); }

std::optional<double> optional_real(const Row& r, std::size_t i) {
  return r.is_null(i) ? std::nullopt : std::optional<double>(r.real(i));
}
}  // namespace

namespace leads {
namespace {
constexpr const char* columns =
    "SELECT id, external_id, name, email, company, source, status, owner, attributes, outcome, score, grade, "
    "probability, score_factors, score_method, model_id, scored_at, created_at, updated_at FROM leads";

Lead from_row(const Row& r) {
  Lead l;
  l.id = r.text(0);
  l.external_id = r.optional_text(1);
  l.name = r.text(2);
  l.email = r.text(3);
  l.company = r.text(4);
  l.source = r.text(5);
  l.status = r.text(6);
  l.owner = r.text(7);
  auto attributes = parse_stored(r.text(8));
  if (attributes.is_object()) l.attributes = std::move(attributes.get_object());
  l.outcome = r.text(9);
  l.score.score = r.integer(10);
  l.score.grade = r.text(11);
  l.score.probability = optional_real(r, 12);
  auto factors = parse_stored(r.text(13), json::array());
  if (factors.is_array()) l.score.factors = std::move(factors.get_array());
  l.score.method = r.text(14);
  l.score.model_id = r.optional_text(15);
  l.score.scored_at = r.integer(16);
  l.created_at = r.integer(17);
  l.updated_at = r.integer(18);
  return l;
}

std::optional<Lead> first(const Result& r) {
  if (r.rows.empty()) return std::nullopt;
  return from_row(r.rows[0]);
}
}  // namespace

void insert(Connection& c, const Lead& l) {
  auto attributes = to_text(l.attributes), factors = to_text(l.score.factors);
  c.query("INSERT INTO leads (id, external_id, name, email, company, source, status, owner, attributes, outcome, score, "
          "grade, probability, score_factors, score_method, model_id, scored_at, created_at, updated_at) "
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
          {std::string_view(l.id), nullable(l.external_id), std::string_view(l.name), std::string_view(l.email),
           std::string_view(l.company), std::string_view(l.source), std::string_view(l.status),
           std::string_view(l.owner), std::string_view(attributes), std::string_view(l.outcome), l.score.score,
           std::string_view(l.score.grade), nullable_real(l.score.probability), std::string_view(factors),
           std::string_view(l.score.method), nullable(l.score.model_id), l.score.scored_at, l.created_at,
           l.updated_at});
}

void insert(Connection& c, const std::vector<Lead>& leads) {
  constexpr std::size_t rows_per_statement = 200;  // 19 values a row, well under SQLite's 32,766
  for (std::size_t start = 0; start < leads.size(); start += rows_per_statement) {
    auto end = std::min(leads.size(), start + rows_per_statement);
    std::vector<std::string> texts;  // the JSON columns, alive while the statement runs
    texts.reserve(2 * (end - start));
    std::vector<Param> params;
    for (auto i = start; i < end; ++i) {
      const auto& l = leads[i];
      texts.push_back(to_text(l.attributes));
      texts.push_back(to_text(l.score.factors));
      params.insert(params.end(),
                    {std::string_view(l.id), nullable(l.external_id), std::string_view(l.name), std::string_view(l.email),
                     std::string_view(l.company), std::string_view(l.source), std::string_view(l.status),
                     std::string_view(l.owner), std::string_view(texts[texts.size() - 2]), std::string_view(l.outcome),
                     l.score.score, std::string_view(l.score.grade), nullable_real(l.score.probability),
                     std::string_view(texts.back()), std::string_view(l.score.method), nullable(l.score.model_id),
                     l.score.scored_at, l.created_at, l.updated_at});
    }
    c.query(insert_sql("INSERT INTO leads (id, external_id, name, email, company, source, status, owner, attributes, outcome, "
                       "score, grade, probability, score_factors, score_method, model_id, scored_at, created_at, updated_at)",
                       19, end - start),
            std::span<const Param>(params));
  }
}

void update(Connection& c, const Lead& l) {
  auto attributes = to_text(l.attributes), factors = to_text(l.score.factors);
  c.query("UPDATE leads SET external_id = ?, name = ?, email = ?, company = ?, source = ?, status = ?, owner = ?, "
          "attributes = ?, outcome = ?, score = ?, grade = ?, probability = ?, score_factors = ?, score_method = ?, "
          "model_id = ?, scored_at = ?, updated_at = ? WHERE id = ?",
          {nullable(l.external_id), std::string_view(l.name), std::string_view(l.email), std::string_view(l.company),
           std::string_view(l.source), std::string_view(l.status), std::string_view(l.owner),
           std::string_view(attributes), std::string_view(l.outcome), l.score.score, std::string_view(l.score.grade),
           nullable_real(l.score.probability), std::string_view(factors), std::string_view(l.score.method),
           nullable(l.score.model_id), l.score.scored_at, l.updated_at, std::string_view(l.id)});
}

bool remove(Connection& c, const std::string& id) {
  return c.query("DELETE FROM leads WHERE id = ?", {std::string_view(id)}).affected > 0;
}

std::optional<Lead> find(Connection& c, const std::string& id) {
  return first(c.query(std::string(columns) + " WHERE id = ?", {std::string_view(id)}));
}

std::map<std::string, Lead> find_by_external_ids(Connection& c, const std::vector<std::string>& external_ids) {
  std::map<std::string, Lead> out;
  constexpr std::size_t chunk = 500;
  for (std::size_t start = 0; start < external_ids.size(); start += chunk) {
    auto end = std::min(external_ids.size(), start + chunk);
    auto params = text_params(std::span(external_ids).subspan(start, end - start));
    auto sql = std::string(columns) + " WHERE external_id IN (" + placeholders(params.size()) + ")";
    for (const auto& row : c.query(sql, std::span<const Param>(params)).rows) {
      auto lead = from_row(row);
      out.emplace(*lead.external_id, std::move(lead));
    }
  }
  return out;
}

std::vector<Lead> find_by_emails(Connection& c, const std::vector<std::string>& emails) {
  std::vector<std::string> lowered;
  for (const auto& email : emails)
    if (!email.empty()) lowered.push_back(model::lower(email));
  std::vector<Lead> out;
  constexpr std::size_t chunk = 500;
  for (std::size_t start = 0; start < lowered.size(); start += chunk) {
    auto params = text_params(std::span(lowered).subspan(start, std::min(chunk, lowered.size() - start)));
    // lower(email): the expression of the index leads_by_email (migration 28).
    auto sql = std::string(plan_each_time) + columns + " WHERE lower(email) IN (" + placeholders(params.size()) + ")";
    auto found = with_index_scans(c, [&] { return c.query(sql, std::span<const Param>(params)); });
    for (const auto& row : found.rows) out.push_back(from_row(row));
  }
  std::sort(out.begin(), out.end(), [](const Lead& a, const Lead& b) { return std::tie(a.created_at, a.id) < std::tie(b.created_at, b.id); });
  return out;
}

Page<Lead> list(Connection& c, const Filter& filter, const PageRequest& page) {
  std::string sql = columns;
  std::vector<Param> params;
  std::deque<std::string> owned;
  auto where = [&](const char* condition, Param value) {
    sql += params.empty() ? " WHERE " : " AND ";
    sql += condition;
    params.push_back(value);
  };
  auto text = [&](const char* condition, const std::optional<std::string>& value) {
    if (value) where(condition, std::string_view(owned.emplace_back(*value)));
  };
  text("outcome = ?", filter.outcome);
  text("status = ?", filter.status);
  text("source = ?", filter.source);
  text("owner = ?", filter.owner);
  text("grade = ?", filter.grade);
  if (filter.min_score) where("score >= ?", *filter.min_score);
  if (page.cursor && filter.by_score) {
    // After the cursor's lead in (score, id) order, highest first.
    std::string_view cursor(owned.emplace_back(*page.cursor));
    sql += params.empty() ? " WHERE " : " AND ";
    sql += "(score < (SELECT score FROM leads WHERE id = ?) OR (score = (SELECT score FROM leads WHERE id = ?) AND id < ?))";
    params.insert(params.end(), {cursor, cursor, cursor});
  } else if (page.cursor) {
    text("id < ?", page.cursor);
  }
  sql += filter.by_score ? " ORDER BY score DESC, id DESC LIMIT ?" : " ORDER BY id DESC LIMIT ?";
  params.emplace_back(page.limit + 1);
  auto r = c.query(sql, std::span<const Param>(params));
  return to_page<Lead>(r, page, from_row);
}

std::vector<std::pair<json::object, bool>> training_rows(Connection& c) {
  std::vector<std::pair<json::object, bool>> out;
  // In id (creation) order, so that the same leads give the same split on both backends.
  for (const auto& row : c.query("SELECT attributes, outcome FROM leads WHERE outcome <> 'open' ORDER BY id").rows) {
    auto attributes = parse_stored(row.text(0));
    out.emplace_back(attributes.is_object() ? std::move(attributes.get_object()) : json::object(),
                     row.text(1) == "converted");
  }
  return out;
}

std::vector<Lead> open_leads(Connection& c) {
  std::vector<Lead> out;
  for (const auto& row : c.query(std::string(columns) + " WHERE outcome = 'open'").rows) out.push_back(from_row(row));
  return out;
}

bool set_score(Connection& c, const std::string& id, std::int64_t updated_at, const Score& s) {
  auto factors = to_text(s.factors);
  return c.query("UPDATE leads SET score = ?, grade = ?, probability = ?, score_factors = ?, score_method = ?, "
                 "model_id = ?, scored_at = ? WHERE id = ? AND updated_at = ?",
                 {s.score, std::string_view(s.grade), nullable_real(s.probability), std::string_view(factors),
                  std::string_view(s.method), nullable(s.model_id), s.scored_at, std::string_view(id), updated_at})
             .affected > 0;
}

std::map<std::string, std::int64_t> count_by_method(Connection& c) {
  std::map<std::string, std::int64_t> out;
  for (const auto& row : c.query("SELECT score_method, count(*) FROM leads GROUP BY score_method").rows)
    out[row.text(0)] = row.integer(1);
  return out;
}

json::object to_json(const Score& s) {
  json::object o;
  o["score"] = s.score;
  o["grade"] = s.grade;
  o["probability"] = s.probability ? json::value(*s.probability) : json::value(nullptr);
  o["method"] = s.method;
  o["model_id"] = s.model_id ? json::value(*s.model_id) : json::value(nullptr);
  o["factors"] = s.factors;
  return o;
}

json::object scored_event(const std::string& id, const Score& s) {
  auto o = to_json(s);
  o["id"] = id;
  o["scored_at"] = core::format_timestamp(s.scored_at);
  return o;
}

json::object to_json(const Lead& l) {
  json::object o;
  o["id"] = l.id;
  o["external_id"] = l.external_id ? json::value(*l.external_id) : json::value(nullptr);
  o["name"] = l.name;
  o["email"] = l.email;
  o["company"] = l.company;
  o["source"] = l.source;
  o["status"] = l.status;
  o["owner"] = l.owner;
  o["attributes"] = l.attributes;
  o["outcome"] = l.outcome;
  o["score"] = l.score.score;
  o["grade"] = l.score.grade;
  o["probability"] = l.score.probability ? json::value(*l.score.probability) : json::value(nullptr);
  o["score_factors"] = l.score.factors;
  o["score_method"] = l.score.method;
  o["model_id"] = l.score.model_id ? json::value(*l.score.model_id) : json::value(nullptr);
  o["scored_at"] = core::format_timestamp(l.score.scored_at);
  o["created_at"] = core::format_timestamp(l.created_at);
  o["updated_at"] = core::format_timestamp(l.updated_at);
  return o;
}
}  // namespace leads

namespace lead_models {
namespace {
constexpr const char* columns =
    "SELECT id, status, active, activate, exclude, task_id, created_by, error, metadata, created_at, completed_at, "
    "activated_at FROM lead_models";

Record from_row(const Row& r) {
  Record m;
  m.id = r.text(0);
  m.status = r.text(1);
  m.active = r.boolean(2);
  m.activate = r.text(3);
  auto exclude = parse_stored(r.text(4), json::array());
  if (exclude.is_array())
    for (const auto& e : exclude.get_array())
      if (e.is_string()) m.exclude.emplace_back(e.get_string());
  m.task_id = r.optional_text(5);
  m.created_by = r.optional_text(6);
  m.error = r.optional_text(7);
  if (!r.is_null(8)) {
    auto metadata = parse_stored(r.text(8));
    if (metadata.is_object()) m.metadata = std::move(metadata.get_object());
  }
  m.created_at = r.integer(9);
  m.completed_at = r.optional_integer(10);
  m.activated_at = r.optional_integer(11);
  return m;
}

}  // namespace

void insert(Connection& c, const Record& m) {
  json::array exclude;
  for (const auto& e : m.exclude) exclude.emplace_back(e);
  auto exclude_text = to_text(exclude);
  c.query("INSERT INTO lead_models (id, status, active, activate, exclude, task_id, created_by, created_at) "
          "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
          {std::string_view(m.id), std::string_view(m.status), std::int64_t(m.active), std::string_view(m.activate),
           std::string_view(exclude_text), nullable(m.task_id), nullable(m.created_by), m.created_at});
}

std::optional<Record> find(Connection& c, const std::string& id) {
  auto r = c.query(std::string(columns) + " WHERE id = ?", {std::string_view(id)});
  if (r.rows.empty()) return std::nullopt;
  return from_row(r.rows[0]);
}

Page<Record> list(Connection& c, const PageRequest& page) {
  auto r = page.cursor ? c.query(std::string(columns) + " WHERE id < ? ORDER BY id DESC LIMIT ?",
                                 {std::string_view(*page.cursor), page.limit + 1})
                       : c.query(std::string(columns) + " ORDER BY id DESC LIMIT ?", {page.limit + 1});
  return to_page<Record>(r, page, from_row);
}

std::optional<std::string> active_id(Connection& c) {
  auto r = c.query("SELECT id FROM lead_models WHERE active = ?", {std::int64_t(1)});
  if (r.rows.empty()) return std::nullopt;
  return r.rows[0].text(0);
}

std::optional<std::string> trees(Connection& c, const std::string& id) {
  auto r = c.query("SELECT trees FROM lead_models WHERE id = ? AND status = 'ready'", {std::string_view(id)});
  if (r.rows.empty()) return std::nullopt;
  return r.rows[0].optional_text(0);
}

void finish(Connection& c, const std::string& id, const json::object& metadata, const std::string& trees,
            std::int64_t now) {
  auto text = to_text(metadata);
  c.query("UPDATE lead_models SET status = 'ready', metadata = ?, trees = ?, completed_at = ? WHERE id = ?",
          {std::string_view(text), std::string_view(trees), now, std::string_view(id)});
}

void fail(Connection& c, const std::string& id, const std::string& error, std::int64_t now) {
  c.query("UPDATE lead_models SET status = 'failed', error = ?, completed_at = ? WHERE id = ?",
          {std::string_view(error), now, std::string_view(id)});
}

void activate(Connection& c, const std::string& id, std::int64_t now) {
  c.query("UPDATE lead_models SET active = ? WHERE active = ?", {std::int64_t(0), std::int64_t(1)});
  c.query("UPDATE lead_models SET active = ?, activated_at = ? WHERE id = ?", {std::int64_t(1), now, std::string_view(id)});
}

json::object to_json(const Record& m) {
  json::object o;
  o["id"] = m.id;
  o["status"] = m.status;
  o["active"] = m.active;
  o["activate"] = m.activate;
  json::array exclude;
  for (const auto& e : m.exclude) exclude.emplace_back(e);
  o["exclude"] = std::move(exclude);
  o["task_id"] = m.task_id ? json::value(*m.task_id) : json::value(nullptr);
  o["created_by"] = m.created_by ? json::value(*m.created_by) : json::value(nullptr);
  o["error"] = m.error ? json::value(*m.error) : json::value(nullptr);
  // What training learnt: the columns used (with their kinds) and those left out, importance,
  // the hold-out evaluation, sizes.
  const auto* features = m.metadata.if_contains("features");
  o["columns"] = features ? features->at("columns") : json::value(json::array());
  o["ignored_columns"] = features ? features->at("ignored") : json::value(json::array());
  for (const char* key : {"importance", "evaluation", "threshold", "training_rows", "validation_rows", "trees"})
    o[key] = m.metadata.contains(key) ? m.metadata.at(key) : json::value(nullptr);
  if (!m.metadata.contains("importance")) o["importance"] = json::array();
  o["created_at"] = core::format_timestamp(m.created_at);
  o["completed_at"] = core::time_or_null(m.completed_at);
  o["activated_at"] = core::time_or_null(m.activated_at);
  return o;
}
}  // namespace lead_models

}  // namespace de::store
