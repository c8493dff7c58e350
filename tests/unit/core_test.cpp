#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <set>

#include "core/clock.hpp"
#include "core/config.hpp"
#include "core/ids.hpp"
#include "core/json.hpp"
#include "core/json_exact.hpp"

using namespace de::core;

TEST(Ids, AreVersion7UuidsThatSortByCreation) {
  std::string previous;
  std::set<std::string> seen;
  for (int i = 0; i < 10000; ++i) {
    auto id = new_id();
    ASSERT_TRUE(is_uuid(id)) << id;
    EXPECT_EQ(id[14], '7');
    EXPECT_TRUE(id[19] == '8' || id[19] == '9' || id[19] == 'a' || id[19] == 'b');
    EXPECT_LT(previous, id);
    previous = id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 10000u);
}

TEST(Ids, TellTheMillisecondTheyWereMadeIn) {
  auto before = now_ms();
  auto id = new_id();
  auto after = now_ms();
  EXPECT_GE(id_time_ms(id), before);
  // Ahead of the clock only after more than 4,096 ids in a millisecond (the test above makes
  // 10,000 in a row): a few milliseconds at most.
  EXPECT_LE(id_time_ms(id), after + 50);
  EXPECT_EQ(id_time_ms("01a20ce4-61b4-7003-b6ba-9486d2112aa4"), 0x01a20ce461b4);
}

TEST(Ids, RecognisesUuids) {
  EXPECT_TRUE(is_uuid("01a20ce4-61b4-7003-b6ba-9486d2112aa4"));
  EXPECT_FALSE(is_uuid("01a20ce4-61b4-7003-b6ba-9486d2112aa"));
  EXPECT_FALSE(is_uuid("01a20ce4x61b4-7003-b6ba-9486d2112aa4"));
  EXPECT_FALSE(is_uuid("not-a-uuid"));
}

TEST(Clock, FormatsAndParsesRfc3339) {
  EXPECT_EQ(format_timestamp(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_timestamp(1795000000123), "2026-11-18T11:06:40.123Z");
  EXPECT_EQ(parse_timestamp("2026-11-18T11:06:40.123Z"), 1795000000123);
  EXPECT_EQ(parse_timestamp("2026-11-18T12:06:40.123+01:00"), 1795000000123);
  EXPECT_EQ(parse_timestamp("2026-11-18T11:06:40Z"), 1795000000000);
  EXPECT_FALSE(parse_timestamp("2026-13-18T19:06:40Z"));
  EXPECT_FALSE(parse_timestamp("2026-11-18 19:06:40"));
  EXPECT_FALSE(parse_timestamp("yesterday"));
  auto now = now_ms();
  EXPECT_EQ(parse_timestamp(format_timestamp(now)), now);
  EXPECT_EQ(format_timestamp(-1), "1969-12-31T23:59:59.999Z");
  EXPECT_EQ(format_timestamp(951782400007), "2000-02-29T00:00:00.007Z");
  EXPECT_EQ(format_timestamp(253402300799999), "9999-12-31T23:59:59.999Z");
  EXPECT_EQ(format_timestamp(253402300800000), "10000-01-01T00:00:00.000Z");
}

TEST(Json, ParseObjectRejectsNulInStringsAndKeysNamingTheField) {
  EXPECT_EQ(parse_object(R"({"a":"\\u0000 is text"})").at("a").as_string(), "\\u0000 is text")
      << "an escaped backslash before u0000 is no NUL";
  auto field_of = [](const char* text) -> std::string {
    try {
      parse_object(text);
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::validation) << text;
      return e.fields().empty() ? "" : e.fields()[0].field;
    }
    return "(accepted)";
  };
  EXPECT_EQ(field_of(R"({"a":{"b":["x","y\u0000"]}})"), "a.b[1]");
  EXPECT_EQ(field_of(R"({"ok":1,"k\u0000":1})"), std::string("k\0", 2));
}

TEST(Json, ParseObjectRejectsMalformedAndNonObjects) {
  EXPECT_EQ(parse_object(R"({"a":1})").at("a").as_int64(), 1);
  for (const char* bad : {"{", "[1,2]", "\"text\"", "", "{\"a\":}"}) {
    try {
      parse_object(bad);
      FAIL() << bad;
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::bad_request) << bad;
    }
  }
}

TEST(Json, ObjectReaderReportsEveryBadField) {
  auto body = parse_object(R"({"name":5,"count":"x","mode":"loud","extra":true,"tags":["a",""]})");
  ObjectReader r(body, "item");
  r.string("name", true);
  r.integer("count", true, 0, 10);
  static constexpr std::string_view modes[] = {"quiet", "normal"};
  r.choice("mode", true, modes);
  r.strings("tags", false);
  r.string("missing", true);
  try {
    r.finish();
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::validation);
    std::set<std::string> fields;
    for (const auto& f : e.fields()) fields.insert(f.field);
    EXPECT_EQ(fields, (std::set<std::string>{"item.name", "item.count", "item.mode", "item.tags[1]",
                                             "item.missing", "item.extra"}));
  }
}

TEST(Json, ObjectReaderAcceptsValidInput) {
  auto body = parse_object(R"({"name":"x","count":3,"flag":false,"opt":null})");
  ObjectReader r(body);
  EXPECT_EQ(r.string("name", true), "x");
  EXPECT_EQ(r.integer("count", true, 0, 10), 3);
  EXPECT_EQ(r.boolean("flag", true), false);
  EXPECT_FALSE(r.string("opt", false));
  EXPECT_NO_THROW(r.finish());
}

// Strings are scanned eight bytes at a time: each byte that must be escaped, at every position
// of a word and in the tail, next to bytes that must not (UTF-8, DEL, space, 0x1f's neighbours).
TEST(Json, QuotedEscapesLikeBoostJsonAtEveryPosition) {
  const std::string specials[] = {"\"", "\\", std::string(1, '\0'), "\n", "\x1f", "\x01", "\t"};
  const std::string plain = "ab \x7f\xc3\xa9!#[]\x20";  // near misses: no escapes
  for (const auto& special : specials)
    for (std::size_t length = 0; length <= 19; ++length)
      for (std::size_t at = 0; at <= length; ++at) {
        std::string text;
        for (std::size_t i = 0; i < length; ++i) text += plain[i % plain.size()];
        text.insert(at, special);
        EXPECT_EQ(de::core::quoted(text), boost::json::serialize(boost::json::string(text))) << "length " << length << " at " << at;
      }
  EXPECT_EQ(de::core::quoted(std::string(40, 'x')), '"' + std::string(40, 'x') + '"');
}

// Numbers with a fraction part read as people and tools expect; everything else is written as
// Boost.JSON writes it.
TEST(Json, TextWritesDoublesAsDecimalsAndTheRestAsBoost) {
  EXPECT_EQ(de::core::to_text(boost::json::value(0.0)), "0.0");
  EXPECT_EQ(de::core::to_text(boost::json::value(1.0)), "1.0");
  EXPECT_EQ(de::core::to_text(boost::json::value(3.2)), "3.2");
  EXPECT_EQ(de::core::to_text(boost::json::value(-2.5)), "-2.5");
  EXPECT_EQ(de::core::to_text(boost::json::value(0.1)), "0.1");
  EXPECT_EQ(de::core::to_text(boost::json::value(123456.0)), "123456.0");
  EXPECT_EQ(de::core::to_text(boost::json::value(1e21)), "1e+21");
  EXPECT_EQ(de::core::to_text(boost::json::value(4.48e-05)), "0.0000448");
  EXPECT_EQ(de::core::to_text(boost::json::value(1e-7)), "1e-07");
  EXPECT_EQ(de::core::to_text(boost::json::value(std::nan(""))), "null");
  EXPECT_EQ(de::core::to_text(boost::json::value(std::numeric_limits<double>::infinity())), "null");
  for (double d : {0.0, 1.0, 3.2, 1.0 / 3, 1e-7, 6.02214076e23, -0.0, 12.5})
    EXPECT_EQ(boost::json::parse(de::core::to_text(boost::json::value(d))).to_number<double>(), d) << d;
  auto without_doubles = boost::json::parse(
      R"({"a":[1,-2,18446744073709551615,true,false,null,"q\"\\\n\u0001é"],"b":{},"c":[],"":{"d":{"e":[[]]}}})");
  EXPECT_EQ(de::core::to_text(without_doubles), boost::json::serialize(without_doubles));
  EXPECT_EQ(de::core::to_text(without_doubles.as_object()), boost::json::serialize(without_doubles));
  EXPECT_EQ(de::core::to_text(boost::json::object{{"rate", 1.0}, {"n", 2}}), R"({"rate":1.0,"n":2})");
}

// What a replay reads must write the same text again (store/projections.hpp): the exact parser
// reads every double as written, where Boost.JSON's is sometimes a unit in the last place off.
TEST(Json, ExactParseGivesBackTheTextThatWasWritten) {
  auto text = R"({"f":[0.10628704798817301,-0.2271821975708008,0.1,1e-07,123456.0],"i":-3,"u":18446744073709551615,)"
              R"("s":"q\"é","n":null,"b":[true,false],"o":{"x":{}}})";
  auto exact = de::core::parse_exact(text);
  ASSERT_TRUE(exact);
  EXPECT_EQ(de::core::to_text(*exact), text);
  EXPECT_EQ(exact->at("f").at(0).as_double(), 0.10628704798817301);
  for (auto bad : {"", "{", "[1,]", "{} {}", "01", "nul"}) EXPECT_FALSE(de::core::parse_exact(bad)) << bad;
}

TEST(Config, ParsesEndpointsAndRejectsNonsense) {
  auto e = parse_endpoint("127.0.0.1:9090");
  EXPECT_EQ(e.host, "127.0.0.1");
  EXPECT_EQ(e.port, 9090);
  EXPECT_EQ(parse_endpoint("[::1]:80").host, "::1");
  EXPECT_THROW(parse_endpoint("nonsense"), Error);
  EXPECT_THROW(parse_endpoint("127.0.0.1:99999"), Error);
  EXPECT_THROW(load_config(std::nullopt, {{"DE_THREADS", "many"}}), Error);
  EXPECT_THROW(load_config(std::nullopt, {{"DE_NOT_A_SETTING", "1"}}), Error);
  auto c = load_config(std::nullopt, {{"DE_THREADS", "3"}, {"DE_LISTEN", "127.0.0.1:0"}});
  EXPECT_EQ(c.threads, 3);
  EXPECT_EQ(c.listen.port, 0);
}
