#include "app/demo_campaigns.hpp"

#include <map>

#include "agents/marketing/campaigns.hpp"
#include "core/csv.hpp"
#include "core/error.hpp"
#include "core/ids.hpp"
#include "core/money.hpp"

namespace de::app {

namespace marketing = agents::marketing;

std::vector<DemoCampaign> demo_campaigns(std::int64_t now) {
  constexpr std::int64_t day_ms = 86'400'000;
  // The data ends on 2018-05-31: that day becomes yesterday.
  std::int64_t shift = now / day_ms - 1 - *marketing::day_number("2018-05-31");
  core::CsvReader reader(demo_campaigns_csv());
  std::vector<DemoCampaign> out;
  std::map<std::string, std::size_t> index;
  std::vector<std::string> f;  // campaign,channel,status,budget,date,spend,impressions,clicks,conversions,revenue
  auto money = [](const std::string& text) {
    std::string problem;
    auto minor = core::parse_money(boost::json::string(text), "USD", problem);
    if (!minor) throw core::Error(core::ErrorKind::internal, "demo campaigns: " + text + " " + problem);
    return *minor;
  };
  while (reader.next(f)) {
    if (f.size() != 10) throw core::Error(core::ErrorKind::internal, "demo campaigns: a line without 10 fields");
    auto [it, fresh] = index.emplace(f[0], out.size());
    if (fresh) {
      auto& c = out.emplace_back().campaign;
      c.id = core::new_id();
      c.name = f[0];
      c.channel = f[1];
      c.status = f[2];
      c.budget_minor = money(f[3]);
      c.goal = "conversions";
      c.created_at = c.updated_at = now;
    }
    auto day = marketing::date_of(*marketing::day_number(f[4]) + shift);
    out[it->second].days.push_back({day, money(f[5]), std::stoll(f[6]), std::stoll(f[7]), std::stoll(f[8]), money(f[9])});
  }
  if (reader.error()) throw core::Error(core::ErrorKind::internal, "demo campaigns: " + reader.error()->message);
  for (auto& d : out) d.campaign.start = d.days.front().day;
  return out;
}

}  // namespace de::app
