// The JSON writer gives what nlohmann's dump(error_handler_t::replace)
// gives, byte for byte, for the shapes and strings the request path writes.
#include "core/json_writer.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <random>

namespace releasegate {
namespace {

std::string nlohmann_string(const std::string& text) {
  return nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string ours(const std::string& text) {
  std::string out;
  append_json_string(out, text);
  return out;
}

TEST(JsonWriter, StringsAreEscapedAndRepairedAsNlohmannDoes) {
  for (std::string text : {std::string(""), std::string("plain"), std::string("quote \" backslash \\ slash /"),
                           std::string("\b\f\n\r\t\x01\x1f\x7f", 8), std::string("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
                           std::string("\xc0\xaf overlong"), std::string("\xed\xa0\x80 surrogate"),
                           std::string("\xf4\x90\x80\x80 too high"), std::string("\xe2\x82 cut"), std::string("end \xe2\x82"),
                           std::string("\xe0\x80"), std::string("\xff\xfe"), std::string("a\0b", 3)}) {
    EXPECT_EQ(ours(text), nlohmann_string(text)) << nlohmann::json(text).dump(-1, ' ', true, nlohmann::json::error_handler_t::replace);
  }
}

TEST(JsonWriter, RandomBytesAreWrittenAsNlohmannWritesThem) {
  std::mt19937 random(7);
  std::uniform_int_distribution<int> length(0, 24);
  // Bytes drawn mostly from the interesting ranges: ASCII, controls, UTF-8 leads and continuations.
  std::uniform_int_distribution<int> byte(0, 255);
  for (int i = 0; i < 20000; ++i) {
    std::string text;
    for (int n = length(random); n > 0; --n) text.push_back(static_cast<char>(byte(random)));
    ASSERT_EQ(ours(text), nlohmann_string(text)) << i;
  }
}

TEST(JsonWriter, NestedContainersMatchTheTreesDump) {
  JsonWriter out;
  out.begin_object().field("a", "x").field("b", true).field("c", std::int64_t{-3}).key("d").begin_array();
  out.begin_object().field("e", std::uint64_t{18446744073709551615u}).end_object().string("f").begin_array().end_array();
  out.end_array().key("g").begin_object().end_object().key("h").raw("[1,2]").end_object();
  nlohmann::json tree = {{"a", "x"}, {"b", true}, {"c", -3},
                         {"d", {{{"e", 18446744073709551615u}}, "f", nlohmann::json::array()}},
                         {"g", nlohmann::json::object()}, {"h", {1, 2}}};
  EXPECT_EQ(out.text(), tree.dump());
}

}  // namespace
}  // namespace releasegate
