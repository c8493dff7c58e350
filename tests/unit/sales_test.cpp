// The sales pipeline (docs/sales.md): exact money, the stage set, learnt probabilities and the
// forecast from deal histories, and the deal repository on both databases.
#include <gtest/gtest.h>

#include "agents/sales/forecast.hpp"
#include "core/config.hpp"
#include "core/error.hpp"
#include "test_database.hpp"

using namespace de;
using agents::sales::Stages;
namespace deals = store::deals;

namespace {
constexpr std::int64_t day = 86'400'000;

std::optional<std::int64_t> money(const boost::json::value& v, std::string_view currency = "USD") {
  std::string problem;
  return agents::sales::parse_money(v, currency, problem);
}

// A deal created on day `created` in `stages[0]`, entering each next stage a day later.
deals::History deal(const std::string& id, std::int64_t amount, std::int64_t created, std::vector<std::string> stages) {
  deals::History h;
  h.deal.id = id;
  h.deal.amount_minor = amount;
  h.deal.created_at = created * day;
  std::optional<std::string> from;
  for (std::size_t i = 0; i < stages.size(); ++i) {
    h.changes.push_back({from, stages[i], std::nullopt, (created + std::int64_t(i)) * day});
    from = stages[i];
  }
  h.deal.stage = stages.back();
  return h;
}
}  // namespace

TEST(SalesMoney, AmountsAreExactInTheirCurrencysMinorUnits) {
  EXPECT_EQ(money("1234.5"), 123450);
  EXPECT_EQ(money(0.1), 10);
  EXPECT_EQ(money(19.99), 1999);
  EXPECT_EQ(money(std::int64_t(7)), 700);
  EXPECT_EQ(money("000.10"), 10);
  EXPECT_EQ(money("999999999999.99"), 99999999999999);
  EXPECT_EQ(money("1500", "JPY"), 1500);
  EXPECT_EQ(money("1.234", "KWD"), 1234);
  for (const char* bad : {"1.001", "-1", "1e3", "", ".5", "5.", "1,5", "1000000000000", " 1"}) EXPECT_FALSE(money(bad)) << bad;
  EXPECT_FALSE(money("1.5", "JPY"));
  EXPECT_FALSE(money(true));
  EXPECT_EQ(agents::sales::format_money(5, "USD"), "0.05");
  EXPECT_EQ(agents::sales::format_money(123450, "USD"), "1234.50");
  EXPECT_EQ(agents::sales::format_money(1500, "JPY"), "1500");
  EXPECT_EQ(agents::sales::format_money(-7, "BHD"), "-0.007");
}

TEST(SalesStages, AreConfiguredInOrderAndCloseWithWonAndLost) {
  auto config = core::load_config(std::nullopt, {{"DE_PIPELINE_STAGES", " lead, demo ,deal_desk"}});
  Stages stages(config.pipeline_stages);
  EXPECT_EQ(stages.rank("lead"), 1);
  EXPECT_EQ(stages.rank("deal_desk"), 3);
  EXPECT_EQ(stages.rank("won"), 0);
  EXPECT_EQ(stages.all().size(), 5u);
  for (const char* bad : {"", "a,,b", "a,a", "a,won", "Upper", "a b"})
    EXPECT_THROW(core::load_config(std::nullopt, {{"DE_PIPELINE_STAGES", bad}}), core::Error) << bad;
}

TEST(SalesForecast, LearnsStageProbabilitiesFromWhatWasKnownAtTheTime) {
  Stages stages({"a", "b"});
  std::vector<deals::History> history{
      deal("1", 100, 0, {"a", "won"}),        // reached a; closed on day 1
      deal("2", 100, 0, {"b", "lost"}),       // created in b: reached a and b
      deal("3", 100, 10, {"a", "b", "won"}),  // closed on day 12
      deal("4", 500, 20, {"a"}),              // open
  };
  auto at = [&](std::int64_t d) { return agents::sales::learn_probabilities(history, stages, d * day, 10); };
  auto early = at(5);
  EXPECT_EQ(early[0].reached, 2);
  EXPECT_EQ(early[0].won, 1);
  EXPECT_EQ(early[1].reached, 1);
  EXPECT_DOUBLE_EQ(early[1].probability, (0 + 10 * 2.0 / 3) / 11);
  auto later = at(30);
  EXPECT_EQ(later[0].reached, 3);
  EXPECT_EQ(later[1].won, 1);
  EXPECT_DOUBLE_EQ(later[0].probability, (2 + 10 / 3.0) / 13);

  EXPECT_FALSE(agents::sales::deal_at(history[3], stages, 19 * day)) << "not yet created";
  auto open = agents::sales::deal_at(history[2], stages, 11 * day);
  ASSERT_TRUE(open);
  EXPECT_EQ(open->stage, "b");
  EXPECT_EQ(open->max_rank, 2);

  agents::sales::ForecastOptions options;
  options.as_of = 30 * day;
  options.stale_days = 5;
  auto f = agents::sales::forecast(history, stages, options);
  EXPECT_EQ(f.at("open").at("amount"), "5.00");
  EXPECT_EQ(f.at("open").at("weighted").as_string(), agents::sales::format_money(std::llround(500 * later[0].probability), "USD"));
  EXPECT_EQ(f.at("stale").at("count"), 1);
  EXPECT_EQ(f.at("closed").at("won"), 2);
  EXPECT_DOUBLE_EQ(f.at("average_cycle_days").as_double(), 1.5);
}

class DealRepository : public de::testing::BackendTest {};

TEST_P(DealRepository, StoresDealsWithHistoryAndPagesInSortOrder) {
  std::vector<deals::History> made;
  for (int i = 0; i < 5; ++i) {
    auto h = deal(core::new_id(), (i % 2) * 1000 + i, i, {"a", "b"});
    h.deal.name = "n" + std::to_string(4 - i);
    h.deal.owner = "o";
    h.deal.updated_at = h.deal.stage_changed_at = h.changes.back().changed_at;
    made.push_back(h);
  }
  db().write_sync([&](store::Tx& tx) { deals::insert(tx.connection, made); });
  auto walk = [&](deals::Sort sort) {
    std::vector<std::string> ids;
    store::PageRequest page{std::nullopt, 2};
    do {
      auto p = db().read([&](store::Connection& c) { return deals::list(c, {std::nullopt, std::string("o"), false}, sort, page); });
      for (const auto& d : p.items) ids.push_back(d.id);
      page.cursor = p.next_cursor;
    } while (page.cursor);
    return ids;
  };
  EXPECT_EQ(walk({deals::SortKey::amount, false}),
            (std::vector<std::string>{made[0].deal.id, made[2].deal.id, made[4].deal.id, made[1].deal.id, made[3].deal.id}));
  EXPECT_EQ(walk({deals::SortKey::name, true}).front(), made[0].deal.id);
  auto all = db().read([](store::Connection& c) { return deals::all(c); });
  ASSERT_EQ(all.size(), 5u);
  EXPECT_EQ(all[2].changes.size(), 2u);
  EXPECT_EQ(all[2].changes[1].from_stage, "a");
  EXPECT_TRUE(db().write_sync([&](store::Tx& tx) { return deals::remove(tx.connection, made[2].deal.id); }));
  EXPECT_TRUE(db().read([&](store::Connection& c) { return deals::history(c, made[2].deal.id); }).empty());
}

DE_BACKENDS(DealRepository);
