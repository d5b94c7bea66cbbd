// SPDX-License-Identifier: Apache-2.0
// hemera-search: multi-criteria search of the metadata catalogue.
#include <cstdio>

#include <fmt/format.h>

#include <hemera/archive/root.hpp>
#include <hemera/catalog/catalog.hpp>
#include <hemera/cli/tool.hpp>
#include <hemera/log.hpp>

using namespace hemera;
using nlohmann::json;

namespace {

std::string csv_field(const std::string& s)
{
  if (s.find_first_of(",\"\r\n") == std::string::npos) {
    return s;
  }
  std::string out = "\"";
  for (char c : s) {
    out += c == '"' ? std::string("\"\"") : std::string(1, c);
  }
  return out + "\"";
}

std::string date_part(const std::string& t)
{
  return t.substr(0, 10);
}

}  // namespace

int main(int argc, char** argv)
{
  cli::Tool tool("hemera-search", "Search the metadata catalogue by text, place, time and terms");
  auto& app = tool.app();
  std::vector<std::string> words;
  catalog::Query q;
  std::string from, to, bbox, format = "table";
  bool reindex = false;
  bool no_refresh = false;
  std::size_t page = 0;
  app.add_option("TEXT", words, "Free text over titles, abstracts, keywords and parameter names (en, fr; "
                                "prefixes; accents ignored)");
  app.add_option("--from", from, "Only records whose time range reaches this date or later (ISO 8601)");
  app.add_option("--to", to, "Only records whose time range starts on this date or earlier (ISO 8601)");
  app.add_option("--bbox", bbox, "Only records whose extent meets this box: W,S,E,N in degrees "
                                 "(W > E crosses the dateline)");
  app.add_option("--platform", q.platforms, "Platform name or thesaurus term (repeat: any of them; NAME* prefix)");
  app.add_option("--instrument", q.instruments, "Instrument name or thesaurus term (repeatable; NAME* prefix)");
  app.add_option("--parameter", q.parameters, "Parameter short, long or CF standard name (repeatable)");
  app.add_option("--keyword", q.keywords, "Keyword (repeatable; any of them)");
  app.add_option("--contact", q.contact, "Contact name, e-mail or ORCID iD");
  app.add_option("--collection", q.collection, "Collection, or a leading part of it (\"strato2021\")");
  app.add_option("--database", q.database, "DATB (atmospheric) or DASB (astrophysical)");
  app.add_option("--status", q.status, "Record status (Public, Embargoed…)");
  app.add_flag("--has-doi", q.has_doi, "Only records with a DOI");
  app.add_flag("--publishable", q.publishable_only, "Only records that pass the publishability profile");
  app.add_flag("--all-projects", q.all_projects, "Records of every project, not only the configured one (HEMERA)");
  app.add_option("--sort", q.sort, "relevance (default), title, date, modified or uuid");
  app.add_flag("--reverse", q.descending, "Reverse the order");
  app.add_option("--limit", q.limit, "Hits per page (default 20)")->check(CLI::Range(1, 10000));
  app.add_option("--offset", q.offset, "Skip this many hits");
  app.add_option("--page", page, "Show this page (1 is the first; sets --offset)")->check(CLI::PositiveNumber);
  app.add_option("--format", format, "table (default), csv or json")
    ->check(CLI::IsMember({"table", "csv", "json"}));
  app.add_flag("--reindex", reindex, "Rebuild the index from the records in the tree, then search if asked");
  app.add_flag("--no-refresh", no_refresh, "Do not first index records changed by other tools");
  tool.example("hemera-search ozone --from 2021-06-01 --to 2021-06-30 --database DATB",
               "Atmospheric datasets about ozone flown in June 2021.");
  tool.example("hemera-search --bbox 170,-20,-170,20 --keyword nuages",
               "Datasets over the Pacific across the date line, with the keyword \"nuages\".");
  tool.example("hemera-search --reindex", "Rebuild the catalogue index (idempotent; safe while ingests run).");

  return tool.run(argc, argv, [&](cli::Context& ctx) -> Result<int> {
    if (ctx.json) {
      format = "json";
    }
    auto arch = HEMERA_TRY(archive::Archive::open(ctx.root));
    std::string project = ctx.config.get_string("catalogue.project");
    if (!project.empty()) {
      q.project = project;
    }
    bool criteria = !words.empty() || !from.empty() || !to.empty() || !bbox.empty() || !q.platforms.empty() ||
                    !q.instruments.empty() || !q.parameters.empty() || !q.keywords.empty() ||
                    !q.contact.empty() || !q.collection.empty() || !q.database.empty() || !q.status.empty() ||
                    q.has_doi || q.publishable_only;
    if (reindex) {
      auto r = HEMERA_TRY(catalog::reindex(arch, ctx.config));
      if (!criteria) {
        if (format == "json") {
          ctx.emit({{"reindexed", r.records}, {"skipped", r.skipped}, {"seconds", r.seconds}});
        } else if (!ctx.quiet) {
          std::printf("indexed %zu record%s in %.2f s%s\n", r.records, r.records == 1 ? "" : "s", r.seconds,
                      r.skipped > 0 ? fmt::format(" ({} skipped)", r.skipped).c_str() : "");
        }
        return r.skipped > 0 ? cli::k_exit_findings : 0;
      }
    } else if (!no_refresh) {
      auto n = catalog::refresh(arch, ctx.config);
      if (!n) {
        log::warn("the index may be behind: {}", n.error().to_string());
      }
    }
    for (const auto& w : words) {
      q.text += (q.text.empty() ? "" : " ") + w;
    }
    if (!from.empty()) {
      q.from = from;
    }
    if (!to.empty()) {
      q.to = to;
    }
    if (!bbox.empty()) {
      q.bbox = HEMERA_TRY(catalog::parse_bbox(bbox));
    }
    if (page > 0) {
      q.offset = (page - 1) * q.limit;
    }
    auto res = HEMERA_TRY(catalog::search(arch, q));
    std::string landing = ctx.config.get_string("catalogue_url");
    while (!landing.empty() && landing.back() == '/') {
      landing.pop_back();
    }
    if (format == "json") {
      json hits = json::array();
      for (const auto& h : res.hits) {
        hits.push_back({{"uuid", h.uuid},
                        {"title", h.title},
                        {"database", h.base},
                        {"collection", h.collection},
                        {"path", h.path},
                        {"status", h.status},
                        {"begin", h.begin.empty() ? json(nullptr) : json(h.begin)},
                        {"end", h.end.empty() ? json(nullptr) : json(h.end)},
                        {"last_modification", h.last_modification.empty() ? json(nullptr) : json(h.last_modification)},
                        {"publishable", h.publishable},
                        {"has_doi", h.has_doi},
                        {"revision", h.revision},
                        {"landing_page", landing.empty() ? json(nullptr) : json(landing + "/" + h.uuid)}});
      }
      ctx.emit({{"total", res.total}, {"offset", q.offset}, {"limit", q.limit}, {"results", hits}});
      return 0;
    }
    if (format == "csv") {
      std::printf("uuid,database,collection,begin,end,status,publishable,has_doi,title\n");
      for (const auto& h : res.hits) {
        std::printf("%s,%s,%s,%s,%s,%s,%d,%d,%s\n", h.uuid.c_str(), h.base.c_str(), csv_field(h.collection).c_str(),
                    h.begin.c_str(), h.end.c_str(), csv_field(h.status).c_str(), h.publishable ? 1 : 0,
                    h.has_doi ? 1 : 0, csv_field(h.title).c_str());
      }
      return 0;
    }
    if (!res.hits.empty()) {
      std::printf("%-36s  %-4s  %-24s  %-10s  %-10s  %s\n", "UUID", "DB", "COLLECTION", "BEGIN", "STATUS", "TITLE");
    }
    for (const auto& h : res.hits) {
      std::printf("%-36s  %-4s  %-24s  %-10s  %-10s  %s\n", h.uuid.c_str(), h.base.c_str(), h.collection.c_str(),
                  date_part(h.begin).c_str(), h.status.c_str(), h.title.c_str());
    }
    if (!ctx.quiet) {
      std::fprintf(stderr, "%zu of %zu match%s (from %zu)\n", res.hits.size(), res.total,
                   res.total == 1 ? "" : "es", q.offset + 1);
    }
    return 0;
  });
}
