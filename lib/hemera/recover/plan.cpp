// SPDX-License-Identifier: Apache-2.0
// Planning a recovery: walk, group, name, validate, hash, map.
#include <hemera/recover/recover.hpp>
#include <hemera/recover/regex.hpp>

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <map>
#include <set>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <hemera/archive/store.hpp>
#include <hemera/checksum.hpp>
#include <hemera/fits/summary.hpp>
#include <hemera/metadata/summary.hpp>
#include <hemera/nasa_ames/parser.hpp>
#include <hemera/util/fs.hpp>
#include <hemera/uuid.hpp>
#include <hemera/validate/validate.hpp>

namespace hemera::recover {

namespace {

using validate::Finding;
using validate::Severity;

Finding problem(const std::string& file, const char* format, Severity severity, std::string rule,
                std::string message)
{
  Finding f;
  f.file = file;
  f.format = format;
  f.severity = severity;
  f.rule = std::move(rule);
  f.message = std::move(message);
  return f;
}

// One regular file found in the source, and what checking it found.
struct Found {
  std::string rel;
  std::uint64_t size = 0;
  archive::FileKind kind = archive::FileKind::unknown;
  std::string sha256;
  Verdict verdict = Verdict::unreadable;
  std::vector<Finding> findings;
};

// Walk `dir` (relative path `rel`) in name order; never follow symlinks.
void walk(const fs::path& root, const std::string& rel, std::vector<Found>& files,
          std::vector<Finding>& problems)
{
  std::error_code ec;
  fs::directory_iterator it(rel.empty() ? root : root / rel, ec);
  if (ec) {
    problems.push_back(problem(rel, "file", Severity::error, "file.unreadable",
                               fmt::format("cannot read the folder: {}", ec.message())));
    return;
  }
  std::vector<std::string> names;
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) {
      problems.push_back(problem(rel, "file", Severity::error, "file.unreadable",
                                 fmt::format("cannot list the folder: {}", ec.message())));
      break;
    }
    names.push_back(it->path().filename().string());
  }
  std::sort(names.begin(), names.end());
  for (const auto& n : names) {
    std::string r = rel.empty() ? n : rel + "/" + n;
    struct stat st {};
    if (::lstat((root / r).c_str(), &st) != 0) {
      problems.push_back(problem(r, "file", Severity::error, "file.unreadable",
                                 fmt::format("cannot stat: {}", std::strerror(errno))));
      continue;
    }
    if (S_ISDIR(st.st_mode)) {
      walk(root, r, files, problems);
    } else if (S_ISREG(st.st_mode)) {
      Found f;
      f.rel = r;
      f.size = static_cast<std::uint64_t>(st.st_size);
      f.kind = archive::kind_of(n);
      files.push_back(std::move(f));
    } else {
      problems.push_back(problem(r, "file", Severity::warning, "file.type",
                                 S_ISLNK(st.st_mode) ? "a symbolic link is not followed; left out"
                                                     : "not a regular file; left out"));
    }
  }
}

// Validate (legacy profile) and hash one file; the file is only read.
void check_file(const fs::path& root, Found& f, const validate::Profile& legacy, bool formats)
{
  fs::path p = root / f.rel;
  int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    f.findings.push_back(problem(f.rel, "file", Severity::error, "file.unreadable",
                                 fmt::format("cannot open: {}", std::strerror(errno))));
    return;
  }
  ::close(fd);
  f.kind = archive::kind_of(p.filename().string());
  if (!formats) {
    f.verdict = Verdict::unchecked;
    return;
  }
  auto h = checksum::hash_file(p);
  if (!h) {
    f.findings.push_back(problem(f.rel, "file", Severity::error, "file.unreadable", h.error().message));
    return;
  }
  f.sha256 = h->digest.hex();
  f.size = h->size;
  if (f.kind == archive::FileKind::auxiliary) {
    auto bad = metadata::check_printable(p);
    if (!bad) {
      f.findings.push_back(problem(f.rel, "file", Severity::error, "file.unreadable", bad.error().message));
      return;
    }
    if (*bad) {
      auto pf = problem(f.rel, "auxiliary", Severity::error, "auxiliary.printable",
                        "an auxiliary file must be printable ASCII (codes 32 to 126, tab, CR, LF)");
      pf.location.line = (*bad)->first;
      pf.location.column = (*bad)->second;
      f.findings.push_back(std::move(pf));
      f.verdict = Verdict::invalid;
    } else {
      f.verdict = Verdict::valid;
    }
    return;
  }
  if (f.kind == archive::FileKind::unknown) {
    f.verdict = Verdict::invalid;  // the route problem says why
    return;
  }
  auto format = f.kind == archive::FileKind::fits ? validate::Format::fits : validate::Format::nasa_ames;
  auto report = validate::validate_file(p, format, legacy);
  if (!report) {
    f.findings.push_back(problem(f.rel, "file", Severity::error, "file.unreadable", report.error().message));
    return;
  }
  bool downgraded = false;
  for (auto& x : report->findings) {
    x.file = f.rel;
    downgraded = downgraded || (x.severity == Severity::warning && legacy.downgrades.count(x.rule) != 0);
  }
  for (auto& x : aggregate(report->findings)) {
    f.findings.push_back(std::move(x));
  }
  if (!report->passes(legacy)) {
    f.verdict = Verdict::invalid;
  } else {
    f.verdict = downgraded ? Verdict::legacy_only : Verdict::valid;
  }
}

// Return a header field of the file (NASA Ames ONAME ORG SNAME MNAME DATE;
// FITS OBJECT INSTRUME TELESCOP OBSERVER ORIGIN DATE-OBS DATE).
Result<std::string> header_field(const fs::path& path, archive::FileKind kind, const std::string& key)
{
  if (kind == archive::FileKind::nasa_ames) {
    auto h = HEMERA_TRY(nasa_ames::read_header(path));
    if (key == "ONAME") return h.oname;
    if (key == "ORG") return h.org;
    if (key == "SNAME") return h.sname;
    if (key == "MNAME") return h.mname;
    if (key == "DATE") return h.date.iso();
    return fail(Errc::data, fmt::format("NASA Ames header field '{}' unknown (ONAME, ORG, SNAME, MNAME, DATE)", key));
  }
  if (kind == archive::FileKind::fits) {
    auto s = HEMERA_TRY(fits::summary(path));
    const auto& f = s.file;
    std::optional<std::string> v;
    if (key == "OBJECT") v = f.object;
    else if (key == "INSTRUME") v = f.instrument;
    else if (key == "TELESCOP") v = f.telescope;
    else if (key == "OBSERVER") v = f.observer;
    else if (key == "ORIGIN") v = f.origin;
    else if (key == "DATE-OBS") v = f.date_obs;
    else if (key == "DATE") v = f.date;
    else {
      return fail(Errc::data, fmt::format("FITS keyword '{}' not usable (OBJECT, INSTRUME, TELESCOP, OBSERVER, ORIGIN, DATE-OBS, DATE)", key));
    }
    if (!v || v->empty()) {
      return fail(Errc::data, fmt::format("the primary header has no {}", key));
    }
    return *v;
  }
  return fail(Errc::data, "no header to read a field from (not NASA Ames or FITS)");
}

// Expand "{name}" placeholders: named groups, dir, path, file, stem, header:KEY.
Result<std::string> expand(const std::string& tpl, const std::map<std::string, std::string>& vars,
                           const std::function<Result<std::string>(const std::string&)>& header)
{
  std::string out;
  for (std::size_t i = 0; i < tpl.size(); ++i) {
    if (tpl[i] != '{') {
      out += tpl[i];
      continue;
    }
    auto close = tpl.find('}', i);
    if (close == std::string::npos) {
      return fail(Errc::data, fmt::format("unclosed '{{' in template '{}'", tpl), {}, {}, "rules.template");
    }
    std::string name = tpl.substr(i + 1, close - i - 1);
    if (name.rfind("header:", 0) == 0) {
      out += HEMERA_TRY(header(name.substr(7)));
    } else if (auto it = vars.find(name); it != vars.end()) {
      out += it->second;
    } else {
      return fail(Errc::data, fmt::format("template '{}': no value for '{{{}}}'", tpl, name), {}, {},
                  "rules.template");
    }
    i = close;
  }
  return out;
}

// Return a collection path made of safe segments (at most three).
std::string safe_collection(const std::string& text)
{
  std::vector<std::string> segs;
  std::string cur;
  auto flush = [&] {
    std::string s = safe_name(cur);
    std::string t;
    for (char c : s) {
      t += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_') ? c : '-';
    }
    while (!t.empty() && (t.front() == '.' || t.front() == '-' || t.front() == '_')) {
      t.erase(t.begin());
    }
    if (!cur.empty() && !t.empty()) {
      segs.push_back(t);
    }
    cur.clear();
  };
  for (char c : text) {
    if (c == '/') {
      flush();
    } else {
      cur += c;
    }
  }
  flush();
  if (segs.size() > 3) {
    segs.resize(3);
  }
  std::string out;
  for (const auto& s : segs) {
    out += (out.empty() ? "" : "/") + s;
  }
  return out.empty() ? "legacy" : out;
}

std::string dir_of(const std::string& rel)
{
  auto slash = rel.rfind('/');
  return slash == std::string::npos ? std::string() : rel.substr(0, slash);
}

// The datasets' content already in the archive: SHA-256 -> (uuid, path).
Result<std::map<std::string, std::pair<std::string, std::string>>> archive_content(archive::Archive& archive)
{
  std::map<std::string, std::pair<std::string, std::string>> out;
  auto all = HEMERA_TRY(archive::list_datasets(archive));
  for (const auto& d : all) {
    for (int v = 1; v <= d.latest_version; ++v) {
      std::string rel = fmt::format("{}/v{}", d.path, v);
      fs::path mp = archive.layout().root / rel / "manifest-sha256.txt";
      auto text = util::read_file(mp);
      if (!text) {
        continue;  // hemera-verify reports a missing manifest
      }
      auto entries = checksum::parse_manifest(*text, mp.string());
      if (!entries) {
        continue;
      }
      for (const auto& e : *entries) {
        out.emplace(e.digest.hex(), std::make_pair(d.uuid, rel + "/" + e.path));
      }
    }
  }
  return out;
}

}  // namespace

std::vector<Finding> aggregate(const std::vector<Finding>& findings)
{
  std::vector<Finding> out;
  std::map<std::pair<std::string, std::string>, std::pair<std::size_t, std::size_t>> seen;  // -> index, count
  for (const auto& f : findings) {
    auto [it, inserted] = seen.try_emplace({f.file, f.rule}, out.size(), 0);
    ++it->second.second;
    if (inserted) {
      out.push_back(f);
    }
  }
  for (const auto& [key, v] : seen) {
    if (v.second > 1) {
      out[v.first].message += fmt::format(" (and {} more like it)", v.second - 1);
    }
  }
  return out;
}

std::string legacy_uuid(const std::string& ns, archive::Base database, const std::string& legacy_id)
{
  auto n = uuid::parse(ns);
  return uuid::to_string(uuid::v5(n ? *n : uuid::Bytes{}, fmt::format("{}:{}", archive::base_name(database), legacy_id)));
}

Result<std::optional<std::string>> mapping_conflict(archive::Archive& archive, archive::Base database,
                                                    const std::string& legacy_id, const std::string& id)
{
  std::string db = archive::base_name(database);
  auto by_id = HEMERA_TRY(archive.db().query(
    "SELECT uuid FROM legacy_ids WHERE database = ?1 AND legacy_id = ?2", {db, legacy_id}));
  if (!by_id.empty() && by_id[0][0].text != id) {
    return std::optional<std::string>(fmt::format(
      "legacy identifier '{}' is already mapped to {}; it cannot also be {}", legacy_id,
      by_id[0][0].text, id));
  }
  auto by_uuid = HEMERA_TRY(archive.db().query(
    "SELECT database, legacy_id FROM legacy_ids WHERE uuid = ?1", {id}));
  if (!by_uuid.empty() && (by_uuid[0][0].text != db || by_uuid[0][1].text != legacy_id)) {
    return std::optional<std::string>(fmt::format(
      "UUID {} is already the legacy identifier '{}:{}'; it cannot also be '{}:{}'", id,
      by_uuid[0][0].text, by_uuid[0][1].text, db, legacy_id));
  }
  return std::optional<std::string>();
}

Result<Plan> make_plan(archive::Archive& archive, const PlanRequest& req, Rules& rules)
{
  Plan plan;
  plan.source = req.source.string();
  plan.database = req.database;
  plan.rules_sha256 = rules.sha256;
  plan.ns = HEMERA_TRY(archive::legacy_namespace(archive));
  if (rules.ns) {
    auto want = uuid::parse(*rules.ns);
    if (!want || uuid::to_string(*want) != plan.ns) {
      return fail(Errc::config,
                  fmt::format("the rules were written for the namespace {}, but this archive's "
                              "legacy namespace is {}: the UUIDs would differ",
                              *rules.ns, plan.ns),
                  req.rules.string(), "namespace", "recover.namespace");
    }
  }
  auto other_ns = HEMERA_TRY(archive.db().query(
    "SELECT namespace, COUNT(*) FROM legacy_ids WHERE namespace <> ?1 GROUP BY namespace", {plan.ns}));
  if (!other_ns.empty()) {
    return fail(Errc::config,
                fmt::format("{} legacy identifiers were mapped under the namespace {}, not the "
                            "archive's {}", other_ns[0][1].integer, other_ns[0][0].text, plan.ns),
                archive.layout().database().string(), {}, "recover.namespace");
  }
  struct stat st {};
  if (::stat(req.source.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    return fail(Errc::no_input, "the legacy source is not a folder", req.source.string(), "--source");
  }

  // Walk, drop what the rules ignore, and check every file.
  std::vector<Found> found;
  walk(req.source, "", found, plan.problems);
  std::vector<Regex> ignore;
  for (const auto& p : rules.ignore) {
    ignore.push_back(HEMERA_TRY(Regex::compile(p)));
  }
  std::vector<Regex> matchers;
  for (const auto& r : rules.rules) {
    matchers.push_back(HEMERA_TRY(Regex::compile(r.match)));
  }
  std::vector<Found> kept;
  for (auto& f : found) {
    bool skip = std::any_of(ignore.begin(), ignore.end(), [&](const Regex& re) { return re.match(f.rel).has_value(); });
    if (skip) {
      ++plan.ignored;
    } else {
      kept.push_back(std::move(f));
    }
  }
  // Group by rule.
  struct Group {
    std::size_t rule = 0;
    std::map<std::string, std::string> vars;
    std::vector<std::size_t> members;
  };
  std::map<std::pair<std::size_t, std::string>, Group> groups;
  for (std::size_t i = 0; i < kept.size(); ++i) {
    const auto& f = kept[i];
    std::optional<std::size_t> which;
    std::map<std::string, std::string> vars;
    for (std::size_t r = 0; r < matchers.size() && !which; ++r) {
      if (auto m = matchers[r].match(f.rel)) {
        which = r;
        vars = std::move(*m);
      }
    }
    if (!which) {
      plan.problems.push_back(problem(f.rel, "rules", Severity::warning, "rules.unmatched",
                                      "no rule takes this file; it is left out"));
      continue;
    }
    const Rule& rule = rules.rules[*which];
    std::string key;
    switch (rule.grouping) {
    case Grouping::folder: key = dir_of(f.rel); break;
    case Grouping::file: key = f.rel; break;
    case Grouping::regex:
      for (const auto& [k, v] : vars) {
        key += k + "=" + v + "\x1f";
      }
      break;
    }
    auto [it, inserted] = groups.try_emplace({*which, key});
    if (inserted) {
      it->second.rule = *which;
      it->second.vars = vars;
    }
    it->second.members.push_back(i);
  }

  // Identifiers first: apply checks only the files of datasets not in yet.
  auto vars_of = [&](const Group& g) {
    const Found& first = kept[g.members.front()];
    std::map<std::string, std::string> vars = g.vars;
    vars["dir"] = dir_of(first.rel);
    vars["path"] = first.rel;
    vars["file"] = fs::path(first.rel).filename().string();
    vars["stem"] = fs::path(first.rel).stem().string();
    return vars;
  };
  auto header_of = [&](const Group& g) {
    return [&](const std::string& k) -> Result<std::string> {
      for (auto i : g.members) {
        const auto& f = kept[i];
        if (f.kind == archive::FileKind::nasa_ames || f.kind == archive::FileKind::fits) {
          return header_field(req.source / f.rel, f.kind, k);
        }
      }
      return fail(Errc::data, "no NASA Ames or FITS file to read a header field from");
    };
  };
  std::map<std::pair<std::size_t, std::string>, Result<std::string>> ids;
  std::vector<char> unchecked(kept.size(), 0);
  for (const auto& [key, g] : groups) {
    const Rule& rule = rules.rules[g.rule];
    std::string id_tpl = !rule.id.empty() ? rule.id : rule.grouping == Grouping::file ? "{path}" : "{dir}";
    auto id = expand(id_tpl, vars_of(g), header_of(g));
    if (id && id->empty()) {
      id = fail(Errc::data, "the legacy identifier is empty");
    }
    if (!id) {
      id = fail(Errc::data, fmt::format("cannot build the legacy identifier from '{}': {}", id_tpl,
                                        id.error().message));
    } else if (!req.validate &&
               HEMERA_TRY(archive::find_dataset(archive, legacy_uuid(plan.ns, req.database, *id)))) {
      for (auto i : g.members) {
        unchecked[i] = 1;
        kept[i].verdict = Verdict::unchecked;
      }
    }
    ids.emplace(key, std::move(id));
  }
  std::vector<std::size_t> todo;
  for (std::size_t i = 0; i < kept.size(); ++i) {
    if (unchecked[i] == 0) {
      todo.push_back(i);
    }
  }
  auto legacy = validate::Profile::legacy();
  checksum::parallel_for(todo.size(), req.jobs,
                         [&](std::size_t k) { check_file(req.source, kept[todo[k]], legacy, req.validate); });

  // The archive's content, to report files already in it.
  auto in_archive = HEMERA_TRY(archive_content(archive));
  std::map<std::string, std::string> first_with_hash;  // over the whole source, in path order
  for (const auto& f : kept) {
    if (!f.sha256.empty()) {
      first_with_hash.emplace(f.sha256, f.rel);
    }
  }

  for (auto& [key, g] : groups) {
    const Rule& rule = rules.rules[g.rule];
    PlannedDataset d;
    const Found& first = kept[g.members.front()];
    std::map<std::string, std::string> vars = vars_of(g);
    auto header = header_of(g);
    const auto& id = ids.at(key);
    if (!id) {
      d.legacy_id = fmt::format("?{}", vars["dir"]);
      d.problems.push_back(problem(first.rel, "rules", Severity::error, "rules.identifier", id.error().message));
    } else {
      d.legacy_id = *id;
      d.uuid = legacy_uuid(plan.ns, req.database, d.legacy_id);
    }
    std::string coll_tpl = rule.collection;
    std::string coll_text;
    if (coll_tpl.empty()) {
      coll_text = vars["dir"];
    } else if (auto c = expand(coll_tpl, vars, header)) {
      coll_text = *c;
    } else {
      d.problems.push_back(problem(first.rel, "rules", Severity::error, "rules.collection", c.error().message));
    }
    d.collection = safe_collection(coll_text);
    if (!rule.form.empty()) {
      if (auto f = expand(rule.form, vars, header)) {
        d.form = *f;
        std::error_code ec;
        if (!fs::is_regular_file(rules.dir / d.form, ec)) {
          d.problems.push_back(problem(d.form, "form", Severity::warning, "form.missing",
                                       "no such form: the record is built from the headers only"));
          d.form.clear();
        }
      } else {
        d.problems.push_back(problem(first.rel, "rules", Severity::error, "rules.form", f.error().message));
      }
    }

    // Names: the policy, else a safe name; collisions resolved in path order.
    std::set<std::string> used;
    for (auto i : g.members) {
      const Found& f = kept[i];
      PlannedFile pf;
      pf.source = f.rel;
      pf.size = f.size;
      pf.sha256 = f.sha256;
      pf.verdict = f.verdict;
      std::string original = fs::path(f.rel).filename().string();
      auto ok = archive::check_name(original);
      std::string name = ok ? *ok : safe_name(original);
      std::string why = ok ? std::string() : ok.error().message;
      if (used.count(name) != 0) {
        auto dot = name.rfind('.');
        std::string stem = dot == std::string::npos || dot == 0 ? name : name.substr(0, dot);
        std::string ext = dot == std::string::npos || dot == 0 ? "" : name.substr(dot);
        for (int n = 2;; ++n) {
          std::string candidate = fmt::format("{}_{}{}", stem, n, ext);
          if (used.count(candidate) == 0) {
            name = candidate;
            break;
          }
        }
        why = "the name collides with another file's once lower-cased";
      }
      used.insert(name);
      pf.name = name;
      pf.kind = archive::kind_of(name);
      if (!why.empty()) {
        pf.renamed = true;
        d.problems.push_back(problem(f.rel, "name", Severity::warning, ok ? "name.collision" : ok.error().rule,
                                     fmt::format("{}: stored as '{}'", why, name)));
      }
      for (const auto& x : f.findings) {
        d.problems.push_back(x);
      }
      if (!f.sha256.empty()) {
        auto dup = first_with_hash.find(f.sha256);
        if (dup != first_with_hash.end() && dup->second != f.rel) {
          d.problems.push_back(problem(f.rel, "content", Severity::warning, "content.duplicate",
                                       fmt::format("same bytes as {}", dup->second)));
        }
        auto there = in_archive.find(f.sha256);
        if (there != in_archive.end() && there->second.first != d.uuid) {
          d.problems.push_back(problem(f.rel, "content", Severity::warning, "content.in-archive",
                                       fmt::format("same bytes already in the archive: {}", there->second.second)));
        }
      }
      d.bytes += pf.size;
      d.files.push_back(std::move(pf));
    }
    std::vector<std::string> names;
    for (const auto& f : d.files) {
      names.push_back(f.name);
    }
    std::vector<archive::NameProblem> route_problems;
    auto routed = archive::route(names, route_problems);
    for (const auto& rp : route_problems) {
      std::string file = rp.file;
      for (const auto& f : d.files) {
        if (f.name == rp.file) {
          file = f.source;
        }
      }
      d.problems.push_back(problem(file, "route", Severity::error, rp.rule, rp.message));
    }
    if (routed && *routed != req.database) {
      d.problems.push_back(problem(vars["dir"], "route", Severity::error, "route.database",
                                   fmt::format("these files belong in {}, not in {}", archive::base_name(*routed),
                                               archive::base_name(req.database))));
    }
    d.base = req.database;
    d.path = d.uuid.empty() ? std::string() : fmt::format("{}/{}/{}", archive::base_name(d.base), d.collection, d.uuid);
    if (!d.uuid.empty()) {
      if (auto conflict = HEMERA_TRY(mapping_conflict(archive, req.database, d.legacy_id, d.uuid))) {
        d.problems.push_back(problem(d.legacy_id, "mapping", Severity::error, "mapping.injective", *conflict));
      }
    }
    plan.files += d.files.size();
    plan.bytes += d.bytes;
    plan.datasets.push_back(std::move(d));
  }

  // One legacy identifier, one dataset.
  std::sort(plan.datasets.begin(), plan.datasets.end(), [](const auto& a, const auto& b) {
    return std::tie(a.legacy_id, a.path) < std::tie(b.legacy_id, b.path);
  });
  for (std::size_t i = 1; i < plan.datasets.size(); ++i) {
    auto& a = plan.datasets[i - 1];
    auto& b = plan.datasets[i];
    if (!a.uuid.empty() && a.legacy_id == b.legacy_id) {
      for (auto* d : {&a, &b}) {
        d->problems.push_back(problem(d->legacy_id, "mapping", Severity::error, "mapping.duplicate-id",
                                      "two datasets of this plan have this legacy identifier; make the "
                                      "rules' 'id' tell them apart"));
      }
    }
  }
  for (auto& d : plan.datasets) {
    bool blocked = std::any_of(d.problems.begin(), d.problems.end(),
                               [](const Finding& f) { return f.severity == Severity::error; });
    d.state = blocked ? State::blocked : State::ready;
    if (!d.uuid.empty() && HEMERA_TRY(archive::find_dataset(archive, d.uuid))) {
      d.state = State::in_archive;
    }
  }
  return plan;
}

}  // namespace hemera::recover
