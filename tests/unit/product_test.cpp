#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <iterator>
#include <fstream>
#include <sstream>

#include "agents/product/analyzer.hpp"
#include "agents/product/relations.hpp"
#include "agents/product/text.hpp"
#include "core/error.hpp"
#include "core/json.hpp"

using namespace de::product;

namespace {

std::string source_file(const std::string& path) {
  std::ifstream in(std::string(DE_SOURCE_DIR) + "/" + path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<std::string> texts(const std::vector<RequirementText>& found) {
  std::vector<std::string> out;
  for (const auto& r : found) out.push_back(r.text);
  return out;
}

const Ambiguity* finding(const std::vector<Ambiguity>& all, std::string_view type) {
  auto it = std::find_if(all.begin(), all.end(), [&](const Ambiguity& a) { return a.type == type; });
  return it == all.end() ? nullptr : &*it;
}

}  // namespace

TEST(ProductSegmenter, FindsListItemsIdLinesTableRowsAndRequirementSentences) {
  auto found = find_requirements(
      "# Shop\n\n## 1. Orders\n\n"
      "1. Customers can cancel an order before shipping.\n"
      "2. The system shall e-mail a receipt\n   after each payment.\n"
      "- Introduction\n\n"
      "FR-7: The system must keep orders for 10 years.\n\n"
      "| ID | Requirement |\n|---|---|\n| NFR-1 | Pages shall load within 2 seconds. |\n\n"
      "This section describes the shop. Refunds shall be paid within 14 days. See also the glossary.\n\n"
      "```\nThe code shall not count.\n```\n");
  EXPECT_EQ(texts(found), (std::vector<std::string>{
                              "Customers can cancel an order before shipping.",
                              "The system shall e-mail a receipt after each payment.",
                              "The system must keep orders for 10 years.",
                              "Pages shall load within 2 seconds.",
                              "Refunds shall be paid within 14 days."}));
  EXPECT_EQ(found[0].id, "R1");
  EXPECT_EQ(found[2].id, "FR-7");
  EXPECT_EQ(found[3].id, "NFR-1");
  EXPECT_EQ(found[4].id, "R5");
}

TEST(ProductSegmenter, RepeatedIdsStayUnique) {
  auto found = find_requirements("FR-1 The system shall start.\nFR-1 The system shall stop.\n");
  ASSERT_EQ(found.size(), 2u);
  EXPECT_EQ(found[0].id, "FR-1");
  EXPECT_EQ(found[1].id, "FR-1#2");
}

// The ERTMS/ETCS FRS from PURE, rendered as Markdown by tools/requirements/pure_to_markdown.py:
// every <req> is found with its id and text; nothing comes from a heading.
TEST(ProductSegmenter, PureDocumentEndToEnd) {
  auto document = source_file("tests/unit/data/ertms_frs.md");
  auto expected = csv_records(source_file("tests/unit/data/ertms_frs_reqs.csv"));
  ASSERT_EQ(expected.size(), 200u);  // header + 199 requirements
  auto found = find_requirements(document);
  // In document order; an id the document repeats (8 do) gets "#2".
  std::vector<RequirementText> with_ids;
  std::copy_if(found.begin(), found.end(), std::back_inserter(with_ids), [](const RequirementText& r) {
    return !(r.id.size() > 1 && r.id[0] == 'R' && std::isdigit(static_cast<unsigned char>(r.id[1])));
  });
  ASSERT_EQ(with_ids.size(), expected.size() - 1);
  for (std::size_t i = 1; i < expected.size(); ++i) {
    EXPECT_EQ(with_ids[i - 1].id.substr(0, with_ids[i - 1].id.find('#')), expected[i][0]);
    EXPECT_EQ(with_ids[i - 1].text, expected[i][1]);
  }
  std::vector<std::string> headings;
  std::istringstream lines(document);
  for (std::string line; std::getline(lines, line);)
    if (line.starts_with("#")) headings.push_back(std::string(trim(line.substr(line.find(' ')))));
  for (const auto& r : found) EXPECT_EQ(std::count(headings.begin(), headings.end(), r.text), 0) << r.text;
  // Beyond the 199, only "shall" sentences of the introduction's prose.
  for (const auto& r : found)
    if (std::find_if(with_ids.begin(), with_ids.end(), [&](const RequirementText& x) { return x.id == r.id; }) == with_ids.end()) {
      EXPECT_NE(r.text.find("shall"), std::string::npos) << r.text;
    }
}

TEST(ProductAmbiguity, FlagsEachKindWithSpanReasonAndSuggestion) {
  std::string text = "The system should be user-friendly and respond fast if possible; the data shall be stored. TBD";
  auto found = find_ambiguities(text);
  for (auto type : {"uncertain_verb", "subjective", "loophole", "passive_voice", "tbd"}) {
    const auto* a = finding(found, type);
    ASSERT_NE(a, nullptr) << type;
    EXPECT_EQ(text.substr(a->begin, a->end - a->begin), a->text);
    EXPECT_FALSE(a->reason.empty());
    EXPECT_FALSE(a->suggestion.empty());
  }
  EXPECT_EQ(finding(found, "loophole")->text, "if possible");
  EXPECT_EQ(finding(found, "passive_voice")->text, "shall be stored");
  EXPECT_NE(finding(found, "subjective")->suggestion.find("user-friendly"), std::string::npos);
}

TEST(ProductAmbiguity, MeasuresAndExpletivesAreNotFlagged) {
  EXPECT_EQ(finding(find_ambiguities("The page shall load in no more than 3 seconds."), "comparative"), nullptr);
  EXPECT_EQ(finding(find_ambiguities("It shall be possible to export the log."), "vague_pronoun"), nullptr);
  EXPECT_EQ(finding(find_ambiguities("The report shall be signed by the manager."), "passive_voice"), nullptr);
  // Two nouns it could stand for: ambiguous.
  auto found = find_ambiguities("The controller sends the message to the server after it is validated.");
  ASSERT_NE(finding(found, "vague_pronoun"), nullptr);
  EXPECT_EQ(finding(found, "vague_pronoun")->text, "it");
}

TEST(ProductAmbiguity, APronounNeedsOneNounThatAgreesWithIt) {
  auto pronoun = [](const char* text) { return finding(find_ambiguities(text), "vague_pronoun") != nullptr; };
  // "he" stands for a person: the driver, not the warning or the brake.
  EXPECT_FALSE(pronoun("The warning shall reach the driver before the brake so that he can react."));
  auto two = find_ambiguities("The operator shall notify the supervisor when he logs in.");
  ASSERT_NE(finding(two, "vague_pronoun"), nullptr);
  EXPECT_EQ(finding(two, "vague_pronoun")->suggestion, "'he' could stand for 'operator' or 'supervisor': write the one meant instead.");
  // A noun mentioned twice is one thing.
  EXPECT_FALSE(pronoun("When the MMI is switched on, the MMI shall show its last configuration."));
  // An acronym ending in a capital S is one thing; "APIs" are several.
  EXPECT_FALSE(pronoun("The ETCS shall record its faults."));
  EXPECT_FALSE(pronoun("The gateway shall notify the APIs when they change."));
  EXPECT_TRUE(pronoun("The ICPs shall notify the APIs when they change."));
  // "it" is never a person.
  EXPECT_FALSE(pronoun("The operator shall close the valve when it leaks."));
  // Neither a participle ("shall be supervised", "the messages received from") nor "how" heads a noun phrase.
  EXPECT_FALSE(pronoun("A train shall be supervised to its speed profile."));
  EXPECT_FALSE(pronoun("The gateway shall forward the messages received from clients when it starts."));
  EXPECT_FALSE(pronoun("The program shall determine how it will send the data."));
  // A possessive is not the noun whose phrase holds it.
  EXPECT_FALSE(pronoun("The train shall stop at the end of its movement authority."));
  // Objects without a determiner count, and "data" is read as singular or plural.
  EXPECT_FALSE(pronoun("The collector shall process data as they are received."));
  EXPECT_TRUE(pronoun("The checker shall store quality flags with data as they are received."));
}

TEST(ProductAmbiguity, AnExpletiveItIsUnclearOnlyAfterANounThatAgrees) {
  auto pronoun = [](const char* text) { return finding(find_ambiguities(text), "vague_pronoun") != nullptr; };
  EXPECT_FALSE(pronoun("It shall be possible to export the report."));
  // Only the expletive's own sentence counts.
  EXPECT_FALSE(pronoun("The report lists the orders. It shall be possible to export the list."));
  EXPECT_FALSE(pronoun("Where network services are chargeable, it should be possible to show the rates."));
  auto after_fax = find_ambiguities("Where fax functionality is provided, it shall be possible to interrupt a call.");
  ASSERT_NE(finding(after_fax, "vague_pronoun"), nullptr);
  EXPECT_EQ(finding(after_fax, "vague_pronoun")->suggestion,
            "'it' reads as 'functionality' until the sentence shows it stands for no noun: name who acts instead "
            "(\"the operator shall be able to ...\").");
}

TEST(ProductAmbiguity, CompoundAndNegativeStatements) {
  auto found = find_ambiguities("The system shall not delete orders and shall archive them.");
  EXPECT_NE(finding(found, "negative"), nullptr);
  ASSERT_NE(finding(found, "compound"), nullptr);
  EXPECT_EQ(finding(found, "compound")->text, "shall");
}

TEST(ProductStory, TheActorComesFromTheSentence) {
  auto parts = parts_of("The system shall allow registered customers to cancel an order, so that they save money.");
  EXPECT_EQ(parts.actor, "registered customer");
  EXPECT_EQ(parts.action, "cancel an order");
  EXPECT_EQ(parts.benefit, "they save money");
  auto story = story_of(parts, true);
  EXPECT_EQ(story.user_story,
            "As a registered customer, I want the system to let me cancel an order, so that they save money.");
  EXPECT_EQ(story.acceptance_criteria.front(),
            "Given the system is in operation, when the registered customer chooses to cancel an order, then the system "
            "lets the registered customer cancel an order.");
}

TEST(ProductStory, AnUnknownActorAndAMissingBenefitAreSaid) {
  auto parts = parts_of("When a payment fails, the system shall notify the customer within 5 minutes.");
  EXPECT_TRUE(parts.actor.empty());
  EXPECT_EQ(parts.condition, "When a payment fails");
  auto story = story_of(parts, true);
  EXPECT_NE(story.user_story.find("names no actor"), std::string::npos);
  EXPECT_NE(story.user_story.find("states no benefit"), std::string::npos);
  EXPECT_EQ(story.acceptance_criteria.front(),
            "Given the system is in operation, when a payment fails, then the system notifies the customer within 5 minutes.");
  EXPECT_NE(story.acceptance_criteria.back().find("'5 minutes'"), std::string::npos);
}

TEST(ProductStory, ARoleAsSubjectActsAndAPassiveSubjectDoesNot) {
  auto role = parts_of("Administrators shall approve new accounts within 2 days.");
  EXPECT_EQ(role.actor, "administrator");
  auto story = story_of(role, true);
  EXPECT_EQ(story.user_story.substr(0, 50), "As an administrator, I want to approve new account");
  EXPECT_EQ(story.acceptance_criteria.front(),
            "Given an administrator, when the administrator chooses to approve new accounts within 2 days, then the "
            "administrator approves new accounts within 2 days.");
  auto passive = parts_of("Reports shall be generated by the reporting module every night.");
  EXPECT_TRUE(passive.actor.empty());
  EXPECT_NE(story_of(passive, true).user_story.find("names no actor"), std::string::npos);
}

// Found by the requirement_text fuzz target: a subject of no words ("--", empty quotes) made
// the story read the last word of an empty list (undefined behaviour, a crash in the server).
TEST(ProductStory, ASubjectWithoutWordsReadsAsNoSubject) {
  for (const char* text : {"-- must be able to reset their password.", "\"\" shall lock an account."}) {
    auto story = story_of(parts_of(text), true);
    EXPECT_NE(story.user_story.find("names no actor"), std::string::npos) << story.user_story;
    ASSERT_FALSE(story.acceptance_criteria.empty()) << text;
  }
}

TEST(ProductStory, AQualityWithoutAMeasureIsNotTestable) {
  auto story = story_of(parts_of("The interface shall be easy to use."), false);
  EXPECT_NE(story.acceptance_criteria.back().find("Not testable as written"), std::string::npos);
}

TEST(ProductStory, AThingAsTheSubjectOfAQualityIsNoActorAndCouldIsAModal) {
  auto page = story_of(parts_of("The checkout page should load within 2 seconds."), false);
  EXPECT_TRUE(page.user_story.starts_with(
      "As a user (the requirement names no actor: confirm the role), I want the checkout page to load"))
      << page.user_story;
  // A person stays the actor of a quality requirement, and a functional one keeps its subject.
  EXPECT_EQ(story_of(parts_of("Novice users shall learn the main screen in 10 minutes."), false).user_story.substr(0, 19),
            "As a novice user, I");
  EXPECT_EQ(story_of(parts_of("The realtor shall add a property listing."), true).user_story.substr(0, 16), "As a realtor, I ");

  auto optional = parts_of("Store managers could print the monthly sales report.");
  EXPECT_EQ(optional.modal, "could");
  EXPECT_EQ(optional.actor, "store manager");
  EXPECT_EQ(optional.action, "print the monthly sales report");
  // Another modal comes first: "could" in a clause is not the requirement's.
  auto notified = parts_of("Users who could not log in shall be notified by e-mail.");
  EXPECT_EQ(notified.modal, "shall");
  EXPECT_EQ(notified.subject, "Users who could not log in");
}

TEST(ProductStory, TheVerbAgreesWithTheSubjectsHeadNoun) {
  auto then_of = [](const char* text) { return story_of(parts_of(text), true).acceptance_criteria.front(); };
  EXPECT_NE(then_of("Users who could not log in shall be notified by e-mail.")
                .find("then users who could not log in are notified by e-mail."),
            std::string::npos);
  EXPECT_NE(then_of("The list of users shall be sorted by name.").find("then the list of users is sorted by name."),
            std::string::npos);
  EXPECT_NE(then_of("Reports shall be generated every night.").find("then reports are generated every night."),
            std::string::npos);
  EXPECT_NE(then_of("The status shall be shown.").find("then the status is shown."), std::string::npos);
}

TEST(ProductText, AFigureKeepsItsThousandsAndCountsPeople) {
  auto q = quantities_in("The system must let 20,000 customers and 1,250,000 visitors in, 300 users at once, 5,000 records.");
  ASSERT_EQ(q.size(), 4u);
  EXPECT_EQ(q[0].text, "20,000 customers");
  EXPECT_EQ(q[0].unit, "person");
  EXPECT_EQ(q[1].text, "1,250,000 visitors");
  EXPECT_EQ(q[2].unit, "user");
  EXPECT_EQ(q[3].text, "5,000 records");
  // A list of figures is not a thousands separator.
  EXPECT_EQ(quantities_in("after 2, 3 seconds").at(0).text, "3 seconds");
}

TEST(ProductRelations, NearDuplicatesAndConflicts) {
  std::vector<std::string> texts = {"The system shall lock an account after 3 failed login attempts.",
                                    "The system shall lock an account after 5 failed login attempts.",
                                    "The system shall export monthly reports as PDF files.",
                                    "The system shall export the monthly reports as PDF files.",
                                    "The system shall not export monthly reports as PDF files.",
                                    "Users shall reset their own passwords."};
  std::vector<RequirementParts> parts;
  for (const auto& t : texts) parts.push_back(parts_of(t));
  std::vector<RelationInput> input;
  for (std::size_t i = 0; i < texts.size(); ++i) input.push_back({texts[i], &parts[i]});
  auto relations = find_relations(input);
  EXPECT_EQ(relations.conflicts[0], (std::vector<std::size_t>{1}));
  EXPECT_EQ(relations.duplicates[2], (std::vector<std::size_t>{3}));
  EXPECT_EQ(relations.conflicts[4], (std::vector<std::size_t>{2, 3}));
  EXPECT_TRUE(relations.duplicates[5].empty() && relations.conflicts[5].empty());
}

TEST(ProductClassifier, TrainsDeterministicallyFromTheEmbeddedFile) {
  auto rows = parse_labelled_csv(promise_training_csv());
  ASSERT_EQ(rows.size(), 625u);
  RequirementClassifier a(rows), b(rows);
  for (auto text : {"The system shall display the balance of the account.", "The product shall be available 24/7."}) {
    auto x = a.classify(text), y = b.classify(text);
    EXPECT_EQ(x.functional, y.functional);
    EXPECT_EQ(x.kind_confidence(), y.kind_confidence());
    EXPECT_EQ(x.category, y.category);
  }
  const auto& shared = RequirementAnalyzer::shared().classifier();
  EXPECT_TRUE(shared.classify("The system shall allow a clerk to print the invoice of an order.").functional);
  auto availability = shared.classify("The service shall be available 99.9% of the time, 24 hours a day.");
  EXPECT_FALSE(availability.functional);
  EXPECT_EQ(nfr_categories[availability.category], "availability");
  auto security = shared.classify("Only authorized users shall access the patient records, after logging in with a password.");
  EXPECT_FALSE(security.functional);
  EXPECT_EQ(nfr_categories[security.category], "security");
}

TEST(ProductClassifier, AClassChosenByAModelKeepsTheClassifiersProbabilityAndItsStory) {
  auto items = RequirementAnalyzer::shared().analyze({{"R1", "The system shall respond to a search within 2 seconds."},
                                                      {"R2", "The reports should be easy to read."}});
  auto& item = items.at(0);
  const auto before = item.classification;
  ASSERT_FALSE(before.functional);
  EXPECT_NEAR(before.kind_confidence(), 1 - before.functional_probability, 1e-12);
  EXPECT_EQ(before.category_confidence(), before.category_probabilities[before.category]);

  ASSERT_TRUE(item.ambiguities.empty());
  apply_model_review(item, true, before.category, {"openai/gpt-test", "it describes a search", "a rewrite"});
  const auto& after = item.classification;
  EXPECT_TRUE(after.functional);
  EXPECT_EQ(after.confidence(), before.functional_probability);  // the classifier's figure for the model's class
  EXPECT_EQ(item.story.user_story, story_of(parts_of(item.requirement.text), true).user_story);
  ASSERT_TRUE(item.reviewed_by_model);
  EXPECT_EQ(item.reviewed_by_model->model, "openai/gpt-test");
  EXPECT_EQ(item.reviewed_by_model->rewrite, "");  // the rules found nothing ambiguous to rewrite

  std::size_t security = 9;
  ASSERT_EQ(nfr_categories[security], "security");
  apply_model_review(item, false, security, {"openai/gpt-test", "?", ""});
  EXPECT_EQ(item.classification.confidence(), (1 - before.functional_probability) * before.category_probabilities[security]);

  auto& ambiguous = items.at(1);
  ASSERT_FALSE(ambiguous.ambiguities.empty());
  apply_model_review(ambiguous, false, ambiguous.classification.category,
                     {"openai/gpt-test", "readability", "The reports shall [to be agreed: a readability measure]."});
  auto answer = analysis_json(items);
  const auto& first = answer.at("items").as_array().at(0).as_object();
  EXPECT_EQ(first.at("classified_by").at("method").as_string(), "model");
  EXPECT_TRUE(first.at("rewrite").is_null());
  EXPECT_EQ(answer.at("items").as_array().at(1).at("rewrite").as_string(), "The reports shall [to be agreed: a readability measure].");
  EXPECT_EQ(answer.at("summary").at("classified_by_model").to_number<int>(), 2);
}

TEST(ProductAnalyzer, RequestErrorsNameTheField) {
  auto fields_of = [](const char* body) {
    try {
      read_analysis_request(de::core::parse_object(body));
    } catch (const de::core::Error& e) {
      std::vector<std::string> fields;
      for (const auto& f : e.fields()) fields.push_back(f.field);
      return fields;
    }
    return std::vector<std::string>{};
  };
  EXPECT_EQ(fields_of(R"({"text":""})"), std::vector<std::string>{"text"});
  EXPECT_EQ(fields_of(R"({})"), std::vector<std::string>{"text"});
  EXPECT_EQ(fields_of(R"({"text":"A shall b.","requirements":[]})"), std::vector<std::string>{"text"});
  EXPECT_EQ(fields_of(R"({"requirements":[{"id":"1","text":"x"},{"id":"1","text":"y"}]})"),
            std::vector<std::string>{"requirements[1].id"});
  std::string big = R"({"text":")" + std::string(max_document_bytes + 1, 'a') + R"("})";
  EXPECT_EQ(fields_of(big.c_str()), std::vector<std::string>{"text"});
}

TEST(ProductAnalyzer, AnswerSpansAreCodePoints) {
  auto items = RequirementAnalyzer::shared().analyze({{"1", "Das Café-System should be fast."}});
  auto json = analysis_json(items);
  const auto& item = json.at("items").as_array().at(0).as_object();
  const auto& spans = item.at("ambiguities").as_array();
  ASSERT_FALSE(spans.empty());
  // "should" starts at code point 16, byte 17 (the é is two bytes).
  EXPECT_EQ(spans.at(0).at("text").as_string(), "should");
  EXPECT_EQ(spans.at(0).at("start").to_number<std::int64_t>(), 16);
  EXPECT_EQ(json.at("summary").at("total").to_number<std::int64_t>(), 1);
}
