// SPDX-License-Identifier: Apache-2.0
// bench/search helper: run the queries on standard input (one JSON object a
// line) as library calls to catalog::search, print median and p99 latency.
#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include <hemera/archive/root.hpp>
#include <hemera/catalog/catalog.hpp>

using namespace hemera;

int main(int argc, char** argv)
{
  if (argc != 2) {
    std::fprintf(stderr, "usage: search_driver ROOT <queries.jsonl\n");
    return 64;
  }
  auto arch = archive::Archive::open(argv[1]);
  if (!arch) {
    std::fprintf(stderr, "%s\n", arch.error().to_string().c_str());
    return 66;
  }
  std::vector<double> ms;
  std::vector<double> cpu;
  std::vector<std::pair<double, std::string>> slow;  // CPU ms, query
  auto cpu_now = [] {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
  };
  std::size_t hits = 0;
  std::string line;
  while (std::getline(std::cin, line)) {
    auto j = nlohmann::json::parse(line);
    catalog::Query q;
    q.text = j.value("text", "");
    if (j.contains("from")) {
      q.from = j["from"].get<std::string>();
    }
    if (j.contains("to")) {
      q.to = j["to"].get<std::string>();
    }
    if (j.contains("bbox")) {
      q.bbox = catalog::parse_bbox(j["bbox"].get<std::string>()).value();
    }
    if (j.contains("keyword")) {
      q.keywords = {j["keyword"].get<std::string>()};
    }
    if (j.contains("instrument")) {
      q.instruments = {j["instrument"].get<std::string>()};
    }
    if (j.contains("parameter")) {
      q.parameters = {j["parameter"].get<std::string>()};
    }
    q.database = j.value("database", "");
    q.publishable_only = j.value("publishable", false);
    q.sort = j.value("sort", "relevance");
    double c0 = cpu_now();
    auto t0 = std::chrono::steady_clock::now();
    auto r = catalog::search(*arch, q);
    auto t1 = std::chrono::steady_clock::now();
    cpu.push_back(cpu_now() - c0);
    slow.emplace_back(cpu.back(), line);
    if (!r) {
      std::fprintf(stderr, "%s\n", r.error().to_string().c_str());
      return 1;
    }
    hits += r->total;
    ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  std::sort(slow.begin(), slow.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  if (std::getenv("SLOWEST") != nullptr) {
    std::size_t n = std::min<std::size_t>(slow.size(), static_cast<std::size_t>(std::atoi(std::getenv("SLOWEST"))));
    for (std::size_t i = 0; i < n; ++i) {
      std::printf("  slow %.2f ms CPU: %s\n", slow[i].first, slow[i].second.c_str());
    }
  }
  std::sort(cpu.begin(), cpu.end());
  auto pct = [](const std::vector<double>& v, double p) {
    return v[std::min(v.size() - 1, static_cast<std::size_t>(p * static_cast<double>(v.size())))];
  };
  std::printf("library: %zu queries, wall median %.2f ms, p99 %.2f ms, max %.2f ms; CPU median %.2f ms, "
              "p99 %.2f ms; mean hits %.1f\n",
              ms.size(), pct(ms, 0.5), pct(ms, 0.99), ms.back(), pct(cpu, 0.5), pct(cpu, 0.99),
              static_cast<double>(hits) / static_cast<double>(ms.size()));
  return 0;
}
