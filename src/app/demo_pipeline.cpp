#include "app/demo_pipeline.hpp"

#include <chrono>
#include <cmath>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/ids.hpp"

namespace de::app {

namespace {
constexpr std::int64_t day_ms = 86'400'000;

// Days since the epoch of YYYY-MM-DD.
std::int64_t day_of(std::string_view date) {
  auto ms = core::parse_timestamp(std::string(date) + "T00:00:00Z");
  if (!ms) throw core::Error(core::ErrorKind::internal, "demo pipeline: bad date " + std::string(date));
  return *ms / day_ms;
}

std::vector<std::string_view> fields_of(std::string_view line) {
  std::vector<std::string_view> fields;
  for (std::size_t start = 0;;) {
    auto comma = line.find(',', start);
    fields.push_back(line.substr(start, comma - start));
    if (comma == std::string_view::npos) return fields;
    start = comma + 1;
  }
}
}  // namespace

std::vector<store::deals::History> demo_pipeline(std::int64_t now) {
  // The data set ends on 2017-12-31: that day becomes yesterday, each date at noon UTC, so that
  // every date is in the past whatever the hour of loading (today's noon is still ahead in the
  // morning, and a deal closed then would count as open until it came).
  std::int64_t shift = now / day_ms - 1 - day_of("2017-12-31");
  auto when = [&](std::string_view date) { return (day_of(date) + shift) * day_ms + day_ms / 2; };
  std::vector<store::deals::History> out;
  auto csv = demo_pipeline_csv();
  std::size_t pos = csv.find('\n') + 1;  // after the header: id,product,account,owner,stage,amount,engaged,closed
  while (pos < csv.size()) {
    auto end = csv.find('\n', pos);
    auto f = fields_of(csv.substr(pos, end - pos));
    pos = end == std::string_view::npos ? csv.size() : end + 1;
    if (f.size() != 8) throw core::Error(core::ErrorKind::internal, "demo pipeline: a line without 8 fields");
    store::deals::History h;
    auto& d = h.deal;
    d.id = core::new_id();
    d.name = std::string(f[1]) + (f[2].empty() ? " (" + std::string(f[0]) + ")" : " for " + std::string(f[2]));
    d.account = f[2];
    d.owner = f[3];
    d.stage = f[4];
    d.amount_minor = std::stoll(std::string(f[5])) * 100;
    // Prospecting deals have no dates in the data set: they come in on the day of loading.
    d.created_at = f[6].empty() ? now : when(f[6]);
    h.changes.push_back({std::nullopt, d.stage == "prospecting" ? "prospecting" : "engaging", std::nullopt, d.created_at});
    if (!f[7].empty()) {
      d.closed_at = when(f[7]);
      h.changes.push_back({h.changes.back().to_stage, d.stage, std::nullopt, *d.closed_at});
    }
    d.updated_at = d.stage_changed_at = h.changes.back().changed_at;
    out.push_back(std::move(h));
  }
  return out;
}

std::vector<store::companies::Company> demo_companies(std::int64_t now) {
  std::vector<store::companies::Company> out;
  auto csv = demo_accounts_csv();
  // After the header: account,sector,year_established,revenue,employees,office_location,subsidiary_of
  for (std::size_t pos = csv.find('\n') + 1; pos < csv.size();) {
    auto end = csv.find('\n', pos);
    auto f = fields_of(csv.substr(pos, end - pos));
    pos = end == std::string_view::npos ? csv.size() : end + 1;
    if (f.size() != 7) throw core::Error(core::ErrorKind::internal, "demo accounts: a line without 7 fields");
    store::companies::Company c;
    c.id = core::new_id();
    c.name = f[0];
    c.industry = f[1];
    c.attributes["year_established"] = std::stoll(std::string(f[2]));
    c.attributes["annual_revenue_usd"] = std::llround(std::stod(std::string(f[3])) * 1e6);  // given in millions
    c.attributes["employees"] = std::stoll(std::string(f[4]));
    c.attributes["office_location"] = f[5];
    if (!f[6].empty()) c.attributes["subsidiary_of"] = f[6];
    c.created_at = c.updated_at = now;
    out.push_back(std::move(c));
  }
  return out;
}

}  // namespace de::app
