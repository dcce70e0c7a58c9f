// The one JSON policy shared by scenario files and API request bodies.
#include "outbreak/io/json_text.hpp"

#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "outbreak/io/scenario_json.hpp"

namespace outbreak::io {
namespace {

using namespace std::string_view_literals;

std::string error_of(std::string_view text) {
  auto parsed = parse_json_text(text);
  EXPECT_FALSE(parsed.ok()) << text;
  return parsed.ok() ? std::string() : parsed.error().message;
}

bool contains(const std::string& text, std::string_view part) {
  return text.find(part) != std::string::npos;
}

TEST(JsonText, ReadsAValueAndKeepsTheKeyOrder) {
  auto parsed = parse_json_text(R"( {"b": 1, "a": [1, {"c": null}]} )");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->begin().key(), "b");
  EXPECT_EQ(parsed->dump(), R"({"b":1,"a":[1,{"c":null}]})");
}

TEST(JsonText, DuplicateKeysAreRefusedAtAnyDepthByTheirPath) {
  EXPECT_TRUE(contains(error_of(R"({"a": 1, "a": 2})"), R"(duplicate key "a")"));
  EXPECT_TRUE(contains(error_of(R"({"a": {"b": 1, "b": 2}})"), R"(duplicate key "a.b")"));
  EXPECT_TRUE(contains(error_of(R"({"a": [0, {"c": 1, "c": 2}]})"), R"(duplicate key "a[1].c")"));
  EXPECT_TRUE(contains(error_of(R"([{"x": 1}, {"y": 1, "y": 2}])"), R"(duplicate key "[1].y")"));
  auto twice = parse_json_text(R"({"a": 1, "a": 2, "b": {"c": 1, "c": 3}})");
  ASSERT_FALSE(twice.ok());
  ASSERT_EQ(twice.error().fields.size(), 2u);
  EXPECT_EQ(twice.error().fields[0].field, "a");
  EXPECT_EQ(twice.error().fields[1].field, "b.c");
  // The same key in different objects is no duplicate.
  EXPECT_TRUE(parse_json_text(R"({"a": {"a": 1}, "b": [{"a": 1}, {"a": 2}]})").ok());
}

TEST(JsonText, NulBytesAreRefusedWhereverTheyAre) {
  EXPECT_TRUE(
      contains(error_of("{\"a\": 1}\0{\"a\": 2}"sv), "NUL byte at byte 8 (line 1, column 9)"));
  EXPECT_TRUE(contains(error_of("{\"a\": \"x\0y\"}"sv), "NUL byte at byte 8"));
  EXPECT_TRUE(contains(error_of("\0"sv), "NUL byte at byte 0"));
  EXPECT_TRUE(error_of("\0"sv).starts_with("malformed JSON"));
}

TEST(JsonText, TrailingBytesAndSyntaxErrorsAreRefusedWithAPosition) {
  EXPECT_TRUE(contains(error_of("{\"a\": 1} {\"a\": 2}"), "malformed JSON at line 1, column 10"));
  EXPECT_TRUE(contains(error_of("{\"a\": 1}\nx"), "malformed JSON at line 2, column 1"));
  EXPECT_TRUE(contains(error_of("{\"a\": }"), "malformed JSON at line 1, column 7"));
  EXPECT_TRUE(contains(error_of(""), "malformed JSON"));
  EXPECT_TRUE(parse_json_text("{}\n \t\r\n").ok()) << "whitespace after the value is fine";
}

TEST(JsonText, ScenarioFilesFollowThePolicy) {
  engine::Scenario scenario;
  const auto refused = [&](std::string_view text) {
    const Status read = read_scenario_json(text, scenario);
    return read.ok() ? std::string() : read.error().message;
  };
  EXPECT_TRUE(contains(refused("{\"days\": 10}\0{\"days\": 20}"sv), "NUL byte"));
  EXPECT_TRUE(contains(refused(R"({"days": 10} {"days": 20})"), "malformed JSON"));
  EXPECT_TRUE(contains(refused(R"({"age_shares": [{"a": 1, "a": 2}]})"),
                       R"(duplicate key "age_shares[0].a")"));
  EXPECT_EQ(scenario.days, engine::Scenario{}.days) << "nothing applied";
}

}  // namespace
}  // namespace outbreak::io
