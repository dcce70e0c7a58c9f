// The request values the routes read (src/serve/query.hpp).
#include "serve/query.hpp"

#include <gtest/gtest.h>

namespace outbreak::serve::detail {
namespace {

TEST(ResultsFormat, TakesJsonAndCsvOnly) {
  EXPECT_EQ(*parse_results_format("json"), io::Format::kJson);
  EXPECT_EQ(*parse_results_format("csv"), io::Format::kCsv);
  for (const char* bad : {"", "JSON", "table", "csv ", "json\n"}) {
    const auto format = parse_results_format(bad);
    ASSERT_FALSE(format.ok()) << bad;
    EXPECT_EQ(format.error().code, ErrorCode::kInvalidInput);
    ASSERT_EQ(format.error().fields.size(), 1U);
    EXPECT_EQ(format.error().fields[0].field, "format");
  }
}

TEST(Replicate, IsOneBasedAndWithinTheJob) {
  EXPECT_EQ(*parse_replicate("1", 3), 0);
  EXPECT_EQ(*parse_replicate("3", 3), 2);
  EXPECT_EQ(*parse_replicate("03", 3), 2);
  for (const char* bad :
       {"", "0", "4", "-1", "+1", "1.0", "1 ", " 1", "x", "1e0", "99999999999999999999999"}) {
    const auto replicate = parse_replicate(bad, 3);
    ASSERT_FALSE(replicate.ok()) << bad;
    EXPECT_EQ(replicate.error().message,
              std::string("must be a replicate number from 1 to 3, got \"") + bad + "\"");
  }
}

TEST(JsonMediaType, IgnoresCaseParametersAndSpaces) {
  EXPECT_TRUE(is_json_media_type("application/json"));
  EXPECT_TRUE(is_json_media_type("Application/JSON; charset=utf-8"));
  EXPECT_TRUE(is_json_media_type("application/json ;charset=utf-8"));
  EXPECT_TRUE(is_json_media_type(" application/json"));
  EXPECT_FALSE(is_json_media_type(""));
  EXPECT_FALSE(is_json_media_type("text/plain"));
  EXPECT_FALSE(is_json_media_type("application/json-seq"));
  EXPECT_FALSE(is_json_media_type("application/jsonx; a=b"));
  EXPECT_FALSE(is_json_media_type("application/xml, application/json"));
}

}  // namespace
}  // namespace outbreak::serve::detail
