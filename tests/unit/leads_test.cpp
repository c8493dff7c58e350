// The lead side of the sales part on its own: the CSV reader, features learnt from attributes, the
// lead model on data with a known signal, the rules; and the lead tables on both backends.
#include <gtest/gtest.h>

#include <random>

#include "core/csv.hpp"
#include "agents/sales/features.hpp"
#include "agents/sales/lead_model.hpp"
#include "agents/sales/metrics.hpp"
#include "agents/sales/rules.hpp"
#include "core/clock.hpp"
#include "core/error.hpp"
#include "core/ids.hpp"
#include "store/lead_repository.hpp"
#include "test_database.hpp"

using namespace de::agents::sales;
using de::core::CsvReader;
using de::core::valid_utf8;
namespace json = boost::json;

namespace {
std::vector<std::vector<std::string>> read_all(CsvReader& reader) {
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> fields;
  while (reader.next(fields)) rows.push_back(fields);
  return rows;
}
}  // namespace

TEST(Csv, ReadsQuotedFieldsSemicolonsBomAndCrlf) {
  CsvReader reader("\xEF\xBB\xBF" "a;\"b\";c\r\n1;\"x;\"\"y\"\"\nz\";\r\n\r\n2;;3\r\n");
  ASSERT_FALSE(reader.error());
  EXPECT_EQ(reader.delimiter(), ';');
  EXPECT_EQ(reader.header(), (std::vector<std::string>{"a", "b", "c"}));
  auto rows = read_all(reader);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0], (std::vector<std::string>{"1", "x;\"y\"\nz", ""}));
  EXPECT_EQ(rows[1], (std::vector<std::string>{"2", "", "3"}));
  EXPECT_EQ(reader.row(), 3u);
  EXPECT_FALSE(reader.error());
}

TEST(Csv, NamesTheRowAndColumnOfAMalformedRecord) {
  CsvReader unclosed("name,company\nA,B\nC,\"open\n");
  auto rows = read_all(unclosed);
  EXPECT_EQ(rows.size(), 1u);
  ASSERT_TRUE(unclosed.error());
  EXPECT_EQ(unclosed.error()->row, 3u);
  EXPECT_EQ(unclosed.error()->column, "company");

  CsvReader bad_utf8("name\n\xC3\x28\n");
  read_all(bad_utf8);
  ASSERT_TRUE(bad_utf8.error());
  EXPECT_EQ(bad_utf8.error()->row, 2u);

  CsvReader twice("a,a\n1,2\n");
  ASSERT_TRUE(twice.error());
  EXPECT_EQ(twice.error()->column, "a");
  EXPECT_TRUE(CsvReader("").error());
}

TEST(Csv, Utf8) {
  EXPECT_TRUE(valid_utf8("plain, caf\xC3\xA9, \xE2\x82\xAC, \xF0\x9F\x98\x80"));
  EXPECT_FALSE(valid_utf8("\xC0\xAF"));          // overlong
  EXPECT_FALSE(valid_utf8("\xED\xA0\x80"));      // a surrogate
  EXPECT_FALSE(valid_utf8("\xE2\x82"));          // cut short
  EXPECT_FALSE(valid_utf8("\xF4\x90\x80\x80"));  // past U+10FFFF
}

TEST(Features, MissingPlaceholders) {
  for (const char* text : {"", " ", "NA", "n/a", "#N/A", "null", "None", "-", "--", "?", "unknown", "Select",
                           "-- Please select --"})
    EXPECT_TRUE(means_missing(text)) << text;
  for (const char* text : {"0", "-1", "no", "Selected partner", "x"}) EXPECT_FALSE(means_missing(text)) << text;
}

TEST(Features, KindsAreLearntFromTheValues) {
  std::vector<json::object> rows;
  for (int i = 0; i < 200; ++i) {
    json::object o;
    o["visits"] = i % 7 == 0 ? json::value("NA") : json::value(std::to_string(i));  // numbers as text, some missing
    o["newsletter"] = i % 2 ? "yes" : "No";
    o["signed_up"] = i % 3 ? "2024-03-0" + std::to_string(1 + i % 9) : "";
    o["country"] = i < 100 ? "PT" : i < 190 ? "ES" : "FR" + std::to_string(i);  // ten rare levels
    o["email"] = "user" + std::to_string(i) + "@example.com";                    // identifier-like
    o["tenant"] = "acme";                                                         // constant
    rows.push_back(std::move(o));
  }
  std::vector<const json::object*> pointers;
  for (const auto& r : rows) pointers.push_back(&r);
  auto spec = FeatureSpec::learn(pointers, {"secret"});
  std::map<std::string, ColumnKind> kinds;
  for (const auto& c : spec.columns()) kinds[c.name] = c.kind;
  EXPECT_EQ(kinds, (std::map<std::string, ColumnKind>{{"country", ColumnKind::category},
                                                      {"newsletter", ColumnKind::boolean},
                                                      {"signed_up", ColumnKind::date},
                                                      {"visits", ColumnKind::number}}));
  std::map<std::string, std::string> ignored;
  for (const auto& i : spec.ignored()) ignored[i.name] = i.reason;
  EXPECT_EQ(ignored["secret"], "excluded");
  EXPECT_NE(ignored["email"].find("identifier-like"), std::string::npos);
  EXPECT_EQ(ignored["tenant"], "the same value in every row");
  const auto& country = *std::find_if(spec.columns().begin(), spec.columns().end(),
                                      [](const Column& c) { return c.name == "country"; });
  EXPECT_EQ(country.levels, (std::vector<std::string>{"PT", "ES"}));
  EXPECT_TRUE(country.other);

  // Stored and read back, it encodes the same; unseen levels count as "other", missing as NaN.
  auto again = FeatureSpec::from_json(spec.to_json());
  ASSERT_EQ(again.width(), spec.width());
  ASSERT_EQ(again.feature_names(), spec.feature_names());
  json::object lead{{"visits", 12}, {"newsletter", true}, {"signed_up", "2024-03-04"}, {"country", "DE"}, {"unknown", 1}};
  std::vector<float> a(spec.width()), b(spec.width());
  spec.encode(lead, a.data());
  again.encode(lead, b.data());
  EXPECT_EQ(a, b);
  auto names = spec.feature_names();
  auto at = [&](const std::string& name) { return a[std::find(names.begin(), names.end(), name) - names.begin()]; };
  EXPECT_EQ(at("visits"), 12);
  EXPECT_EQ(at("newsletter"), 1);
  EXPECT_EQ(at("country:other"), 1);
  EXPECT_EQ(at("country=PT"), 0);
  EXPECT_EQ(at("signed_up:month"), 3);
  EXPECT_EQ(at("signed_up:weekday"), 0);  // 2024-03-04 was a Monday
  json::object empty;
  spec.encode(empty, a.data());
  EXPECT_TRUE(std::isnan(at("visits")));
  EXPECT_TRUE(std::isnan(at("signed_up:days")));
}

TEST(Metrics, AucBrierThresholdAndCalibration) {
  std::vector<double> p{0.1, 0.4, 0.35, 0.8};
  std::vector<int> y{0, 0, 1, 1};
  EXPECT_DOUBLE_EQ(roc_auc(p, y), 0.75);
  EXPECT_DOUBLE_EQ(roc_auc(std::vector<double>{0.5, 0.5}, std::vector<int>{0, 1}), 0.5);  // a tie counts half
  EXPECT_DOUBLE_EQ(brier_score(p, y), (0.01 + 0.16 + 0.4225 + 0.04) / 4);
  EXPECT_DOUBLE_EQ(best_f1_threshold(p, y), 0.35);  // all three from 0.35 up: F1 0.8
  auto e = evaluate(p, y, 0.5);
  EXPECT_EQ(e.rows, 4u);
  EXPECT_DOUBLE_EQ(e.precision, 1.0);
  EXPECT_DOUBLE_EQ(e.recall, 0.5);
  EXPECT_DOUBLE_EQ(e.accuracy, 0.75);
  std::size_t counted = 0;
  for (const auto& b : e.calibration) counted += b.count;
  EXPECT_EQ(counted, 4u);
}

TEST(Metrics, PlattScalingRecoversAKnownLink) {
  std::mt19937 random(3);
  std::uniform_real_distribution<double> uniform(0, 1);
  std::vector<double> margins;
  std::vector<int> labels;
  for (int i = 0; i < 20000; ++i) {
    double m = uniform(random) * 8 - 4;
    margins.push_back(m);
    labels.push_back(uniform(random) < 1 / (1 + std::exp(-(0.5 * m - 1))));
  }
  auto f = fit_platt(margins, labels);
  EXPECT_NEAR(f.a, 0.5, 0.05);
  EXPECT_NEAR(f.b, -1, 0.1);
}

namespace {
// Leads whose conversion depends on their attributes (and noise).
std::vector<json::object> synthetic_leads(std::size_t n, unsigned seed, std::vector<bool>& converted) {
  std::mt19937 random(seed);
  std::uniform_real_distribution<double> uniform(0, 1);
  const char* sources[] = {"web", "referral", "event", "cold call"};
  std::vector<json::object> rows;
  for (std::size_t i = 0; i < n; ++i) {
    json::object o;
    double visits = std::floor(uniform(random) * 20);
    std::string source = sources[std::size_t(uniform(random) * 4)];
    bool demo = uniform(random) < 0.3;
    o["visits"] = uniform(random) < 0.1 ? json::value("") : json::value(visits);
    o["source"] = source;
    o["demo_requested"] = demo ? "yes" : "no";
    o["noise"] = uniform(random);
    double logit = -3 + 0.15 * visits + (source == "referral" ? 1.5 : 0) + (demo ? 1.2 : 0);
    converted.push_back(uniform(random) < 1 / (1 + std::exp(-logit)));
    rows.push_back(std::move(o));
  }
  return rows;
}
}  // namespace

TEST(LeadModel, LearnsTheSignalExplainsItAndReloadsTheSame) {
  std::vector<bool> converted;
  auto rows = synthetic_leads(4000, 1, converted);
  std::vector<TrainingRow> training;
  for (std::size_t i = 0; i < rows.size(); ++i) training.push_back({&rows[i], converted[i]});
  TrainOptions options;
  auto model = LeadModel::train(training, options);
  EXPECT_GT(model->evaluation().roc_auc, 0.75);
  EXPECT_EQ(model->evaluation().rows, 800u);
  ASSERT_FALSE(model->importance().empty());
  EXPECT_NE(model->importance().front().first, "noise");

  json::object hot{{"visits", 19}, {"source", "referral"}, {"demo_requested", "yes"}, {"noise", 0.5}};
  json::object cold{{"visits", 0}, {"source", "cold call"}, {"demo_requested", "no"}, {"noise", 0.5}};
  std::vector<const json::object*> two{&hot, &cold};
  auto scored = model->predict(two, true);
  EXPECT_GT(scored[0].probability, 0.6);
  EXPECT_LT(scored[1].probability, 0.2);
  EXPECT_EQ(scored[0].score, int(std::lround(scored[0].probability * 100)));
  ASSERT_FALSE(scored[0].factors.empty());
  EXPECT_GT(scored[0].factors.front().contribution, 0);
  EXPECT_NE(scored[0].factors.front().feature, "noise");
  EXPECT_LE(scored[0].factors.size(), 10u);

  auto reloaded = LeadModel::load(model->trees(), model->metadata());
  auto again = reloaded->predict(two, true);
  EXPECT_DOUBLE_EQ(again[0].probability, scored[0].probability);
  EXPECT_EQ(again[1].grade, scored[1].grade);
  EXPECT_EQ(again[0].factors.size(), scored[0].factors.size());
}

TEST(LeadModel, RefusesTooFewOutcomes) {
  std::vector<bool> converted;
  auto rows = synthetic_leads(40, 2, converted);
  std::vector<TrainingRow> training;
  for (std::size_t i = 0; i < rows.size(); ++i) training.push_back({&rows[i], converted[i]});
  try {
    LeadModel::train(training, {});
    FAIL() << "trained on 40 leads";
  } catch (const de::core::Error& e) {
    EXPECT_EQ(e.kind(), de::core::ErrorKind::validation);
    EXPECT_NE(std::string(e.what()).find("at least 50"), std::string::npos);
  }
}

TEST(Rules, PointsComeFromTheLeadsFieldsAndAreExplained) {
  json::object attributes{{"Email", "ana@gmail.com"}, {"page_views", "7"}, {"meetings_booked", 2}, {"region", "EU"}};
  LeadFields fields;
  fields.company = "Acme";
  fields.status = "Qualified";
  fields.attributes = &attributes;
  auto p = rule_score(fields);
  std::map<std::string, double> points;
  for (const auto& f : p.factors) {
    points[f.feature] = f.contribution;
    EXPECT_FALSE(f.reason.empty());
  }
  EXPECT_EQ(points, (std::map<std::string, double>{{"company", 10}, {"email", 5}, {"status", 15},
                                                   {"page_views", 6}, {"meetings_booked", 4}}));
  EXPECT_EQ(p.score, 40);
  EXPECT_EQ(p.grade, 'C');
  EXPECT_FALSE(p.converted);
  EXPECT_EQ(rule_score(LeadFields{}).score, 0);  // nothing known, nothing given
}

// ---- the lead tables, on both backends ----------------------------------------------------------

namespace {
class LeadStore : public de::testing::BackendTest {};
DE_BACKENDS(LeadStore);

de::store::leads::Lead make_lead(std::int64_t score, std::string outcome, std::optional<std::string> external = {}) {
  de::store::leads::Lead l;
  l.id = de::core::new_id();
  l.external_id = std::move(external);
  l.name = "lead " + std::to_string(score);
  l.attributes = {{"visits", score}, {"plan", "pro"}, {"trial", true}, {"budget", nullptr}};
  l.outcome = std::move(outcome);
  l.score.score = score;
  l.score.scored_at = l.created_at = l.updated_at = de::core::now_ms();
  return l;
}
}  // namespace

TEST_P(LeadStore, PagesByScoreWithTiesFindsByExternalIdAndScoresOnlyUnchangedLeads) {
  namespace leads = de::store::leads;
  std::vector<leads::Lead> made;
  for (auto [score, outcome] : std::vector<std::pair<int, const char*>>{{40, "open"}, {90, "converted"}, {40, "lost"},
                                                                        {10, "open"}, {90, "open"}})
    made.push_back(make_lead(score, outcome, "x" + std::to_string(made.size())));
  db().write_sync([&](de::store::Tx& tx) {
    for (const auto& l : made) leads::insert(tx.connection, l);
  });
  leads::Filter by_score;
  by_score.by_score = true;
  std::vector<std::int64_t> scores;
  std::set<std::string> seen;
  de::store::PageRequest page;
  page.limit = 2;
  do {
    auto p = db().read([&](de::store::Connection& c) { return leads::list(c, by_score, page); });
    for (const auto& l : p.items) scores.push_back(l.score.score), seen.insert(l.id);
    page.cursor = p.next_cursor;
  } while (page.cursor);
  EXPECT_EQ(scores, (std::vector<std::int64_t>{90, 90, 40, 40, 10}));
  EXPECT_EQ(seen.size(), 5u);

  leads::Filter open;
  open.outcome = "open";
  open.min_score = 20;
  auto p = db().read([&](de::store::Connection& c) { return leads::list(c, open, {}); });
  ASSERT_EQ(p.items.size(), 2u);
  EXPECT_EQ(p.items[0].attributes, made[4].attributes);  // the attributes keep their types

  auto found = db().read([](de::store::Connection& c) { return leads::find_by_external_ids(c, {"x1", "x9"}); });
  ASSERT_EQ(found.size(), 1u);
  EXPECT_EQ(found.at("x1").id, made[1].id);
  auto training = db().read([](de::store::Connection& c) { return leads::training_rows(c); });
  EXPECT_EQ(training.size(), 2u);
  EXPECT_EQ(db().read([](de::store::Connection& c) { return leads::open_leads(c); }).size(), 3u);

  leads::Score s;
  s.score = 77;
  s.grade = "A";
  s.probability = 0.77;
  s.method = "model";
  s.model_id = de::core::new_id();
  s.factors = {{{"feature", "visits"}, {"value", 40}, {"contribution", 1.5}}};
  bool stale = db().write_sync([&](de::store::Tx& tx) {
    return leads::set_score(tx.connection, made[0].id, made[0].updated_at - 1, s);
  });
  EXPECT_FALSE(stale);  // changed since: its change scored it
  EXPECT_TRUE(db().write_sync([&](de::store::Tx& tx) { return leads::set_score(tx.connection, made[0].id, made[0].updated_at, s); }));
  auto stored = db().read([&](de::store::Connection& c) { return leads::find(c, made[0].id); });
  ASSERT_TRUE(stored);
  EXPECT_EQ(stored->score.score, 77);
  EXPECT_DOUBLE_EQ(*stored->score.probability, 0.77);
  EXPECT_EQ(stored->score.factors, s.factors);
  EXPECT_EQ(db().read([](de::store::Connection& c) { return leads::count_by_method(c); }),
            (std::map<std::string, std::int64_t>{{"model", 1}, {"rules", 4}}));
}

TEST_P(LeadStore, OneModelIsActiveAtATime) {
  namespace models = de::store::lead_models;
  std::vector<std::string> ids;
  db().write_sync([&](de::store::Tx& tx) {
    for (int i = 0; i < 2; ++i) {
      models::Record r;
      r.id = de::core::new_id();
      r.exclude = {"duration"};
      r.created_at = de::core::now_ms();
      models::insert(tx.connection, r);
      models::finish(tx.connection, r.id, {{"evaluation", {{"roc_auc", 0.8}}}}, "{\"trees\":[]}", r.created_at);
      ids.push_back(r.id);
    }
    models::activate(tx.connection, ids[0], 1);
    models::activate(tx.connection, ids[1], 2);
  });
  auto active = db().read([](de::store::Connection& c) { return models::active_id(c); });
  EXPECT_EQ(active, ids[1]);
  auto first = db().read([&](de::store::Connection& c) { return models::find(c, ids[0]); });
  ASSERT_TRUE(first);
  EXPECT_FALSE(first->active);
  EXPECT_EQ(first->status, "ready");
  EXPECT_EQ(first->exclude, std::vector<std::string>{"duration"});
  EXPECT_EQ(db().read([&](de::store::Connection& c) { return models::trees(c, ids[0]); }), "{\"trees\":[]}");
  db().write_sync([&](de::store::Tx& tx) { models::fail(tx.connection, ids[0], "no", 3); });
  EXPECT_FALSE(db().read([&](de::store::Connection& c) { return models::trees(c, ids[0]); }));
}
