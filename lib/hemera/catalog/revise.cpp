// SPDX-License-Identifier: Apache-2.0
// Record revisions: edits, history.
#include <hemera/catalog/catalog.hpp>

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include <hemera/archive/journal.hpp>
#include <hemera/auth/auth.hpp>
#include <hemera/checksum.hpp>
#include <hemera/util/fs.hpp>

namespace hemera::catalog {

namespace fs = std::filesystem;

namespace {

using nlohmann::json;

// One step of a path: a key, an index, or "[]" (append).
struct Step {
  std::string key;
  std::optional<std::size_t> index;
  bool append = false;
};

Result<std::vector<Step>> parse_path(const std::string& path)
{
  std::vector<Step> steps;
  std::size_t i = 0;
  std::string p = path;
  if (p.rfind("$.", 0) == 0) {
    p = p.substr(2);
  }
  auto bad = [&](const std::string& why) {
    return fail(Errc::usage, fmt::format("bad record path '{}': {}", path, why), {}, "PATH");
  };
  while (i < p.size()) {
    if (p[i] == '[') {
      auto close = p.find(']', i);
      if (close == std::string::npos) {
        return bad("unclosed [");
      }
      std::string inner = p.substr(i + 1, close - i - 1);
      Step s;
      if (inner.empty()) {
        s.append = true;
      } else if (std::all_of(inner.begin(), inner.end(), [](unsigned char c) { return std::isdigit(c); }) &&
                 inner.size() < 9) {
        s.index = static_cast<std::size_t>(std::stoul(inner));
      } else {
        return bad("an index is a number, or [] to append");
      }
      steps.push_back(s);
      i = close + 1;
      if (i < p.size() && p[i] == '.') {
        ++i;
      }
      continue;
    }
    auto end = p.find_first_of(".[", i);
    std::string key = p.substr(i, end == std::string::npos ? std::string::npos : end - i);
    if (key.empty()) {
      return bad("empty key");
    }
    steps.push_back(Step{key, std::nullopt, false});
    i = end == std::string::npos ? p.size() : (p[end] == '.' ? end + 1 : end);
  }
  if (steps.empty()) {
    return bad("empty path");
  }
  return steps;
}

}  // namespace

json parse_value(const std::string& text)
{
  auto j = json::parse(text, nullptr, false);
  if (j.is_discarded()) {
    return text;
  }
  return j;
}

Result<void> set_path(json& doc, const std::string& path, json value)
{
  auto steps = HEMERA_TRY(parse_path(path));
  json* cur = &doc;
  for (std::size_t k = 0; k < steps.size(); ++k) {
    const Step& s = steps[k];
    bool last = k + 1 == steps.size();
    if (s.index || s.append) {
      if (cur->is_null()) {
        *cur = json::array();
      }
      if (!cur->is_array()) {
        return fail(Errc::usage, fmt::format("'{}': not an array at step {}", path, k + 1), {}, "PATH");
      }
      if (s.append) {
        cur->push_back(nullptr);
        cur = &cur->back();
      } else if (*s.index < cur->size()) {
        cur = &(*cur)[*s.index];
      } else if (*s.index == cur->size()) {
        cur->push_back(nullptr);
        cur = &cur->back();
      } else {
        return fail(Errc::usage, fmt::format("'{}': index {} past the end ({} elements)", path, *s.index,
                                             cur->size()), {}, "PATH");
      }
    } else {
      if (cur->is_null()) {
        *cur = json::object();
      }
      if (!cur->is_object()) {
        return fail(Errc::usage, fmt::format("'{}': not an object at '{}'", path, s.key), {}, "PATH");
      }
      cur = &(*cur)[s.key];
    }
    if (last) {
      *cur = std::move(value);
    }
  }
  return {};
}

Result<void> remove_path(json& doc, const std::string& path)
{
  auto steps = HEMERA_TRY(parse_path(path));
  json* cur = &doc;
  for (std::size_t k = 0; k < steps.size(); ++k) {
    const Step& s = steps[k];
    bool last = k + 1 == steps.size();
    if (s.append) {
      return fail(Errc::usage, fmt::format("'{}': [] cannot be removed", path), {}, "PATH");
    }
    if (s.index) {
      if (!cur->is_array() || *s.index >= cur->size()) {
        return fail(Errc::data, fmt::format("'{}': no such element", path), {}, "PATH");
      }
      if (last) {
        cur->erase(*s.index);
        return {};
      }
      cur = &(*cur)[*s.index];
    } else {
      if (!cur->is_object() || !cur->contains(s.key)) {
        return fail(Errc::data, fmt::format("'{}': no such field", path), {}, "PATH");
      }
      if (last) {
        cur->erase(s.key);
        return {};
      }
      cur = &(*cur)[s.key];
    }
  }
  return {};
}

Result<RevisionResult> revise(archive::Archive& archive, const std::string& uuid, const Actor& actor,
                              const std::function<Result<void>(json&)>& edit,
                              const metadata::Defaults& defaults, std::vector<metadata::Check>* rejected)
{
  HEMERA_TRY(auth::require(archive, actor, "record.edit", uuid));
  auto lock = HEMERA_TRY(archive::lock_dataset(archive, uuid));
  HEMERA_TRY(archive::complete_dataset(archive, uuid));
  auto found = HEMERA_TRY(archive::find_dataset(archive, uuid));
  if (!found) {
    return fail(Errc::no_input, fmt::format("no dataset {} in the archive", uuid));
  }
  auto current = HEMERA_TRY(archive::read_record(archive, *found));
  json doc = current.doc();
  HEMERA_TRY(edit(doc));
  if (!doc.is_object()) {
    return fail(Errc::data, "a record is a JSON object", {}, {}, "record.type");
  }
  for (const char* key : {"id", "identifier"}) {
    if (doc.value(key, json()) != current.doc().value(key, json())) {
      return fail(Errc::data, fmt::format("{} is the dataset's UUID and cannot change", key), {},
                  std::string("$.") + key, "record.identity");
    }
  }
  RevisionResult out;
  out.uuid = uuid;
  out.revision = found->record_revision;
  auto candidate = HEMERA_TRY(metadata::Record::from_json(doc));
  if (candidate.doc() == current.doc()) {
    out.profile = metadata::check_record(current, defaults, archive::now_iso8601());
    return out;
  }
  candidate.set_last_modification(archive::now_iso8601());
  std::vector<metadata::Check> schema;
  metadata::check_schema(candidate.doc(), schema);
  if (!schema.empty()) {
    if (rejected != nullptr) {
      *rejected = schema;
    }
    return fail(Errc::data,
                fmt::format("the edited record does not follow the record schema ({} problem{}, first: {} {}); "
                            "nothing was written",
                            schema.size(), schema.size() == 1 ? "" : "s", schema.front().path,
                            schema.front().message),
                {}, schema.front().path, "schema");
  }
  out.revision = HEMERA_TRY(archive::commit_record_revision(archive, uuid, candidate, actor));
  out.changed = true;
  HEMERA_TRY(auth::audit(archive.layout().audit_log(), actor.name, "record.edit", uuid, true,
                         fmt::format("committed record revision {}", out.revision)));
  HEMERA_TRY(index_record(archive, found->path, out.revision, candidate, defaults));
  out.profile = metadata::check_record(candidate, defaults, archive::now_iso8601());
  return out;
}

Result<std::vector<RevisionInfo>> history(archive::Archive& archive, const archive::DatasetInfo& dataset)
{
  const fs::path root = archive.layout().root;
  fs::path dir = root / dataset.path / "metadata";
  std::vector<RevisionInfo> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (name.size() == 9 && name.substr(4) == ".json" &&
        std::all_of(name.begin(), name.begin() + 4, [](unsigned char c) { return std::isdigit(c); })) {
      RevisionInfo r;
      r.revision = std::stoi(name.substr(0, 4));
      r.file = (fs::path(dataset.path) / "metadata" / name).generic_string();
      auto h = HEMERA_TRY(checksum::hash_file(it->path()));
      r.sha256 = h.digest.hex();
      out.push_back(std::move(r));
    }
  }
  if (ec) {
    return tl::unexpected(errno_error(ec.value(), "cannot list", dir.string()));
  }
  std::sort(out.begin(), out.end(), [](const RevisionInfo& a, const RevisionInfo& b) { return a.revision < b.revision; });
  // The journal's view of each revision.
  auto reader = HEMERA_TRY(archive::journal::Reader::open(archive.layout().journal()));
  while (true) {
    auto ev = HEMERA_TRY(reader.next());
    if (!ev) {
      break;
    }
    if (ev->dataset != dataset.uuid || ev->record_revision == 0) {
      continue;
    }
    for (auto& r : out) {
      if (r.revision == ev->record_revision) {
        r.time = ev->time;
        r.actor = ev->actor;
        r.kind = ev->kind;
        r.seq = static_cast<std::int64_t>(ev->seq);
        r.journal_sha256 = ev->record_sha256 ? ev->record_sha256->hex() : "";
      }
    }
  }
  for (auto& r : out) {
    if (r.time.empty()) {
      auto text = util::read_file(root / r.file);
      if (text) {
        if (auto rec = metadata::Record::parse(*text, r.file)) {
          r.time = rec->last_modification().value_or("");
        }
      }
    }
  }
  return out;
}

Result<metadata::Record> read_revision(archive::Archive& archive, const archive::DatasetInfo& dataset,
                                       int revision)
{
  fs::path p = archive.layout().root / dataset.path / "metadata" / fmt::format("{:04}.json", revision);
  auto text = util::read_file(p);
  if (!text) {
    if (text.error().code == Errc::no_input || text.error().code == Errc::io) {
      return fail(Errc::no_input, fmt::format("dataset {} has no record revision {}", dataset.uuid, revision));
    }
    return tl::unexpected(text.error());
  }
  return metadata::Record::parse(*text, p.string());
}

}  // namespace hemera::catalog
