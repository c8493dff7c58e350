#include "store/campaign_repository.hpp"

#include "core/error.hpp"

namespace de::store::campaigns {

namespace {
constexpr const char* columns =
    "SELECT id, name, channel, status, budget_minor, currency, start_date, end_date, goal, created_by, created_at, "
    "updated_at FROM campaigns";

Campaign from_row(const Row& r) {
  Campaign x;
  x.id = r.text(0);
  x.name = r.text(1);
  x.channel = r.text(2);
  x.status = r.text(3);
  x.budget_minor = r.integer(4);
  x.currency = r.text(5);
  x.start = r.text(6);
  x.end = r.optional_text(7);
  x.goal = r.text(8);
  x.created_by = r.optional_text(9);
  x.created_at = r.integer(10);
  x.updated_at = r.integer(11);
  return x;
}

constexpr std::size_t days_per_statement = 100;
}  // namespace

void insert(Connection& c, const Campaign& x) {
  c.query("INSERT INTO campaigns (id, name, channel, status, budget_minor, currency, start_date, end_date, goal, "
          "created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
          {std::string_view(x.id), std::string_view(x.name), std::string_view(x.channel), std::string_view(x.status),
           x.budget_minor, std::string_view(x.currency), std::string_view(x.start), nullable(x.end),
           std::string_view(x.goal), nullable(x.created_by), x.created_at, x.updated_at});
}

void update(Connection& c, const Campaign& x) {
  c.query("UPDATE campaigns SET name = ?, channel = ?, status = ?, budget_minor = ?, currency = ?, start_date = ?, "
          "end_date = ?, goal = ?, updated_at = ? WHERE id = ?",
          {std::string_view(x.name), std::string_view(x.channel), std::string_view(x.status), x.budget_minor,
           std::string_view(x.currency), std::string_view(x.start), nullable(x.end), std::string_view(x.goal),
           x.updated_at, std::string_view(x.id)});
}

bool remove(Connection& c, const std::string& id) {  // its results go with it (ON DELETE CASCADE)
  return c.query("DELETE FROM campaigns WHERE id = ?", {std::string_view(id)}).affected > 0;
}

std::optional<Campaign> find(Connection& c, const std::string& id) {
  auto r = c.query(std::string(columns) + " WHERE id = ?", {std::string_view(id)});
  if (r.rows.empty()) return std::nullopt;
  return from_row(r.rows[0]);
}

std::int64_t count(Connection& c) { return c.query("SELECT count(*) FROM campaigns").rows.at(0).integer(0); }

Page<Campaign> list(Connection& c, const Filter& filter, const PageRequest& page) {
  std::string sql = columns;
  std::vector<Param> params;
  std::vector<std::string> where;
  for (auto [column, value] : {std::pair("channel = ?", &filter.channel), std::pair("status = ?", &filter.status)}) {
    if (!*value) continue;
    where.push_back(column);
    params.emplace_back(std::string_view(**value));
  }
  if (page.cursor) {
    auto r = c.query("SELECT created_at FROM campaigns WHERE id = ?", {std::string_view(*page.cursor)});
    if (r.rows.empty()) throw core::Error(core::ErrorKind::bad_request, "cursor is not valid: its campaign is gone");
    where.push_back("(created_at < ? OR (created_at = ? AND id < ?))");
    params.emplace_back(r.rows[0].integer(0));
    params.emplace_back(r.rows[0].integer(0));
    params.emplace_back(std::string_view(*page.cursor));
  }
  for (std::size_t i = 0; i < where.size(); ++i) sql += (i ? " AND " : " WHERE ") + where[i];
  sql += " ORDER BY created_at DESC, id DESC LIMIT ?";
  params.emplace_back(page.limit + 1);
  return to_page<Campaign>(c.query(sql, std::span<const Param>(params)), page, from_row);
}

std::vector<Campaign> all(Connection& c) {
  std::vector<Campaign> out;
  for (const auto& r : c.query(std::string(columns) + " ORDER BY created_at, id").rows) out.push_back(from_row(r));
  return out;
}

void put_results(Connection& c, const std::string& campaign_id, const std::vector<DayResult>& days) {
  for (std::size_t start = 0; start < days.size(); start += days_per_statement) {
    auto end = std::min(days.size(), start + days_per_statement);
    std::vector<Param> params;
    for (auto i = start; i < end; ++i) {
      const auto& d = days[i];
      params.insert(params.end(), {std::string_view(campaign_id), std::string_view(d.day), d.spend_minor,
                                   d.impressions, d.clicks, d.conversions, d.revenue_minor});
    }
    c.query(insert_sql("INSERT INTO campaign_results (campaign_id, day, spend_minor, impressions, clicks, conversions, "
                       "revenue_minor)",
                       7, end - start,
                       "ON CONFLICT (campaign_id, day) DO UPDATE SET spend_minor = excluded.spend_minor, "
                       "impressions = excluded.impressions, clicks = excluded.clicks, conversions = excluded.conversions, "
                       "revenue_minor = excluded.revenue_minor"),
            std::span<const Param>(params));
  }
}

std::vector<DayResult> results(Connection& c, const std::string& campaign_id) {
  std::vector<DayResult> out;
  for (const auto& r : c.query("SELECT day, spend_minor, impressions, clicks, conversions, revenue_minor "
                               "FROM campaign_results WHERE campaign_id = ? ORDER BY day",
                               {std::string_view(campaign_id)})
                           .rows)
    out.push_back({r.text(0), r.integer(1), r.integer(2), r.integer(3), r.integer(4), r.integer(5)});
  return out;
}

std::map<std::string, Totals> totals(Connection& c) {
  std::map<std::string, Totals> out;
  for (const auto& r : c.query("SELECT campaign_id, count(*), SUM(spend_minor), SUM(impressions), SUM(clicks), "
                               "SUM(conversions), SUM(revenue_minor) FROM campaign_results GROUP BY campaign_id")
                           .rows)
    out[r.text(0)] = {r.integer(1), r.integer(2), r.integer(3), r.integer(4), r.integer(5), r.integer(6)};
  return out;
}

std::vector<CurrencyTotals> totals_by_currency(Connection& c) {
  std::vector<CurrencyTotals> out;
  for (const auto& r : c.query("SELECT c.currency, SUM(r.spend_minor), SUM(r.revenue_minor) FROM campaign_results r "
                               "JOIN campaigns c ON c.id = r.campaign_id GROUP BY c.currency ORDER BY 2 DESC, 1")
                           .rows)
    out.push_back({r.text(0), r.integer(1), r.integer(2)});
  return out;
}

}  // namespace de::store::campaigns
