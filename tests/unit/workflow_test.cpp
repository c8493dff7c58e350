#include <gtest/gtest.h>

#include <set>

#include <boost/json.hpp>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "workflow/definition.hpp"
#include "workflow/expression.hpp"

using namespace de;
using namespace de::workflow;
namespace json = boost::json;

namespace {
json::value eval(std::string_view text, const json::value& context = json::object()) {
  return Expression::parse(text).evaluate(context);
}

std::set<std::string> error_fields(const json::value& definition) {
  try {
    parse_definition(definition);
  } catch (const core::Error& e) {
    std::set<std::string> fields;
    for (const auto& f : e.fields()) fields.insert(f.field);
    return fields;
  }
  return {};
}
}  // namespace

TEST(Expression, EvaluatesArithmeticLogicAndPaths) {
  auto ctx = json::parse(R"({"input":{"v":12,"name":"Ada","tags":["a","b"]},"steps":{"a":{"output":{"score":0.8}}}})");
  EXPECT_EQ(eval("input.v > 10", ctx), true);
  EXPECT_EQ(eval("input.v * 2 + 1", ctx), 25);
  EXPECT_EQ(eval("input.v / 5", ctx), 2.4);
  EXPECT_EQ(eval("steps.a.output.score >= 0.8 && !(input.name == 'Bob')", ctx), true);
  EXPECT_EQ(eval("input.tags[1]", ctx), "b");
  EXPECT_EQ(eval("input.tags[-1] + '!'", ctx), "b!");
  EXPECT_EQ(eval("len(input.tags) == 2 and contains(input.tags, 'a')", ctx), true);
  EXPECT_EQ(eval("lower(input.name) + ' ' + upper('x')", ctx), "ada X");
  EXPECT_EQ(eval("input.missing.deeper", ctx), nullptr);
  EXPECT_EQ(eval("input.missing > 3", ctx), false);
  EXPECT_EQ(eval("exists(input.v) || false", ctx), true);
  EXPECT_EQ(eval("10 == 10.0"), true);
  EXPECT_EQ(eval("-3 % 2 == -1"), true);
}

TEST(Expression, RefusesWhatIsNotAllowedWithPositions) {
  for (const char* bad : {"1 +", "input.", "system('rm -rf /')", "a = 1", "'open", "(1", "1 $ 2", "[1,2"})
    EXPECT_THROW(Expression::parse(bad), core::Error) << bad;
  EXPECT_THROW(eval("'a' - 1"), core::Error);
  EXPECT_THROW(eval("1 / 0"), core::Error);
  std::string deep(200, '(');
  EXPECT_THROW(Expression::parse(deep + "1" + std::string(200, ')')), core::Error);
  EXPECT_THROW(Expression::parse(std::string(3000, '1')), core::Error);
  try {
    Expression::parse("1 + * 2");
    FAIL();
  } catch (const core::Error& e) {
    EXPECT_NE(std::string(e.what()).find("character 5"), std::string::npos) << e.what();
  }
}

TEST(Expression, EvaluationWorkIsBounded) {
  Limits tight;
  tight.max_steps = 50;
  std::string big = "1";
  for (int i = 0; i < 40; ++i) big += " + 1";
  EXPECT_THROW(Expression::parse(big, tight).evaluate(json::object()), core::Error);
  EXPECT_EQ(Expression::parse(big).evaluate(json::object()), 41);
}

TEST(Expression, TemplatesKeepTypesOrSplice) {
  auto ctx = json::parse(R"({"input":{"n":5,"who":"Ada","obj":{"k":1}}})");
  auto out = render(json::parse(R"({"n":"{{input.n}}","text":"Hello {{input.who}}, {{input.n}}!","o":"{{ input.obj }}","raw":7})"), ctx);
  EXPECT_EQ(out.at("n"), 5);
  EXPECT_EQ(out.at("text"), "Hello Ada, 5!");
  EXPECT_EQ(out.at("o").at("k"), 1);
  EXPECT_EQ(out.at("raw"), 7);
  std::vector<std::vector<std::string>> paths;
  check_templates(json::parse(R"({"a":"{{steps.x.output.v}}"})"), paths);
  ASSERT_EQ(paths.size(), 1u);
  EXPECT_EQ(paths[0], (std::vector<std::string>{"steps", "x", "output", "v"}));
  EXPECT_THROW(check_templates(json::parse(R"({"a":"{{ broken"})"), paths), core::Error);
}

TEST(Definition, AcceptsTheDesignExample) {
  auto d = parse_definition(json::parse(R"({"trigger": {"type": "manual"},
   "steps": [
    {"id": "a", "type": "task", "task_type": "echo", "input": {"v": "{{input.v}}"}},
    {"id": "c", "type": "condition", "depends_on": ["a"], "expression": "steps.a.output.v > 10", "then": ["big"], "else": ["small"]},
    {"id": "big", "type": "task", "task_type": "echo", "input": {"size": "big"}},
    {"id": "small", "type": "task", "task_type": "echo", "input": {"size": "small"}},
    {"id": "wait", "type": "delay", "depends_on": ["big"], "seconds": 5},
    {"id": "ok", "type": "approval", "depends_on": ["wait"], "role": "manager"}],
   "output": {"size": "{{steps.big.output.size}}"}})"));
  EXPECT_EQ(d.steps.size(), 6u);
  EXPECT_EQ(d.find("big")->parents, std::vector<std::string>{"c"});
  EXPECT_TRUE(d.is_routed("small"));
  EXPECT_EQ(d.find("wait")->delay_ms, 5000);
}

TEST(Definition, NamesTheStepAndFieldOfEachProblem) {
  EXPECT_EQ(error_fields(json::parse(R"({"trigger":{"type":"manual"},"steps":[
      {"id":"a","type":"task"},
      {"id":"a","type":"teleport"},
      {"id":"c","type":"delay","seconds":-1}]})")),
            (std::set<std::string>{"definition.steps[0].task_type", "definition.steps[1].id", "definition.steps[1].type",
                                   "definition.steps[2].seconds"}));
  EXPECT_EQ(error_fields(json::parse(R"({"trigger":{"type":"sometimes"},"steps":[]})")),
            (std::set<std::string>{"definition.trigger.type", "definition.steps"}));
  EXPECT_EQ(error_fields(json::parse(R"({"trigger":{"type":"schedule","cron":"61 * * * *"},"steps":[{"id":"a","type":"delay","seconds":1}]})")),
            (std::set<std::string>{"definition.trigger.cron"}));
}

TEST(Definition, RefusesCyclesUnknownStepsAndOutputsThatCannotExistYet) {
  auto cycle = error_fields(json::parse(R"({"trigger":{"type":"manual"},"steps":[
      {"id":"a","type":"delay","seconds":1,"depends_on":["b"]},{"id":"b","type":"delay","seconds":1,"depends_on":["a"]}]})"));
  EXPECT_TRUE(cycle.contains("definition.steps[0].depends_on"));
  EXPECT_EQ(error_fields(json::parse(R"({"trigger":{"type":"manual"},"steps":[
      {"id":"a","type":"delay","seconds":1,"depends_on":["ghost"]}]})")),
            (std::set<std::string>{"definition.steps[0].depends_on"}));
  // b reads a's output but does not run after a.
  EXPECT_EQ(error_fields(json::parse(R"({"trigger":{"type":"manual"},"steps":[
      {"id":"a","type":"task","task_type":"echo"},
      {"id":"b","type":"task","task_type":"echo","input":{"x":"{{steps.a.output.v}}"}}]})")),
            (std::set<std::string>{"definition.steps[1].input"}));
  EXPECT_EQ(error_fields(json::parse(R"({"trigger":{"type":"manual"},"steps":[
      {"id":"a","type":"condition","expression":"secrets.key == 1"}]})")),
            (std::set<std::string>{"definition.steps[0].expression"}));
}

TEST(Cron, FindsTheNextMatchingTime) {
  auto at = [](const char* t) { return *core::parse_timestamp(t); };
  auto next = [](const char* cron, const char* tz, std::int64_t after) { return *Cron::parse(cron, tz).next(after); };
  EXPECT_EQ(next("*/15 * * * *", "UTC", at("2026-11-24T10:07:30Z")), at("2026-11-24T10:15:00Z"));
  EXPECT_EQ(next("0 9 * * 1-5", "UTC", at("2026-11-27T10:00:00Z")), at("2026-11-30T09:00:00Z"));  // Friday -> Monday
  EXPECT_EQ(next("0 9 * * *", "+02:00", at("2026-11-24T08:00:00Z")), at("2026-11-25T07:00:00Z"));
  EXPECT_EQ(next("* * * * * *", "UTC", at("2026-11-24T10:07:30.500Z")), at("2026-11-24T10:07:31Z"));
  EXPECT_EQ(next("30 0 12 1 1 *", "UTC", at("2026-11-24T10:00:00Z")), at("2027-01-01T12:00:30Z"));
  EXPECT_THROW(Cron::parse("* * *", "UTC"), core::Error);
  EXPECT_THROW(Cron::parse("* * * * *", "Mars/Olympus"), core::Error);
}
