// SPDX-License-Identifier: Apache-2.0
#include "fluxsim/time.h"

#include <doctest/doctest.h>

using namespace fluxsim;
using namespace std::chrono_literals;

namespace {
Duration parse_ok(std::string_view s) {
  DurationParse p = parse_duration(s);
  INFO(s, " -> ", p.error);
  REQUIRE(p.value.has_value());
  return *p.value;
}
bool parse_fails(std::string_view s) { return !parse_duration(s).value.has_value(); }
}  // namespace

TEST_CASE("durations parse as Go's time.ParseDuration") {
  CHECK(parse_ok("0") == 0ms);
  CHECK(parse_ok("0s") == 0ms);
  CHECK(parse_ok("300ms") == 300ms);
  CHECK(parse_ok("45s") == 45s);
  CHECK(parse_ok("1m30s") == 90s);
  CHECK(parse_ok("10m0s") == 10min);
  CHECK(parse_ok("720m0s") == 12h);
  CHECK(parse_ok("2h45m") == 165min);
  CHECK(parse_ok("1.5h") == 90min);
  CHECK(parse_ok(".5s") == 500ms);
  CHECK(parse_ok("1.s") == 1s);
  CHECK(parse_ok("-1m") == -60s);
  CHECK(parse_ok("+5s") == 5s);
  CHECK(parse_ok("1h1m1s1ms") == 3'661'001ms);
  CHECK(parse_ok("1500us") == 2ms);        // rounded to the nearest millisecond
  CHECK(parse_ok("1499\xC2\xB5s") == 1ms);  // micro sign
  CHECK(parse_ok("2000000ns") == 2ms);
  CHECK(parse_ok("2562047h") == 2562047h);  // the largest whole hour Go accepts
}

TEST_CASE("malformed durations are rejected with a reason") {
  for (auto bad : {"", "s", "1", "10", "1d", "1 m", "m1", "1m-1s", ".s", "-", "1.2.3s", "2562048h", "1mm"}) {
    INFO(bad);
    CHECK(parse_fails(bad));
  }
  CHECK(parse_duration("5 minutes").error.find("5 minutes") != std::string::npos);
  CHECK(parse_duration("1d").error.find("unknown unit \"d\"") != std::string::npos);
}

TEST_CASE("durations print compactly in Go units") {
  CHECK(format_duration(0ms) == "0s");
  CHECK(format_duration(750ms) == "750ms");
  CHECK(format_duration(1500ms) == "1.5s");
  CHECK(format_duration(45s) == "45s");
  CHECK(format_duration(90s) == "1m30s");
  CHECK(format_duration(10min) == "10m");
  CHECK(format_duration(2h) == "2h");
  CHECK(format_duration(2h + 5s) == "2h0m5s");
  CHECK(format_duration(161'500ms) == "2m41.5s");
  CHECK(format_duration(-90s) == "-1m30s");
  for (Duration d : {1ms, 999ms, 1001ms, 59'999ms, 3'600'001ms, 86'400'000ms})
    CHECK(parse_ok(format_duration(d)) == d);
}
