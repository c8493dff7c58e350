#include <gtest/gtest.h>

#include <set>

#include <boost/json.hpp>

#include "core/clock.hpp"
#include "core/error.hpp"
#include "workflow/definition.hpp"
#include "workflow/expression.hpp"
#include "workflow/timezone.hpp"

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

// Epoch milliseconds of an RFC 3339 time, and a schedule's next run after one.
std::int64_t at(const char* timestamp) { return *core::parse_timestamp(timestamp); }
std::int64_t next(const char* cron, const char* timezone, std::int64_t after) {
  return *Cron::parse(cron, timezone).next(after);
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
  EXPECT_EQ(next("*/15 * * * *", "UTC", at("2026-11-24T10:07:30Z")), at("2026-11-24T10:15:00Z"));
  EXPECT_EQ(next("0 9 * * 1-5", "UTC", at("2026-11-27T10:00:00Z")), at("2026-11-30T09:00:00Z"));  // Friday -> Monday
  EXPECT_EQ(next("0 9 * * *", "+02:00", at("2026-11-24T08:00:00Z")), at("2026-11-25T07:00:00Z"));
  EXPECT_EQ(next("* * * * * *", "UTC", at("2026-11-24T10:07:30.500Z")), at("2026-11-24T10:07:31Z"));
  EXPECT_EQ(next("30 0 12 1 1 *", "UTC", at("2026-11-24T10:00:00Z")), at("2027-01-01T12:00:30Z"));
  EXPECT_THROW(Cron::parse("* * *", "UTC"), core::Error);
  EXPECT_THROW(Cron::parse("* * * * *", "Mars/Olympus"), core::Error);
}

TEST(TimeZone, ReadsNamedZonesAcrossDaylightSaving) {
  auto seconds_at = [](const char* t) { return at(t) / 1000; };  // the zone API counts seconds
  auto berlin = TimeZone::load("Europe/Berlin");
  EXPECT_FALSE(berlin.is_fixed());
  EXPECT_EQ(berlin.offset_seconds_at(seconds_at("2026-01-15T12:00:00Z")), 3600);
  EXPECT_EQ(berlin.offset_seconds_at(seconds_at("2026-07-15T12:00:00Z")), 7200);
  // 2026: summer time from 29 March 01:00Z to 25 October 01:00Z.
  EXPECT_EQ(berlin.offset_seconds_at(seconds_at("2026-03-29T00:59:59Z")), 3600);
  EXPECT_EQ(berlin.offset_seconds_at(seconds_at("2026-03-29T01:00:00Z")), 7200);
  EXPECT_EQ(berlin.offset_seconds_at(seconds_at("2026-10-25T00:59:59Z")), 7200);
  EXPECT_EQ(berlin.offset_seconds_at(seconds_at("2026-10-25T01:00:00Z")), 3600);
  // Past the file's transitions the footer rule (CET-1CEST,M3.5.0,M10.5.0/3) decides.
  EXPECT_EQ(berlin.offset_seconds_at(seconds_at("2061-01-15T12:00:00Z")), 3600);
  EXPECT_EQ(berlin.offset_seconds_at(seconds_at("2061-07-15T12:00:00Z")), 7200);
  EXPECT_EQ(berlin.offset_seconds_at(seconds_at("2061-03-27T00:59:59Z")), 3600);  // last Sunday of March 2061
  EXPECT_EQ(berlin.offset_seconds_at(seconds_at("2061-03-27T01:00:00Z")), 7200);
  EXPECT_EQ(berlin.offset_seconds_at(seconds_at("2061-10-30T01:00:00Z")), 3600);  // last Sunday of October 2061
  auto new_york = TimeZone::load("America/New_York");
  EXPECT_EQ(new_york.offset_seconds_at(seconds_at("2026-01-15T12:00:00Z")), -5 * 3600);
  EXPECT_EQ(new_york.offset_seconds_at(seconds_at("2026-07-15T12:00:00Z")), -4 * 3600);
  EXPECT_EQ(new_york.offset_seconds_at(seconds_at("2026-03-08T06:59:59Z")), -5 * 3600);  // 2nd Sunday of March, 2:00
  EXPECT_EQ(new_york.offset_seconds_at(seconds_at("2026-03-08T07:00:00Z")), -4 * 3600);
  EXPECT_EQ(new_york.offset_seconds_at(seconds_at("2061-11-06T05:59:59Z")), -4 * 3600);  // 1st Sunday of November
  EXPECT_EQ(new_york.offset_seconds_at(seconds_at("2061-11-06T06:00:00Z")), -5 * 3600);
  auto sydney = TimeZone::load("Australia/Sydney");  // southern hemisphere: summer time over the new year
  EXPECT_EQ(sydney.offset_seconds_at(seconds_at("2061-01-01T00:00:00Z")), 11 * 3600);
  EXPECT_EQ(sydney.offset_seconds_at(seconds_at("2061-07-01T00:00:00Z")), 10 * 3600);
  // Local wall clock to UTC: a gap gives nothing, a repeated time its first occurrence.
  EXPECT_EQ(berlin.to_utc(seconds_at("2026-03-29T02:30:00Z")), std::nullopt);
  EXPECT_EQ(berlin.to_utc(seconds_at("2026-10-25T02:30:00Z")), seconds_at("2026-10-25T00:30:00Z"));
  EXPECT_EQ(berlin.to_utc(seconds_at("2026-07-01T12:00:00Z")), seconds_at("2026-07-01T10:00:00Z"));
  // Fixed offsets and UTC.
  EXPECT_EQ(TimeZone::parse("UTC").offset_seconds_at(seconds_at("2026-07-15T12:00:00Z")), 0);
  EXPECT_EQ(TimeZone::parse("+02:00").offset_seconds_at(seconds_at("2026-01-15T12:00:00Z")), 7200);
  EXPECT_EQ(TimeZone::parse("-05:30").offset_seconds_at(seconds_at("2026-07-15T12:00:00Z")), -(5 * 3600 + 1800));
  EXPECT_TRUE(TimeZone::parse("+02:00").is_fixed());
  EXPECT_FALSE(TimeZone::parse("Europe/Berlin").is_fixed());
}

TEST(TimeZone, RejectsUnknownAndHostileNames) {
  auto message = [](std::string_view name) {
    try {
      TimeZone::load(name);
    } catch (const core::Error& e) {
      EXPECT_EQ(e.kind(), core::ErrorKind::validation);
      return std::string(e.what());
    }
    return std::string("accepted");
  };
  EXPECT_EQ(message("Europe/Berln"), "unknown time zone Europe/Berln");
  EXPECT_EQ(message("Europe"), "unknown time zone Europe");       // a directory
  EXPECT_EQ(message("leapseconds"), "unknown time zone leapseconds");  // a file, but not TZif
  EXPECT_NE(message("zone.tab").find("is not a time zone name"), std::string::npos);
  for (const char* hostile : {"../etc/passwd", "/etc/passwd", "Europe/../../../etc/passwd", "Europe/Berlin\n", "a b", ""})
    EXPECT_NE(message(hostile).find("is not a time zone name"), std::string::npos) << hostile;
  EXPECT_THROW(TimeZone::parse("+2:00"), core::Error);
}

TEST(Cron, FollowsTheWallClockOfNamedZones) {
  EXPECT_EQ(next("0 9 * * *", "Europe/Berlin", at("2026-01-15T10:00:00Z")), at("2026-01-16T08:00:00Z"));
  EXPECT_EQ(next("0 9 * * *", "Europe/Berlin", at("2026-07-15T10:00:00Z")), at("2026-07-16T07:00:00Z"));
  EXPECT_EQ(next("0 9 * * *", "Europe/Berlin", at("2061-07-15T10:00:00Z")), at("2061-07-16T07:00:00Z"));
  // The day clocks change, Monday 9:00 the week after.
  EXPECT_EQ(next("0 9 * * 1", "Europe/Berlin", at("2026-03-28T12:00:00Z")), at("2026-03-30T07:00:00Z"));
  // Spring forward (29 March 2026: 02:00 -> 03:00): 02:30 does not exist that day.
  EXPECT_EQ(next("30 2 * * *", "Europe/Berlin", at("2026-03-28T12:00:00Z")), at("2026-03-30T00:30:00Z"));
  EXPECT_EQ(next("*/30 * * * *", "Europe/Berlin", at("2026-03-29T00:45:00Z")), at("2026-03-29T01:00:00Z"));
  // Fall back (25 October 2026: 03:00 -> 02:00): 02:30 happens twice and fires once, the first time.
  auto first = next("30 2 * * *", "Europe/Berlin", at("2026-10-24T12:00:00Z"));
  EXPECT_EQ(first, at("2026-10-25T00:30:00Z"));
  EXPECT_EQ(next("30 2 * * *", "Europe/Berlin", first), at("2026-10-26T01:30:00Z"));
  EXPECT_EQ(next("30 2 * * *", "Europe/Berlin", at("2026-10-25T01:15:00Z")), at("2026-10-26T01:30:00Z"));  // in the repeat
  EXPECT_EQ(next("* * * * * *", "Europe/Berlin", at("2026-10-25T01:15:00Z")), at("2026-10-25T02:00:00Z"));
  EXPECT_EQ(next("* * * * * *", "Europe/Berlin", at("2026-10-25T00:15:00Z")), at("2026-10-25T00:15:01Z"));
  // America/New_York: 9:00 is 14:00Z in winter, 13:00Z in summer; 8 March 2026 springs forward at 2:00.
  EXPECT_EQ(next("0 9 * * *", "America/New_York", at("2026-01-15T15:00:00Z")), at("2026-01-16T14:00:00Z"));
  EXPECT_EQ(next("0 9 * * *", "America/New_York", at("2026-07-15T15:00:00Z")), at("2026-07-16T13:00:00Z"));
  EXPECT_EQ(next("30 2 * * *", "America/New_York", at("2026-03-07T12:00:00Z")), at("2026-03-09T06:30:00Z"));
  EXPECT_EQ(next("30 1 * * *", "America/New_York", at("2026-10-31T12:00:00Z")), at("2026-11-01T05:30:00Z"));
  EXPECT_EQ(next("30 1 * * *", "America/New_York", at("2026-11-01T05:30:00Z")), at("2026-11-02T06:30:00Z"));
  // Fixed offsets are unchanged.
  EXPECT_EQ(next("0 9 * * *", "-05:00", at("2026-07-15T15:00:00Z")), at("2026-07-16T14:00:00Z"));
  EXPECT_EQ(next("0 9 * * *", "+02:00", at("2026-01-15T10:00:00Z")), at("2026-01-16T07:00:00Z"));
  EXPECT_THROW(Cron::parse("0 9 * * *", "Europe/Berln"), core::Error);
  EXPECT_THROW(Cron::parse("0 9 * * *", "../etc/passwd"), core::Error);
}

TEST(Definition, ChecksTheScheduleTimeZone) {
  auto schedule = [](std::string cron, std::string tz) {
    return json::parse(R"({"trigger":{"type":"schedule","cron":")" + cron + R"(","timezone":")" + tz +
                       R"("},"steps":[{"id":"a","type":"delay","seconds":0}]})");
  };
  EXPECT_EQ(error_fields(schedule("0 9 * * *", "America/Argentina/Buenos_Aires")), std::set<std::string>{});
  EXPECT_EQ(error_fields(schedule("0 9 * * *", "+02:00")), std::set<std::string>{});
  EXPECT_EQ(error_fields(schedule("0 9 * * *", "Europe/Berln")), std::set<std::string>{"definition.trigger.timezone"});
  EXPECT_EQ(error_fields(schedule("0 9 * * *", "../etc/passwd")), std::set<std::string>{"definition.trigger.timezone"});
  EXPECT_EQ(error_fields(schedule("0 9 * *", "Europe/Berln")),
            (std::set<std::string>{"definition.trigger.timezone", "definition.trigger.cron"}));
}
