// The marketing part (docs/marketing.md): response curves recovered from synthetic data, the
// allocator against known optima, derived metrics, results from JSON and CSV, and the
// campaign tables with the optimiser and the report on both databases.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "agents/marketing/campaigns.hpp"
#include "agents/marketing/optimizer.hpp"
#include "agents/marketing/report.hpp"
#include "agents/marketing/response.hpp"
#include "core/error.hpp"
#include "test_database.hpp"

using namespace de;
using namespace de::agents::marketing;
namespace json = boost::json;

namespace {
// Observations of `truth` at spends spread over [0, largest], with Gaussian noise.
std::vector<Point> observe(const Curve& truth, double largest, int n, double noise, std::uint64_t seed) {
  std::mt19937_64 random(seed);
  std::uniform_real_distribution<double> spend(0, largest);
  std::normal_distribution<double> error(0, noise);
  std::vector<Point> points;
  for (int i = 0; i < n; ++i) {
    double s = spend(random);
    points.push_back({s, truth.at(s) + error(random)});
  }
  return points;
}

std::int64_t total(const std::vector<std::int64_t>& parts) {
  std::int64_t t = 0;
  for (auto p : parts) t += p;
  return t;
}
}  // namespace

TEST(ResponseCurve, RecoversKnownParametersFromNoisyObservations) {
  Curve truth{2, 50, 0.01};  // saturates around 300 of spend
  auto points = observe(truth, 600, 400, 1.0, 7);
  auto fit = fit_curve(points);
  ASSERT_TRUE(fit);
  EXPECT_NEAR(fit->base, 2, 0.6);
  EXPECT_NEAR(fit->scale, 50, 2.5);
  EXPECT_NEAR(fit->rate, 0.01, 0.0015);
  // Without noise the fit is (nearly) exact.
  auto exact = fit_curve(observe(truth, 600, 50, 0.0, 8));
  ASSERT_TRUE(exact);
  for (double s : {10.0, 100.0, 500.0}) EXPECT_NEAR(exact->at(s), truth.at(s), 0.05);
}

TEST(ResponseCurve, TooFewObservationsFallBackToPooledThenLinear) {
  EXPECT_FALSE(fit_curve(observe({0, 10, 0.05}, 100, 4, 0.1, 1)));
  std::vector<std::vector<Point>> items{observe({0, 10, 0.05}, 100, 30, 0.2, 2), {{50, 5}, {20, 3}}, {}};
  auto curves = fit_items(items, 20, 3);
  ASSERT_EQ(curves.size(), 3u);
  EXPECT_EQ(curves[0].source, CurveSource::own);
  EXPECT_EQ(curves[1].source, CurveSource::pooled);
  EXPECT_EQ(curves[2].source, CurveSource::pooled);
  // The pooled curve is scaled to the item's own outcomes: it predicts their sum.
  EXPECT_NEAR(curves[1].curve.at(50) + curves[1].curve.at(20), 8.0, 1e-9);
  EXPECT_EQ(curves[1].resampled.size(), 20u);
  // With too little data overall: outcome per unit of spend.
  auto linear = fit_items({{{10, 2}, {30, 4}}}, 5, 4);
  EXPECT_EQ(linear[0].source, CurveSource::linear);
  EXPECT_NEAR(linear[0].curve.at(100), 15.0, 1e-9);
  EXPECT_NEAR(linear[0].curve.marginal(7), 0.15, 1e-12);
}

TEST(Allocator, FindsTheKnownOptimumAndSumsToTheBudgetExactly) {
  // a*(1-exp(-b s)): the optimum equalises a*b*exp(-b s). With a=b-scaled twins the split is
  // even; with a = 100, 50 and b = 0.01: s1 - s2 = ln(2)/0.01 = 69.3 and s1 + s2 = 300.
  std::vector<Curve> curves{{0, 100, 0.01}, {0, 50, 0.01}};
  std::vector<Bounds> free(2);
  auto split = allocate(curves, 30000, free, 100);  // 300.00 in cents
  EXPECT_EQ(total(split), 30000);
  EXPECT_NEAR(double(split[0] - split[1]) / 100, std::log(2.0) / 0.01, 0.5);
  // Odd budgets still sum exactly, one cent at a time if need be.
  for (std::int64_t budget : {1, 7, 12345, 999999}) EXPECT_EQ(total(allocate(curves, budget, free, 100)), budget);
  // Identical curves share evenly.
  auto even = allocate(std::vector<Curve>(3, Curve{0, 10, 0.02}), 90000, std::vector<Bounds>(3), 100);
  for (auto part : even) EXPECT_NEAR(double(part), 30000, 50);
}

TEST(Allocator, RespectsMinimumsAndMaximums) {
  std::vector<Curve> curves{{0, 100, 0.01}, {0, 1, 0.01}, {0, 0, 0}};
  std::vector<Bounds> bounds{{0, 10000}, {5000, 20000}, {2000, 2000}};
  auto split = allocate(curves, 30000, bounds, 100);
  EXPECT_EQ(total(split), 30000);
  EXPECT_EQ(split[0], 10000);  // the best item stops at its maximum
  EXPECT_EQ(split[2], 2000);
  EXPECT_GE(split[1], 5000);
  EXPECT_THROW(allocate(curves, 1000, bounds, 100), core::Error);    // below the minimums
  EXPECT_THROW(allocate(curves, 100000, bounds, 100), core::Error);  // above the maximums
}

TEST(CampaignMetrics, AreRatiosOrNullNeverInfinite) {
  Totals t{3, 10000, 5000, 100, 4, 30000};
  auto m = metrics(t, "USD");
  EXPECT_DOUBLE_EQ(m.at("ctr").as_double(), 0.02);
  EXPECT_DOUBLE_EQ(m.at("conversion_rate").as_double(), 0.04);
  EXPECT_EQ(m.at("cpc").as_string(), "1.00");
  EXPECT_EQ(m.at("cpa").as_string(), "25.00");
  EXPECT_DOUBLE_EQ(m.at("roas").as_double(), 3.0);
  EXPECT_DOUBLE_EQ(m.at("roi").as_double(), 2.0);
  auto empty = metrics(Totals{}, "USD");
  for (const auto& [key, value] : empty) EXPECT_TRUE(value.is_null()) << key;
  Totals unconverted{1, 999, 0, 3, 0, 0};
  auto u = metrics(unconverted, "USD");
  EXPECT_EQ(u.at("cpc").as_string(), "3.33");
  EXPECT_TRUE(u.at("cpa").is_null());
  EXPECT_DOUBLE_EQ(u.at("roi").as_double(), -1.0);
}

TEST(CampaignResults, ReadFromJsonAndCsvWithEveryProblemNamed) {
  auto days = read_results(json::parse(R"({"results":[{"date":"2026-01-02","spend":"10.50","clicks":3},
                                                        {"date":"2026-01-01","spend":2,"revenue":"7"}]})").as_object(),
                           "USD");
  ASSERT_EQ(days.size(), 2u);
  EXPECT_EQ(days[0].day, "2026-01-01");
  EXPECT_EQ(days[0].revenue_minor, 700);
  EXPECT_EQ(days[1].spend_minor, 1050);
  try {
    read_results(json::parse(R"({"results":[{"date":"2026-13-01","spend":"1.234"},{"date":"2026-01-01","spend":1,"clicks":-1}]})").as_object(), "USD");
    FAIL();
  } catch (const core::Error& e) {
    std::set<std::string> fields;
    for (const auto& f : e.fields()) fields.insert(f.field);
    EXPECT_TRUE(fields.contains("results[0].date"));
    EXPECT_TRUE(fields.contains("results[0].spend"));
    EXPECT_TRUE(fields.contains("results[1].clicks"));
  }
  auto csv = read_results_csv("\xEF\xBB\xBF" "Date,Spend,Clicks,Conversions\r\n2026-02-01,12.5,10,2\r\n2026-01-31,0,,0\r\n", "USD");
  ASSERT_EQ(csv.size(), 2u);
  EXPECT_EQ(csv[1].spend_minor, 1250);
  EXPECT_EQ(csv[0].clicks, 0);
  try {
    read_results_csv("date,spend,clicks\n2026-01-01,1,2\n2026-01-02,1,many\n", "USD");
    FAIL();
  } catch (const core::Error& e) {
    EXPECT_EQ(e.kind(), core::ErrorKind::bad_request);
    EXPECT_NE(std::string(e.what()).find("row 3, column clicks"), std::string::npos) << e.what();
  }
  EXPECT_THROW(read_results_csv("date,clicks\n2026-01-01,1\n", "USD"), core::Error);  // no spend column
  EXPECT_THROW(read_results_csv("date,spend\n2026-01-01,1\n2026-01-01,2\n", "USD"), core::Error);  // a date twice
}

class Campaigns : public de::testing::BackendTest {};

TEST_P(Campaigns, StoreResultsReplacingDaysThenOptimiseAndReport) {
  CampaignManager manager;
  std::vector<Campaign> made;
  db().write_sync([&](store::Tx& tx) {
    for (const char* name : {"Search", "Social"})
      made.push_back(manager.create(tx, json::parse(std::string(R"({"name":")") + name +
                                                    R"(","channel":"web","status":"active","budget":"100.00","start":"2026-01-01"})")
                                            .as_object(),
                                    std::nullopt));
  });
  // Search returns 40 * (1 - exp(-s/50)) a day, Social 10 * (1 - exp(-s/50)): daily data over 30 days.
  std::mt19937_64 random(11);
  std::uniform_real_distribution<double> spend(5, 200);
  for (std::size_t k = 0; k < made.size(); ++k) {
    Curve truth{0, k == 0 ? 40.0 : 10.0, 0.02};
    std::vector<DayResult> days;
    for (int d = 0; d < 30; ++d) {
      double s = spend(random);
      days.push_back({date_of(20454 + d), std::llround(s * 100), 1000, 100, std::llround(truth.at(s)), std::llround(truth.at(s) * 2000)});
    }
    db().write_sync([&](store::Tx& tx) { manager.record(tx, made[k], days); });
  }
  // A day given again replaces that day.
  db().write_sync([&](store::Tx& tx) { manager.record(tx, made[1], {{date_of(20454), 100, 10, 1, 0, 0}}); });
  auto stored = db().read([&](store::Connection& c) { return store::campaigns::results(c, made[1].id); });
  ASSERT_EQ(stored.size(), 30u);
  EXPECT_EQ(stored.front().spend_minor, 100);

  auto answer = optimize_budget(db(), json::parse(R"({"budget":"200.00"})").as_object(), "");
  const auto& allocations = answer.at("allocations").as_array();
  ASSERT_EQ(allocations.size(), 2u);
  auto spend_of = [&](std::size_t i) { return std::stod(std::string(allocations[i].at("spend").as_string())); };
  EXPECT_NEAR(spend_of(0) + spend_of(1), 200.0, 1e-9);
  // The optimum of 40(1-e^{-s/50}) and 10(1-e^{-s/50}) over 200: s1 - s2 = 50 ln 4 = 69.3.
  EXPECT_NEAR(spend_of(0) - spend_of(1), 69.3, 12);
  const auto& range = answer.at("interval").as_array();
  EXPECT_LE(range[0].as_double(), answer.at("expected_total").as_double());
  EXPECT_GE(range[1].as_double(), answer.at("expected_total").as_double());
  EXPECT_GT(answer.at("expected_gain").as_double(), 0);  // better than 100 / 100

  auto report = campaign_report(db(), {7, std::nullopt});
  EXPECT_EQ(report.at("period").at("to").as_string(), date_of(20454 + 29));
  EXPECT_EQ(report.at("campaigns").as_array().size(), 2u);
  auto conversions = report.at("totals").at("current").at("conversions").as_int64();
  std::int64_t expected = 0;
  for (const auto& c : made)
    for (const auto& d : db().read([&](store::Connection& cn) { return store::campaigns::results(cn, c.id); }))
      if (d.day >= date_of(20454 + 23)) expected += d.conversions;
  EXPECT_EQ(conversions, expected);
  EXPECT_NE(std::string(report.at("summary").as_string()).find(std::to_string(expected) + " conversions"), std::string::npos);

  db().write_sync([&](store::Tx& tx) { manager.remove(tx, made[0].id); });
  EXPECT_TRUE(db().read([&](store::Connection& c) { return store::campaigns::results(c, made[0].id); }).empty());
}

DE_BACKENDS(Campaigns);
