#include "store/deal_repository.hpp"

#include <boost/json/object.hpp>

#include <map>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/json.hpp"
#include "core/money.hpp"

namespace de::store::deals {

namespace json = boost::json;

namespace {
constexpr const char* columns =
    "SELECT id, name, account, owner, stage, amount_minor, currency, probability, expected_close, lead_id, "
    "created_by, created_at, updated_at, stage_changed_at, closed_at FROM deals";

Deal from_row(const Row& r) {
  Deal d;
  d.id = r.text(0);
  d.name = r.text(1);
  d.account = r.text(2);
  d.owner = r.text(3);
  d.stage = r.text(4);
  d.amount_minor = r.integer(5);
  d.currency = r.text(6);
  if (!r.is_null(7)) d.probability = r.real(7);
  d.expected_close = r.optional_text(8);
  d.lead_id = r.optional_text(9);
  d.created_by = r.optional_text(10);
  d.created_at = r.integer(11);
  d.updated_at = r.integer(12);
  d.stage_changed_at = r.integer(13);
  d.closed_at = r.optional_integer(14);
  return d;
}

Param nullable(const std::optional<double>& v) { return v ? Param(*v) : Param(nullptr); }

constexpr std::size_t rows_per_statement = 200;

// The key a list is ordered by, as SQL (deals without an expected close sort as '').
const char* key_sql(SortKey key) {
  switch (key) {
    case SortKey::created_at: return "created_at";
    case SortKey::updated_at: return "updated_at";
    case SortKey::amount: return "amount_minor";
    case SortKey::expected_close: return "COALESCE(expected_close, '')";
    case SortKey::name: return "name";
  }
  return "created_at";
}

bool numeric(SortKey key) { return key == SortKey::created_at || key == SortKey::updated_at || key == SortKey::amount; }
}  // namespace

void insert(Connection& c, const std::vector<History>& deals) {
  for (std::size_t start = 0; start < deals.size(); start += rows_per_statement) {
    auto end = std::min(deals.size(), start + rows_per_statement);
    std::vector<Param> params;
    std::size_t changes = 0;
    for (auto i = start; i < end; ++i) {
      const auto& d = deals[i].deal;
      params.insert(params.end(), {std::string_view(d.id), std::string_view(d.name), std::string_view(d.account),
                                   std::string_view(d.owner), std::string_view(d.stage), d.amount_minor,
                                   std::string_view(d.currency), nullable(d.probability), store::nullable(d.expected_close),
                                   store::nullable(d.lead_id), store::nullable(d.created_by), d.created_at, d.updated_at,
                                   d.stage_changed_at, store::nullable(d.closed_at)});
      changes += deals[i].changes.size();
    }
    c.query(insert_sql("INSERT INTO deals (id, name, account, owner, stage, amount_minor, currency, probability, "
                       "expected_close, lead_id, created_by, created_at, updated_at, stage_changed_at, closed_at)",
                       15, end - start),
            std::span<const Param>(params));
    params.clear();
    for (auto i = start; i < end; ++i)
      for (const auto& change : deals[i].changes)
        params.insert(params.end(), {std::string_view(deals[i].deal.id), store::nullable(change.from_stage),
                                     std::string_view(change.to_stage), store::nullable(change.changed_by),
                                     change.changed_at});
    if (changes)
      c.query(insert_sql("INSERT INTO deal_stage_changes (deal_id, from_stage, to_stage, changed_by, changed_at)", 5,
                         changes),
              std::span<const Param>(params));
  }
}

void update(Connection& c, const Deal& d) {
  c.query("UPDATE deals SET name = ?, account = ?, owner = ?, stage = ?, amount_minor = ?, currency = ?, "
          "probability = ?, expected_close = ?, lead_id = ?, updated_at = ?, stage_changed_at = ?, closed_at = ? "
          "WHERE id = ?",
          {std::string_view(d.name), std::string_view(d.account), std::string_view(d.owner), std::string_view(d.stage),
           d.amount_minor, std::string_view(d.currency), nullable(d.probability), store::nullable(d.expected_close),
           store::nullable(d.lead_id), d.updated_at, d.stage_changed_at, store::nullable(d.closed_at),
           std::string_view(d.id)});
}

void add_stage_change(Connection& c, const std::string& deal_id, const StageChange& change) {
  c.query("INSERT INTO deal_stage_changes (deal_id, from_stage, to_stage, changed_by, changed_at) VALUES (?, ?, ?, ?, ?)",
          {std::string_view(deal_id), store::nullable(change.from_stage), std::string_view(change.to_stage),
           store::nullable(change.changed_by), change.changed_at});
}

bool remove(Connection& c, const std::string& id) {  // its history goes with it (ON DELETE CASCADE)
  return c.query("DELETE FROM deals WHERE id = ?", {std::string_view(id)}).affected > 0;
}

std::optional<Deal> find(Connection& c, const std::string& id) {
  auto r = c.query(std::string(columns) + " WHERE id = ?", {std::string_view(id)});
  if (r.rows.empty()) return std::nullopt;
  return from_row(r.rows[0]);
}

std::vector<StageChange> history(Connection& c, const std::string& id) {
  std::vector<StageChange> out;
  for (const auto& r : c.query("SELECT from_stage, to_stage, changed_by, changed_at FROM deal_stage_changes "
                               "WHERE deal_id = ? ORDER BY id",
                               {std::string_view(id)})
                           .rows)
    out.push_back({r.optional_text(0), r.text(1), r.optional_text(2), r.integer(3)});
  return out;
}

std::int64_t count(Connection& c) { return c.query("SELECT count(*) FROM deals").rows.at(0).integer(0); }

Page<Deal> list(Connection& c, const Filter& filter, const Sort& sort, const PageRequest& page) {
  std::string key = key_sql(sort.key);
  std::string sql = columns;
  std::vector<Param> params;
  std::vector<std::string> where;
  if (filter.stage) {
    where.push_back("stage = ?");
    params.emplace_back(std::string_view(*filter.stage));
  }
  if (filter.owner) {
    where.push_back("owner = ?");
    params.emplace_back(std::string_view(*filter.owner));
  }
  if (filter.closed) where.push_back(*filter.closed ? "stage IN ('won', 'lost')" : "stage NOT IN ('won', 'lost')");
  std::optional<std::string> cursor_key;
  if (page.cursor) {
    auto r = c.query("SELECT " + key + " FROM deals WHERE id = ?", {std::string_view(*page.cursor)});
    if (r.rows.empty()) throw core::Error(core::ErrorKind::bad_request, "cursor is not valid: its deal is gone");
    cursor_key = r.rows[0].text(0);
    const char* beyond = sort.descending ? "<" : ">";
    where.push_back("(" + key + " " + beyond + " ? OR (" + key + " = ? AND id " + beyond + " ?))");
    for (int i = 0; i < 2; ++i)
      params.push_back(numeric(sort.key) ? Param(std::stoll(*cursor_key)) : Param(std::string_view(*cursor_key)));
    params.emplace_back(std::string_view(*page.cursor));
  }
  for (std::size_t i = 0; i < where.size(); ++i) sql += (i ? " AND " : " WHERE ") + where[i];
  const char* direction = sort.descending ? " DESC" : " ASC";
  sql += " ORDER BY " + key + direction + ", id" + direction + " LIMIT ?";
  params.emplace_back(page.limit + 1);
  auto r = c.query(sql, std::span<const Param>(params));
  return to_page<Deal>(r, page, from_row);
}

std::vector<History> all(Connection& c) {
  std::vector<History> out;
  std::map<std::string, std::size_t> index;
  for (const auto& r : c.query(std::string(columns) + " ORDER BY id").rows) {
    index[r.text(0)] = out.size();
    out.push_back({from_row(r), {}});
  }
  for (const auto& r : c.query("SELECT deal_id, from_stage, to_stage, changed_by, changed_at FROM deal_stage_changes "
                               "ORDER BY id")
                           .rows)
    if (auto it = index.find(r.text(0)); it != index.end())
      out[it->second].changes.push_back({r.optional_text(1), r.text(2), r.optional_text(3), r.integer(4)});
  return out;
}

namespace {
json::value text_or_null(const std::optional<std::string>& text) { return text ? json::value(*text) : json::value(nullptr); }
}  // namespace

json::object to_json(const Deal& d) {
  return {{"id", d.id},
          {"name", d.name},
          {"account", d.account},
          {"owner", d.owner},
          {"stage", d.stage},
          {"amount", core::format_money(d.amount_minor, d.currency)},
          {"currency", d.currency},
          {"probability", d.probability ? json::value(*d.probability) : json::value(nullptr)},
          {"expected_close", text_or_null(d.expected_close)},
          {"lead_id", text_or_null(d.lead_id)},
          {"created_by", text_or_null(d.created_by)},
          {"created_at", core::format_timestamp(d.created_at)},
          {"updated_at", core::format_timestamp(d.updated_at)},
          {"stage_changed_at", core::format_timestamp(d.stage_changed_at)},
          {"closed_at", core::time_or_null(d.closed_at)}};
}

json::object to_json(const StageChange& c) {
  return {{"from_stage", text_or_null(c.from_stage)},
          {"to_stage", c.to_stage},
          {"changed_by", text_or_null(c.changed_by)},
          {"changed_at", core::format_timestamp(c.changed_at)}};
}

}  // namespace de::store::deals
