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
}
