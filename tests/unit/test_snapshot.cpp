// SPDX-License-Identifier: Apache-2.0
#include <algorithm>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include <hemera/snapshot/snapshot.hpp>

using namespace hemera;
using snapshot::Class;
using snapshot::Name;

namespace {

std::int64_t at(const char* iso)
{
  auto t = snapshot::parse_time(iso);
  REQUIRE(t);
  return *t;
}

std::vector<std::string> texts(const std::vector<Name>& names)
{
  std::vector<std::string> out;
  for (const auto& n : names) {
    out.push_back(n.text());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_SUITE("snapshot")
{
  TEST_CASE("names round-trip and refuse non-canonical forms")
  {
    Name n{at("2026-11-26T09:30:00Z"), Class::weekly};
    CHECK(n.text() == "2026-11-26T093000Z-weekly");
    auto back = snapshot::parse_name(n.text());
    REQUIRE(back);
    CHECK(*back == n);
    CHECK_FALSE(snapshot::parse_name("2026-11-26T093000Z-hourly"));
    CHECK_FALSE(snapshot::parse_name("2026-11-26T0930Z-daily"));
    CHECK_FALSE(snapshot::parse_name("2026-13-26T093000Z-daily"));
    CHECK_FALSE(snapshot::parse_name(".partial"));
    CHECK_FALSE(snapshot::parse_name(""));
    CHECK(snapshot::iso8601(n.time) == "2026-11-26T09:30:00Z");
    CHECK(at("2026-11-26T09:30Z") == n.time);
    CHECK(at("1700000000") == 1700000000);
    CHECK_FALSE(snapshot::parse_time("yesterday"));
  }

  TEST_CASE("classes: first of the month, then first of the ISO week")
  {
    std::vector<Name> existing;
    // Thursday 2026-01-01: first of the month.
    CHECK(snapshot::classify(at("2026-01-01T09:30:00Z"), existing) == Class::monthly);
    existing.push_back({at("2026-01-01T09:30:00Z"), Class::monthly});
    // Friday, same ISO week as the monthly one: daily.
    CHECK(snapshot::classify(at("2026-01-02T09:30:00Z"), existing) == Class::daily);
    // Monday 2026-01-05: a new ISO week.
    CHECK(snapshot::classify(at("2026-01-05T09:30:00Z"), existing) == Class::weekly);
    existing.push_back({at("2026-01-05T09:30:00Z"), Class::weekly});
    CHECK(snapshot::classify(at("2026-01-05T21:00:00Z"), existing) == Class::daily);
    CHECK(snapshot::classify(at("2026-02-01T00:00:00Z"), existing) == Class::monthly);
  }

  TEST_CASE("retention over a simulated year of daily runs")
  {
    snapshot::Retention keep;  // 7 daily, 4 weekly, 12 monthly
    std::vector<Name> store;
    std::int64_t start = at("2026-01-01T09:30:00Z");
    for (int day = 0; day < 365; ++day) {
      std::int64_t t = start + static_cast<std::int64_t>(day) * 86400;
      store.push_back({t, snapshot::classify(t, store)});
      auto remove = snapshot::to_remove(store, keep);
      for (const auto& r : remove) {
        store.erase(std::find(store.begin(), store.end(), r));
      }
      // The newest is always kept; never more than the retention allows.
      CHECK(std::any_of(store.begin(), store.end(), [&](const Name& n) { return n.time == t; }));
      CHECK(store.size() <= 7U + 4U + 12U);
    }
    std::vector<std::string> want = {
      // the first of every month
      "2026-01-01T093000Z-monthly", "2026-02-01T093000Z-monthly", "2026-03-01T093000Z-monthly",
      "2026-04-01T093000Z-monthly", "2026-05-01T093000Z-monthly", "2026-06-01T093000Z-monthly",
      "2026-07-01T093000Z-monthly", "2026-08-01T093000Z-monthly", "2026-09-01T093000Z-monthly",
      "2026-10-01T093000Z-monthly", "2026-11-01T093000Z-monthly", "2026-12-01T093000Z-monthly",
      // the last four Mondays
      "2026-12-07T093000Z-weekly", "2026-12-14T093000Z-weekly", "2026-12-21T093000Z-weekly",
      "2026-12-28T093000Z-weekly",
      // the last seven other days
      "2026-12-24T093000Z-daily", "2026-12-25T093000Z-daily", "2026-12-26T093000Z-daily",
      "2026-12-27T093000Z-daily", "2026-12-29T093000Z-daily", "2026-12-30T093000Z-daily",
      "2026-12-31T093000Z-daily"};
    std::sort(want.begin(), want.end());
    CHECK(texts(store) == want);
  }

  TEST_CASE("retention never removes the newest snapshot")
  {
    snapshot::Retention none{0, 0, 0};
    std::vector<Name> store = {{100, Class::daily}, {200, Class::monthly}, {300, Class::daily}};
    auto remove = snapshot::to_remove(store, none);
    CHECK(texts(remove) == texts({{100, Class::daily}, {200, Class::monthly}}));
  }
}
