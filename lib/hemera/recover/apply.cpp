// SPDX-License-Identifier: Apache-2.0
// Applying a recovery plan through the one commit path (archive::ingest).
#include <hemera/recover/recover.hpp>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include <fmt/format.h>

#include <hemera/archive/store.hpp>
#include <hemera/auth/auth.hpp>
#include <hemera/auth/orcid.hpp>
#include <hemera/gate/inspector.hpp>
#include <hemera/metadata/record.hpp>
#include <hemera/util/fs.hpp>

namespace hemera::recover {

namespace {

using nlohmann::json;

// The Annex 1 fields that only a person can supply.
constexpr const char* k_human_fields[] = {"resourceTitle", "resourceAbstract", "contacts", "keywords"};

Result<void> remember(archive::Archive& archive, const Plan& plan, const PlannedDataset& d,
                      const std::string& status, const std::string& message)
{
  return archive.db().exec(
    "INSERT INTO legacy_attempts(uuid, database, legacy_id, status, message, attempts, updated_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6) ON CONFLICT(uuid) DO UPDATE SET status = ?4, message = ?5, "
    "attempts = attempts + 1, updated_at = ?6",
    {d.uuid, archive::base_name(plan.database), d.legacy_id, status, message, archive::now_iso8601()});
}

Result<void> map_id(archive::Archive& archive, const Plan& plan, const PlannedDataset& d)
{
  return archive.db().exec(
    "INSERT OR IGNORE INTO legacy_ids(database, legacy_id, uuid, namespace, rules_sha256, created_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    {archive::base_name(plan.database), d.legacy_id, d.uuid, plan.ns, plan.rules_sha256,
     archive::now_iso8601()});
}

std::string first_error(const std::vector<validate::Finding>& findings)
{
  std::size_t errors = 0;
  std::string first;
  for (const auto& f : findings) {
    if (f.severity == validate::Severity::error) {
      if (errors++ == 0) {
        first = validate::to_text(f);
      }
    }
  }
  return errors <= 1 ? first : fmt::format("{} (and {} more)", first, errors - 1);
}

}  // namespace

namespace {

// Ingest one planned dataset (or say why not); remember the attempt.
Result<Outcome> apply_one(archive::Archive& archive, const Plan& plan, const Rules& rules,
                          const ApplyRequest& req, const PlannedDataset& d, const std::string& orcid,
                          const archive::Inspector& insp)
{
  const std::string prefix = plan.source + (plan.source.empty() || plan.source.back() == '/' ? "" : "/");
  Outcome o{d.legacy_id, d.uuid, d.path, "skipped", "", d.files.size(), 0};
  auto finish = [&](const std::string& status, const std::string& message) -> Result<Outcome> {
    o.status = status;
    o.message = message;
    if (status != "skipped" && !d.uuid.empty()) {
      HEMERA_TRY(remember(archive, plan, d, status, message));
    }
    return o;
  };
  if (!d.uuid.empty() && HEMERA_TRY(archive::find_dataset(archive, d.uuid))) {
    HEMERA_TRY(map_id(archive, plan, d));
    return finish("skipped", "already in the archive");
  }
  if (req.only_failed) {
    auto rows = HEMERA_TRY(archive.db().query("SELECT status FROM legacy_attempts WHERE uuid = ?1", {d.uuid}));
    if (rows.empty() || rows[0][0].text != "failed") {
      return finish("skipped", "not a failed dataset");
    }
  }
  if (d.state == State::blocked || d.uuid.empty()) {
    return finish("failed", first_error(d.problems));
  }
  if (auto conflict = HEMERA_TRY(mapping_conflict(archive, plan.database, d.legacy_id, d.uuid))) {
    return finish("failed", *conflict);
  }
  HEMERA_TRY(map_id(archive, plan, d));

  json form = json::object();
  if (!d.form.empty()) {
    auto text = util::read_file(rules.dir / d.form);
    auto parsed = text ? metadata::parse_form(*text, d.form) : Result<json>(tl::unexpected(text.error()));
    if (!parsed) {
      return finish("failed", fmt::format("form {}: {}", d.form, parsed.error().message));
    }
    form = std::move(*parsed);
  }
  json to_complete = json::array();
  for (const char* k : k_human_fields) {
    if (!form.contains(k)) {
      to_complete.push_back(k);
    }
  }
  archive::IngestRequest ir;
  ir.collection = d.collection;
  ir.form_document = form;
  ir.form_name = d.form.empty() ? std::string("recovery skeleton") : d.form;
  ir.uuid = d.uuid;
  ir.actor = req.actor;
  ir.download_url = req.download_url;
  ir.catalogue_url = req.catalogue_url;
  for (const auto& f : d.files) {
    ir.files.push_back(fs::path(plan.source) / f.source);
    ir.stored_names.push_back(f.name);
  }
  json problems = json::array();
  for (const auto& p : d.problems) {
    if (p.format != "nasa-ames" && p.format != "fits" && p.format != "auxiliary") {
      problems.push_back(validate::to_json(p));
    }
  }
  const auto legacy = validate::Profile::legacy();
  ir.recovery = [&](const std::vector<validate::Finding>& findings) {
    json flags = json::array();
    std::map<std::string, Verdict> verdicts;
    for (auto f : aggregate(findings)) {
      if (f.file.rfind(prefix, 0) == 0) {
        f.file = f.file.substr(prefix.size());
      }
      if (f.severity == validate::Severity::warning && legacy.downgrades.count(f.rule) != 0) {
        verdicts[f.file] = Verdict::legacy_only;
      }
      flags.push_back(validate::to_json(f));
    }
    json files = json::array();
    for (const auto& f : d.files) {
      Verdict v = f.verdict;
      if (v == Verdict::unchecked) {
        auto it = verdicts.find(f.source);
        v = it != verdicts.end() ? it->second : Verdict::valid;  // the gate passed it
      }
      // (each file's SHA-256 is in the version's manifest, under its stored name)
      files.push_back({{"name", f.name}, {"original", f.source}, {"renamed", f.renamed},
                       {"verdict", verdict_name(v)}});
    }
    return json{{"legacyIdentifier", d.legacy_id},
                {"database", archive::base_name(plan.database)},
                {"namespace", plan.ns},
                {"rulesSha256", plan.rules_sha256},
                {"profile", "legacy"},
                {"onBehalfOf", orcid},
                {"files", files},
                {"qualityFlags", flags},
                {"problems", problems},
                {"toComplete", to_complete}};
  };
  auto r = archive::ingest(archive, ir, insp);
  if (!r) {
    if (r.error().code != Errc::data && r.error().code != Errc::no_input) {
      (void)remember(archive, plan, d, "failed", r.error().to_string());
      return tl::unexpected(r.error());
    }
    return finish("failed", r.error().to_string());
  }
  if (r->refused) {
    return finish("failed", first_error(r->findings));
  }
  o.bytes = r->bytes;
  return finish("created", fmt::format("{} v{}", r->destination, r->version));
}

}  // namespace

Result<ApplySummary> apply(archive::Archive& archive, const Plan& plan, const Rules& rules,
                           const ApplyRequest& req)
{
  auto orcid = orcid::parse(req.on_behalf_of);
  if (!orcid) {
    return fail(Errc::usage, fmt::format("--on-behalf-of: {}", orcid.error().message), {},
                "--on-behalf-of");
  }
  HEMERA_TRY(auth::require(archive, req.actor, "recover.apply"));
  HEMERA_TRY(auth::audit(archive.layout().audit_log(), req.actor.name, "recover.apply", "", true,
                         fmt::format("on behalf of {}; source {}; {}; rules sha256 {}; {} datasets{}",
                                     *orcid, plan.source, archive::base_name(plan.database),
                                     plan.rules_sha256, plan.datasets.size(),
                                     req.only_failed ? "; only failed" : "")));
  HEMERA_TRY(archive::complete_interrupted(archive));
  const auto insp = gate::format_inspector(validate::Profile::legacy());

  // Datasets are ingested by several workers, each with its own connection to
  // hemera.db: most of a small dataset's time is spent waiting for fsync.
  std::size_t n = plan.datasets.size();
  unsigned jobs = req.jobs != 0 ? req.jobs : std::max(8U, 2 * std::thread::hardware_concurrency());
  jobs = static_cast<unsigned>(std::min<std::size_t>(jobs, std::max<std::size_t>(n, 1)));
  std::vector<std::optional<Outcome>> outcomes(n);
  std::atomic<std::size_t> next{0};
  std::mutex mu;
  std::optional<Error> error;
  auto worker = [&] {
    auto own = archive::Archive::open(archive.layout().root);
    if (!own) {
      std::lock_guard<std::mutex> g(mu);
      error = own.error();
      return;
    }
    for (;;) {
      std::size_t i = next++;
      if (i >= n) {
        return;
      }
      {
        std::lock_guard<std::mutex> g(mu);
        if (error) {
          return;
        }
      }
      auto o = apply_one(*own, plan, rules, req, plan.datasets[i], *orcid, insp);
      std::lock_guard<std::mutex> g(mu);
      if (!o) {
        error = o.error();
        return;
      }
      outcomes[i] = std::move(*o);
      if (req.progress) {
        req.progress(i);
      }
    }
  };
  std::vector<std::thread> threads;
  for (unsigned j = 0; j < jobs; ++j) {
    threads.emplace_back(worker);
  }
  for (auto& t : threads) {
    t.join();
  }
  if (error) {
    return tl::unexpected(*error);
  }
  ApplySummary sum;
  for (auto& o : outcomes) {
    if (o->status == "created") {
      ++sum.created;
      sum.bytes += o->bytes;
    } else if (o->status == "failed") {
      ++sum.failed;
    } else {
      ++sum.skipped;
    }
    sum.datasets.push_back(std::move(*o));
  }
  return sum;
}

}  // namespace hemera::recover
