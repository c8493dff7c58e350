// The prioritisation rules (RICE and MoSCoW from the requirement itself) and the stakeholder
// rules (the power/interest grid, the changes read from events, the update per quadrant).
#include <gtest/gtest.h>

#include <algorithm>

#include "agents/product/priority.hpp"
#include "agents/product/stakeholders.hpp"
#include "core/json.hpp"

using namespace de::product;
namespace json = boost::json;

namespace {

std::vector<Priority> prioritized(const std::vector<std::string>& texts) {
  std::vector<RequirementText> requirements;
  for (std::size_t i = 0; i < texts.size(); ++i) requirements.push_back({"R" + std::to_string(i + 1), texts[i]});
  return prioritize(RequirementAnalyzer::shared().analyze(requirements));
}

std::string why(const Priority& p, std::string_view factor) {
  for (const auto& r : p.reasons)
    if (r.factor == factor) return r.why;
  return "";
}

}  // namespace

TEST(ProductPriority, ExplicitWordsDecideMoscowAndImpact) {
  auto p = prioritized({"The system must encrypt stored passwords.", "The report should show totals per month.",
                        "Users could change the colour theme.", "The app won't support offline mode in this release."});
  EXPECT_EQ(p[0].moscow, "must");
  EXPECT_EQ(p[1].moscow, "should");
  EXPECT_EQ(p[2].moscow, "could");
  EXPECT_EQ(p[3].moscow, "wont");
  EXPECT_GT(p[0].impact, p[1].impact);
  EXPECT_GT(p[1].impact, p[2].impact);
  EXPECT_GT(p[2].impact, p[3].impact);
  EXPECT_NE(why(p[3], "moscow").find("won't"), std::string::npos) << why(p[3], "moscow");
}

TEST(ProductPriority, AStatedNumberOfPeopleIsTheReach) {
  auto p = prioritized({"The system shall support 10,000 concurrent users.", "The portal shall serve 2 million customers.",
                        "The clerk shall print the daily ledger."});
  EXPECT_EQ(p[0].reach, 10000);
  EXPECT_EQ(p[1].reach, 2e6);
  EXPECT_LT(p[2].reach, 1000);  // one role: part of the base
  EXPECT_NE(why(p[2], "reach").find("clerk"), std::string::npos) << why(p[2], "reach");
}

TEST(ProductPriority, AmbiguitiesAndConflictsLowerConfidence) {
  auto p = prioritized({"The system shall lock an account after 3 failed login attempts.",
                        "The system shall lock an account after 5 failed login attempts.",
                        "The page shall load fast and be user-friendly as appropriate.",
                        "The system shall export invoices as PDF files."});
  EXPECT_EQ(p[3].confidence, 1);
  EXPECT_LT(p[0].confidence, 1);
  EXPECT_NE(why(p[0], "confidence").find("conflicts with R2"), std::string::npos) << why(p[0], "confidence");
  EXPECT_LT(p[2].confidence, 0.8);
}

TEST(ProductPriority, SizeSignalsRaiseEffortAndADuplicateHalvesIt) {
  auto p = prioritized({"The system shall show the order number.",
                        "The system shall synchronize customer records with the external CRM through its API.",
                        "The system shall be available 99.99% of the time.",
                        "The system shall show the order number."});
  EXPECT_EQ(p[0].effort, 1);
  EXPECT_GT(p[1].effort, p[0].effort);
  EXPECT_NE(why(p[1], "effort").find("touches another system"), std::string::npos);
  EXPECT_GT(p[2].effort, p[0].effort);
  EXPECT_NE(why(p[2], "effort").find("99.99%"), std::string::npos) << why(p[2], "effort");
  EXPECT_EQ(p[3].effort, 0.5);  // a near-duplicate of R1
}

TEST(ProductPriority, ARequirementNamedInAnotherIsADependency) {
  auto p = prioritized({"The system shall archive closed orders.", "Once R1 is in place, the clerk shall restore an order."});
  EXPECT_EQ(p[0].effort, 1);
  EXPECT_EQ(p[1].effort, 1.5);
  EXPECT_NE(why(p[1], "effort").find("depends on R1"), std::string::npos) << why(p[1], "effort");
}

TEST(ProductPriority, ScoreIsReachTimesImpactTimesConfidenceOverEffort) {
  for (const auto& p : prioritized({"The system shall let 500 users upload files.", "Admins may export the audit log."}))
    EXPECT_NEAR(p.score, p.reach * p.impact * p.confidence / p.effort, 0.01);
}

TEST(ProductPriority, UnmarkedRequirementsAreRankedAgainstTheMedian) {
  auto p = prioritized({"Every user gets a weekly summary e-mail.", "The clerk gets a printable receipt.",
                        "Customers see their order history."});
  for (const auto& one : p) {
    EXPECT_TRUE(one.moscow == "should" || one.moscow == "could");
    EXPECT_NE(why(one, "moscow").find("median"), std::string::npos);
  }
  auto top = std::max_element(p.begin(), p.end(), [](const Priority& a, const Priority& b) { return a.score < b.score; });
  EXPECT_EQ(top->moscow, "should");
}

TEST(ProductPriority, APersonsValuesOverrideAndSurviveTheJsonRoundTrip) {
  auto p = prioritized({"The system shall export reports as PDF."})[0];
  PriorityValues given;
  given.effort = 4;
  given.moscow = "could";
  apply_values(p, given, "a person", true);
  EXPECT_EQ(p.effort, 4);
  EXPECT_EQ(p.moscow, "could");
  EXPECT_NEAR(p.score, p.reach * p.impact * p.confidence / 4, 0.01);
  EXPECT_EQ(why(p, "effort"), "set by a person");
  auto back = priority_from_json(to_json(p));
  ASSERT_TRUE(back);
  auto kept = person_values(*back);
  EXPECT_EQ(kept.effort, 4);
  EXPECT_EQ(kept.moscow, "could");
  EXPECT_FALSE(kept.reach);
}

TEST(ProductPriority, BadValuesAreNamed) {
  std::vector<de::core::FieldError> errors;
  auto body = de::core::parse_stored(R"({"impact":1.5,"confidence":0,"effort":-1,"moscow":"maybe","colour":1})");
  read_priority_values(body.as_object(), "priority", errors);
  std::vector<std::string> fields;
  for (const auto& e : errors) fields.push_back(e.field);
  for (const char* f : {"priority.impact", "priority.confidence", "priority.effort", "priority.moscow", "priority.colour"})
    EXPECT_NE(std::find(fields.begin(), fields.end(), f), fields.end()) << f;
}

TEST(ProductStakeholders, TheQuadrantSplitsAtThree) {
  EXPECT_EQ(quadrant_of(5, 5), "manage_closely");
  EXPECT_EQ(quadrant_of(3, 3), "manage_closely");
  EXPECT_EQ(quadrant_of(4, 2), "keep_satisfied");
  EXPECT_EQ(quadrant_of(2, 4), "keep_informed");
  EXPECT_EQ(quadrant_of(1, 2), "monitor");
}

TEST(ProductStakeholders, EventsBecomeChangesAndUpdatesFollowTheQuadrant) {
  auto moved = change_of(7, "deals.stage_changed",
                         de::core::parse_stored(R"({"name":"Acme","from_stage":"proposal","to_stage":"lost"})").as_object(), 0);
  ASSERT_TRUE(moved);
  EXPECT_EQ(moved->line, "Deal 'Acme' moved from proposal to lost");
  EXPECT_TRUE(moved->attention);
  auto saved = change_of(8, "requirements.created",
                         de::core::parse_stored(R"({"title":"Shop","version":1,"summary":{"total":4,"conflict_pairs":1}})").as_object(), 0);
  ASSERT_TRUE(saved);
  EXPECT_EQ(saved->line, "Requirements 'Shop' saved (version 1): 4 requirements, 1 conflicting pair");
  EXPECT_FALSE(change_of(9, "leads.created", json::object(), 0));
  EXPECT_TRUE(change_of(10, "campaigns.launched", de::core::parse_stored(R"({"name":"Spring"})").as_object(), 0));

  std::vector<Change> changes{*moved, *saved};
  StakeholderProfile key{"Ada", "CFO", "email", 5, 5, {}};
  auto close = compose_update(key, changes, 0);
  ASSERT_TRUE(close);
  EXPECT_EQ(close->quadrant, "manage_closely");
  EXPECT_NE(close->body.find(moved->line), std::string::npos);
  EXPECT_NE(close->body.find("Your decision is needed on:"), std::string::npos);
  EXPECT_EQ(close->event_ids, (std::vector<std::int64_t>{7, 8}));

  StakeholderProfile watcher{"Bob", "", "email", 1, 1, {}};
  auto digest = compose_update(watcher, changes, 0);
  ASSERT_TRUE(digest);
  EXPECT_EQ(digest->body.find(moved->line), std::string::npos);
  EXPECT_NE(digest->body.find("1 change in deals, 1 change in requirements"), std::string::npos) << digest->body;

  StakeholderProfile sales{"Cy", "", "email", 1, 5, {"acme"}};
  auto relevant = relevant_changes(sales, changes);
  ASSERT_EQ(relevant.size(), 1u);
  EXPECT_EQ(relevant[0].event_id, 7);
  EXPECT_FALSE(compose_update(sales, {}, 0));
}
