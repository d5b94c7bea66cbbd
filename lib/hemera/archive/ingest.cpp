// SPDX-License-Identifier: Apache-2.0
#include <hemera/archive/ingest.hpp>

#include <cerrno>
#include <fcntl.h>
#include <future>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <hemera/archive/journal.hpp>
#include <hemera/archive/store.hpp>
#include <hemera/catalog/catalog.hpp>
#include <hemera/log.hpp>
#include <hemera/metadata/publishability.hpp>
#include <hemera/metadata/record.hpp>
#include <hemera/util/fs.hpp>
#include <hemera/uuid.hpp>
#include <hemera/util/json.hpp>

namespace hemera::archive {

namespace {

using nlohmann::json;

// A source file opened once, without following a symlink; read through
// /proc/self/fd so that every later reader sees this very file.
struct Source {
  std::string given;
  std::string name;  // stored name
  FileKind kind = FileKind::unknown;
  int fd = -1;
  struct stat st {};
  [[nodiscard]] fs::path proc_path() const { return fmt::format("/proc/self/fd/{}", fd); }
};

struct Sources {
  std::vector<Source> list;
  Sources() = default;
  Sources(const Sources&) = delete;
  Sources& operator=(const Sources&) = delete;
  ~Sources()
  {
    for (auto& s : list) {
      if (s.fd >= 0) {
        ::close(s.fd);
      }
    }
  }
};

validate::Finding finding(const std::string& file, const std::string& format,
                          const std::string& rule, const std::string& message)
{
  validate::Finding f;
  f.file = file;
  f.format = format;
  f.severity = validate::Severity::error;
  f.rule = rule;
  f.message = message;
  return f;
}

bool same_file_state(const struct stat& a, const struct stat& b)
{
  return a.st_ino == b.st_ino && a.st_dev == b.st_dev && a.st_size == b.st_size &&
         a.st_mtim.tv_sec == b.st_mtim.tv_sec && a.st_mtim.tv_nsec == b.st_mtim.tv_nsec &&
         a.st_ctim.tv_sec == b.st_ctim.tv_sec && a.st_ctim.tv_nsec == b.st_ctim.tv_nsec;
}

// Validate and summarise every source; findings refer to the given names.
struct GateOutcome {
  std::vector<validate::Finding> findings;
  std::vector<metadata::FileSummary> summaries;
  bool passed = true;
};

Result<GateOutcome> run_gate(const Sources& sources, const Inspector& inspector)
{
  GateOutcome out;
  for (const auto& s : sources.list) {
    fs::path p = s.proc_path();
    if (s.kind == FileKind::auxiliary) {
      auto bad = HEMERA_TRY(metadata::check_printable(p));
      if (bad) {
        auto f = finding(s.given, "auxiliary", "auxiliary.printable",
                         "an auxiliary file must be printable ASCII (codes 32 to 126, tab, CR, LF)");
        f.location.line = bad->first;
        f.location.column = bad->second;
        out.findings.push_back(std::move(f));
        out.passed = false;
        continue;
      }
      auto sum = metadata::summarize_gps(p, s.name);
      if (sum) {
        out.summaries.push_back(std::move(*sum));
      }
      continue;
    }
    if (!inspector.validate) {
      return fail(Errc::internal, "no format validator configured for ingestion");
    }
    auto gate = inspector.validate(p, s.kind);
    if (!gate) {
      return tl::unexpected(with_where(gate.error(), s.given));
    }
    for (auto f : gate->findings) {
      f.file = s.given;
      out.findings.push_back(std::move(f));
    }
    if (!gate->passed) {
      out.passed = false;
      continue;
    }
    if (inspector.summarize) {
      auto sum = inspector.summarize(p, s.kind);
      if (sum) {
        sum->file = s.name;
        out.summaries.push_back(std::move(*sum));
      } else {
        log::warn("{}: cannot read the header summary: {}", s.given, sum.error().to_string());
      }
    }
  }
  return out;
}

// Write a new staging file and fsync it. Staging needs no atomic rename: a
// staging without intent.json is discarded whole.
Result<void> write_new_file(const fs::path& path, std::string_view data, unsigned mode)
{
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) {
    return tl::unexpected(errno_error(errno, "cannot create", path.string()));
  }
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) {
        continue;
      }
      int err = errno;
      ::close(fd);
      return tl::unexpected(errno_error(err, "cannot write", path.string()));
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  if (::fchmod(fd, mode) != 0 || ::fsync(fd) != 0) {
    int err = errno;
    ::close(fd);
    return tl::unexpected(errno_error(err, "cannot sync", path.string()));
  }
  ::close(fd);
  return {};
}

// Check the record about to be written against the normative schema; its
// defects come from the form (a badly typed or malformed value).
std::vector<validate::Finding> record_findings(const metadata::Record& record,
                                               const std::string& form_name)
{
  std::vector<metadata::Check> checks;
  metadata::check_schema(record.doc(), checks);
  std::vector<validate::Finding> out;
  for (const auto& c : checks) {
    if (c.level == metadata::Check::Level::error) {
      out.push_back(finding(form_name, "form", "record.schema",
                            fmt::format("{}: {} (the record would not match "
                                        "schemas/record.schema.json)",
                                        c.path, c.message)));
    }
  }
  return out;
}

struct Copied {
  std::vector<journal::FileEntry> entries;
  std::uint64_t bytes = 0;
};

Result<Copied> copy_sources(const Sources& sources, const fs::path& version_dir)
{
  Copied out;
  for (const auto& s : sources.list) {
    auto h = HEMERA_TRY(checksum::copy_and_hash(s.proc_path(), version_dir / s.name, 0444));
    out.entries.push_back({s.name, h.size, h.digest, s.kind == FileKind::auxiliary});
    out.bytes += h.size;
  }
  return out;
}

}  // namespace

Result<std::string> uuid_for_form(Archive& archive, const std::string& form_sha256)
{
  auto fresh = uuid::to_string(HEMERA_TRY(uuid::new_v4()));
  HEMERA_TRY(archive.db().exec(
    "INSERT OR IGNORE INTO forms(form_sha256, uuid, created_at) VALUES (?1, ?2, ?3)",
    {form_sha256, fresh, now_iso8601()}));
  auto rows = HEMERA_TRY(
    archive.db().query("SELECT uuid FROM forms WHERE form_sha256 = ?1", {form_sha256}));
  if (rows.empty()) {
    return fail(Errc::internal, "form UUID not remembered", archive.layout().database().string());
  }
  return rows.front().front().text;
}

Result<IngestResult> ingest(Archive& archive, const IngestRequest& req, const Inspector& inspector)
{
  IngestResult result;
  result.dry_run = req.dry_run;
  bool new_dataset = !req.dataset.has_value();

  // What is asked.
  std::string collection;
  std::optional<DatasetInfo> existing;
  if (new_dataset) {
    if (req.collection.empty()) {
      return fail(Errc::usage, "a new dataset needs --collection (or --dataset UUID for a new version)",
                  {}, "--collection");
    }
    if (!req.form && !req.form_document) {
      return fail(Errc::usage, "a new dataset needs the P.I.'s form (--form FILE)", {}, "--form");
    }
    collection = HEMERA_TRY(check_collection(req.collection));
  } else {
    auto u = uuid::parse(*req.dataset);
    if (!u) {
      return fail(Errc::usage, fmt::format("--dataset: {}", u.error().message), {}, "--dataset");
    }
    std::string id = uuid::to_string(*u);
    existing = HEMERA_TRY(find_dataset(archive, id));
    if (!existing) {
      return fail(Errc::no_input, fmt::format("no dataset {} in the archive", id), {}, "--dataset");
    }
  }
  if (req.files.empty()) {
    return fail(Errc::usage, "no files to ingest", {}, "FILE");
  }

  json form = json::object();
  std::string form_sha;
  if (req.form) {
    auto text = util::read_file(*req.form);
    if (!text) {
      Error e = text.error();
      if (e.code == Errc::io) {
        e.code = Errc::no_input;
      }
      return tl::unexpected(e);
    }
    form = HEMERA_TRY(metadata::parse_form(*text, req.form->string()));
    form_sha = metadata::form_hash(form);
  } else if (req.form_document) {
    if (!req.form_document->is_object()) {
      return fail(Errc::data, "the form is not a mapping of record keys", req.form_name);
    }
    form = *req.form_document;
    form_sha = metadata::form_hash(form);
  }
  const std::string form_label = req.form ? req.form->string() : req.form_name;
  if (!req.stored_names.empty() && req.stored_names.size() != req.files.size()) {
    return fail(Errc::internal, "one stored name per file expected");
  }

  // The files: regular files only, opened once without following symlinks.
  Sources sources;
  std::vector<std::string> names;
  for (std::size_t index = 0; index < req.files.size(); ++index) {
    const fs::path& p = req.files[index];
    Source s;
    s.given = p.string();
    struct stat lst {};
    if (::lstat(p.c_str(), &lst) != 0) {
      return tl::unexpected(errno_error(errno, "cannot read", p.string()));
    }
    if (S_ISLNK(lst.st_mode)) {
      result.findings.push_back(finding(s.given, "file", "file.symlink",
                                        "a symbolic link is not followed; give the file itself"));
      continue;
    }
    if (!S_ISREG(lst.st_mode)) {
      result.findings.push_back(finding(s.given, "file", "file.type", "not a regular file"));
      continue;
    }
    s.fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (s.fd < 0) {
      return tl::unexpected(errno_error(errno, "cannot open", p.string()));
    }
    if (::fstat(s.fd, &s.st) != 0 || !S_ISREG(s.st.st_mode)) {
      ::close(s.fd);
      return fail(Errc::data, "changed while being opened", p.string());
    }
    s.name = req.stored_names.empty() ? p.filename().string() : req.stored_names[index];
    s.kind = kind_of(s.name);
    names.push_back(s.name);
    sources.list.push_back(std::move(s));
  }
  for (const auto& np : check_names(names)) {
    std::string given = np.file;
    for (const auto& s : sources.list) {
      if (s.name == np.file) {
        given = s.given;
      }
    }
    result.findings.push_back(finding(given, "name", np.rule, np.message));
  }
  for (auto& s : sources.list) {
    if (auto low = check_name(s.name)) {
      s.name = *low;
    }
  }
  std::vector<NameProblem> route_problems;
  auto routed = route(names, route_problems);
  for (const auto& rp : route_problems) {
    result.findings.push_back(finding(rp.file, "route", rp.rule, rp.message));
  }
  if (routed) {
    result.base = *routed;
    if (existing && existing->base != *routed) {
      result.findings.push_back(finding(
        "", "route", "route.base-mismatch",
        fmt::format("dataset {} is in {}; these files belong in {}", existing->uuid,
                    base_name(existing->base), base_name(*routed))));
    }
  } else if (existing) {
    result.base = existing->base;
  }

  // The identifier.
  if (new_dataset) {
    if (req.uuid) {
      result.uuid = uuid::to_string(HEMERA_TRY(uuid::parse(*req.uuid)));
    } else {
      result.uuid = HEMERA_TRY(uuid_for_form(archive, form_sha));
    }
    for (const char* key : {"id", "identifier"}) {
      if (form.contains(key) && form[key].is_string() && form[key].get<std::string>() != result.uuid) {
        result.findings.push_back(finding(
          form_label, "form", "form.identifier",
          fmt::format("the form's {} '{}' is not the dataset's UUID {} (leave it out: the archive "
                      "allocates it)", key, form[key].get<std::string>(), result.uuid)));
      }
    }
    auto committed = HEMERA_TRY(find_dataset(archive, result.uuid));
    if (committed) {
      result.findings.push_back(finding(
        form_label, "form", "form.committed",
        fmt::format("this form was already ingested as dataset {} ({}); use --dataset {} to add a "
                    "version", result.uuid, committed->path, result.uuid)));
    }
  } else {
    result.uuid = existing->uuid;
  }
  std::string dataset_path = existing ? existing->path
                                      : fmt::format("{}/{}/{}", base_name(result.base), collection,
                                                    result.uuid);
  result.version = existing ? existing->latest_version + 1 : 1;
  result.destination = fmt::format("{}/v{}", dataset_path, result.version);
  for (const auto& s : sources.list) {
    result.files.push_back({s.given, s.name, s.kind, static_cast<std::uint64_t>(s.st.st_size), {}});
  }

  // The gate: nothing is written unless every file passes. Names and routing
  // first: the validators run only on a set that could be accepted.
  if (!result.findings.empty()) {
    result.refused = true;
    return result;
  }
  if (req.dry_run) {
    auto gate = HEMERA_TRY(run_gate(sources, inspector));
    result.findings = std::move(gate.findings);
    result.refused = !gate.passed;
    for (const auto& f : result.files) {
      result.bytes += f.size;
    }
    // Contradictions are reported by a dry run too.
    if (new_dataset && gate.passed) {
      metadata::RecordDefaults d{result.uuid, now_iso8601(), req.download_url, req.catalogue_url,
                                 dataset_path};
      auto record = metadata::build_record(form, d, gate.summaries, result.contradictions);
      metadata::add_version(record, result.version, d.now,
                            static_cast<std::int64_t>(sources.list.size()),
                            static_cast<std::int64_t>(result.bytes), result.destination);
      if (req.recovery) {
        json doc = record.doc();
        doc["recovery"] = req.recovery(result.findings);
        record = *metadata::Record::from_json(std::move(doc));
      }
      auto bad = record_findings(record, form_label);
      if (!bad.empty()) {
        result.findings.insert(result.findings.end(), bad.begin(), bad.end());
        result.refused = true;
      }
    }
    return result;
  }

  // Stage under the dataset's lock.
  auto lock = HEMERA_TRY(lock_dataset(archive, result.uuid));
  HEMERA_TRY(complete_dataset(archive, result.uuid));
  auto now_info = HEMERA_TRY(find_dataset(archive, result.uuid));
  if (new_dataset && now_info) {
    result.findings.push_back(finding(form_label, "form", "form.committed",
                                      fmt::format("this form was just ingested as dataset {}; use "
                                                  "--dataset {} to add a version",
                                                  result.uuid, result.uuid)));
    result.refused = true;
    return result;
  }
  if (!new_dataset) {
    existing = now_info;
    result.version = existing->latest_version + 1;
    result.destination = fmt::format("{}/v{}", dataset_path, result.version);
  }
  std::string vname = fmt::format("v{}", result.version);
  auto staging = HEMERA_TRY(begin_staging(archive, result.uuid));
  auto cleanup = [&](Error e) -> Result<IngestResult> {
    (void)remove_tree(staging.dir);
    return tl::unexpected(std::move(e));
  };
  fs::path version_dir = new_dataset ? staging.payload / vname : staging.payload;
  if (auto r = util::make_dirs(version_dir, 0755); !r) {
    return cleanup(r.error());
  }
  // The validators read the sources while they are copied and hashed (two
  // readers of the same cached pages, on two cores); nothing is committed
  // unless the gate passes, and a refusal removes the staging.
  auto gate_run = std::async(std::launch::async, [&] { return run_gate(sources, inspector); });
  auto copied = copy_sources(sources, version_dir);
  auto gate_result = gate_run.get();
  if (!gate_result) {
    return cleanup(gate_result.error());
  }
  GateOutcome gate = std::move(*gate_result);
  result.findings = std::move(gate.findings);
  if (!gate.passed) {
    HEMERA_TRY(remove_tree(staging.dir));
    result.refused = true;
    return result;
  }
  if (!copied) {
    return cleanup(copied.error());
  }
  for (const auto& s : sources.list) {
    struct stat after {};
    if (::fstat(s.fd, &after) != 0 || !same_file_state(s.st, after)) {
      return cleanup(Error{Errc::data, "the file changed while it was being ingested", s.given});
    }
  }
  std::vector<checksum::ManifestEntry> manifest;
  for (std::size_t i = 0; i < copied->entries.size(); ++i) {
    const auto& e = copied->entries[i];
    manifest.push_back({e.sha256, e.path});
    result.files[i].sha256 = e.sha256;
    result.files[i].size = e.size;
  }
  result.bytes = copied->bytes;
  std::string manifest_text = checksum::format_manifest(manifest);
  if (auto r = write_new_file(version_dir / "manifest-sha256.txt", manifest_text, 0444); !r) {
    return cleanup(r.error());
  }

  // The record revision.
  std::string now = now_iso8601();
  metadata::Record record;
  int revision = 1;
  if (new_dataset) {
    metadata::RecordDefaults d{result.uuid, now, req.download_url, req.catalogue_url, dataset_path};
    record = metadata::build_record(form, d, gate.summaries, result.contradictions);
    if (req.recovery) {
      json doc = record.doc();
      doc["recovery"] = req.recovery(result.findings);
      record = *metadata::Record::from_json(std::move(doc));
    }
  } else {
    auto cur = read_record(archive, *existing);
    if (!cur) {
      return cleanup(cur.error());
    }
    json doc = cur->doc();
    for (auto& [k, v] : form.items()) {
      if (k != "id" && k != "identifier" && k != "versions") {
        doc[k] = v;
      }
    }
    auto rec = metadata::Record::from_json(std::move(doc));
    if (!rec) {
      return cleanup(rec.error());
    }
    record = std::move(*rec);
    metadata::merge_files(record, gate.summaries, result.contradictions, true);
    revision = existing->record_revision + 1;
  }
  metadata::add_version(record, result.version, now, static_cast<std::int64_t>(sources.list.size()),
                        static_cast<std::int64_t>(result.bytes), result.destination);
  {
    // Mark auxiliary files in the version entry.
    json doc = record.doc();
    std::vector<std::string> aux;
    for (const auto& e : copied->entries) {
      if (e.auxiliary) {
        aux.push_back(e.path);
      }
    }
    if (!aux.empty()) {
      for (auto& v : doc["versions"]) {
        if (util::member_or(v, "version", 0) == result.version) {
          v["auxiliaryFiles"] = aux;
        }
      }
      record = *metadata::Record::from_json(std::move(doc));
    }
  }
  if (auto r = record.check_identity(); !r) {
    return cleanup(r.error());
  }
  if (auto bad = record_findings(record, new_dataset ? form_label : std::string("metadata.json"));
      !bad.empty()) {
    HEMERA_TRY(remove_tree(staging.dir));
    result.findings.insert(result.findings.end(), bad.begin(), bad.end());
    result.refused = true;
    return result;
  }
  std::string revision_text = record.dump();
  Result<void> wr;
  if (new_dataset) {
    wr = util::make_dirs(staging.payload / "metadata", 0755);
    if (wr) {
      wr = write_new_file(staging.payload / "metadata" / "0001.json", revision_text, 0444);
    }
    if (wr) {
      wr = write_new_file(staging.payload / "metadata.json", revision_text, 0644);
    }
    if (wr) {
      wr = util::fsync_dir(staging.payload / "metadata");
    }
  } else {
    wr = write_new_file(staging.dir / "revision.json", revision_text, 0600);
  }
  if (!wr) {
    return cleanup(wr.error());
  }
  // A directory that moves to another parent must stay writable until it
  // has moved (its ".." changes): a new version is made read-only after the
  // commit point, by the completion; v1 of a new dataset moves with its parent.
  if (new_dataset && ::chmod(version_dir.c_str(), 0555) != 0) {
    return cleanup(errno_error(errno, "cannot make read-only", version_dir.string()));
  }
  for (const auto& d : {version_dir, staging.payload}) {
    if (auto r = util::fsync_dir(d); !r) {
      return cleanup(r.error());
    }
  }

  // The commit point, and what follows it.
  Intent intent;
  intent.uuid = result.uuid;
  intent.base = result.base;
  intent.collection = existing ? existing->collection : collection;
  intent.dataset_path = dataset_path;
  intent.dest = new_dataset ? dataset_path : result.destination;
  intent.version = result.version;
  intent.record_revision = revision;
  intent.form_sha256 = form_sha;
  intent.event.actor = req.actor.name;
  intent.event.time = now;
  intent.event.kind = std::string(new_dataset ? journal::k_dataset_new : journal::k_version_new);
  intent.event.dataset = result.uuid;
  intent.event.path = dataset_path;
  intent.event.version = result.version;
  intent.event.files = copied->entries;
  intent.event.manifest_sha256 = checksum::sha256(manifest_text);
  intent.event.record_revision = revision;
  intent.event.record_sha256 = checksum::sha256(revision_text);
  auto seq = commit(archive, staging, intent);
  if (!seq) {
    // Before the commit point the staging is ours to remove; after it, the
    // next run completes the commit.
    std::error_code ec;
    if (fs::exists(staging.payload, ec)) {
      (void)remove_tree(staging.dir);
    }
    return tl::unexpected(seq.error());
  }
  result.seq = *seq;
  result.record_revision = revision;
  // The catalogue index follows the commit in the same run; if it cannot,
  // the next search's refresh catches up (the record is committed either way).
  metadata::Defaults defaults = req.catalogue_defaults ? req.catalogue_defaults(intent.collection)
                                                       : metadata::Defaults{};
  if (auto indexed = catalog::index_record(archive, dataset_path, revision, record, defaults); !indexed) {
    log::warn("dataset {} committed, not yet in the catalogue index: {}", result.uuid,
              indexed.error().to_string());
  }
  return result;
}

}  // namespace hemera::archive
