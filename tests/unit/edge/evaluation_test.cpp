// The seed list `gridwatch-edge evaluate ... --seeds` takes.
#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>
#include <vector>

#include "edge/evaluation.hpp"

using gridwatch::edge::parse_seed_list;

TEST_CASE("the seed list of evaluate --seeds takes single seeds and FIRST-LAST ranges, in order", "[evaluation]") {
  CHECK(parse_seed_list({}).empty());
  CHECK(parse_seed_list({"1-3", "1001", "7-7"}) == std::vector<std::uint64_t>{1, 2, 3, 1001, 7});
  CHECK(parse_seed_list({"0"}) == std::vector<std::uint64_t>{0});
}

TEST_CASE("the seed list of evaluate --seeds runs a seed named twice once", "[evaluation]") {
  // Two runs of one seed would render into the same folder at once.
  CHECK(parse_seed_list({"3-5", "4", "1", "3"}) == std::vector<std::uint64_t>{3, 4, 5, 1});
}

TEST_CASE("the seed list of evaluate --seeds names the token it cannot read", "[evaluation]") {
  const auto refused = [](const std::string& token) {
    try {
      parse_seed_list({"4", token});
    } catch (const std::invalid_argument& error) {
      return std::string(error.what());
    }
    return std::string("accepted");
  };
  for (const std::string token : {"x", "5-", "-5", "3-x", "1.5", "", "12345678901234567"}) {
    INFO("token '" << token << "'");
    CHECK(refused(token).find("'" + token + "'") != std::string::npos);
  }
  CHECK(refused("9-3").find("backwards") != std::string::npos);
  // A slipped digit is refused before the range is spelt out.
  CHECK(refused("1-100000000000000").find("'1-100000000000000' makes more than 10000 seeds") != std::string::npos);
  CHECK_NOTHROW(parse_seed_list({"1-10000"}));
  CHECK_THROWS_AS(parse_seed_list({"1-9999", "20000-20001"}), std::invalid_argument);
  CHECK_THROWS_AS(parse_seed_list({"1-10000", "7"}), std::invalid_argument);
}
