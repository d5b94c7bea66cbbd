// SPDX-License-Identifier: Apache-2.0
#include <hemera/archive/names.hpp>

#include <algorithm>
#include <map>

#include <fmt/format.h>

namespace hemera::archive {

namespace {

constexpr std::size_t k_max_name = 200;

std::string lower(std::string_view s)
{
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) {
    return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  });
  return out;
}

bool ends_with(std::string_view s, std::string_view suffix)
{
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string printable(std::string_view s)
{
  std::string out;
  for (unsigned char c : s) {
    if (c >= 0x20 && c < 0x7F) {
      out += static_cast<char>(c);
    } else {
      out += fmt::format("\\x{:02x}", c);
    }
  }
  return out;
}

}  // namespace

const char* kind_name(FileKind k) noexcept
{
  switch (k) {
  case FileKind::nasa_ames: return "nasa-ames";
  case FileKind::fits: return "fits";
  case FileKind::auxiliary: return "auxiliary";
  case FileKind::unknown: return "unknown";
  }
  return "unknown";
}

FileKind kind_of(std::string_view name) noexcept
{
  std::string n = lower(name);
  auto dot = n.rfind('.');
  if (dot == std::string::npos) {
    return FileKind::unknown;
  }
  std::string_view ext = std::string_view(n).substr(dot + 1);
  for (auto e : {"na", "nas", "ames"}) {
    if (ext == e) {
      return FileKind::nasa_ames;
    }
  }
  for (auto e : {"fits", "fit", "fts", "fz"}) {
    if (ext == e) {
      return FileKind::fits;
    }
  }
  for (auto e : {"gps", "nmea", "gpx", "csv", "txt"}) {
    if (ext == e) {
      return FileKind::auxiliary;
    }
  }
  return FileKind::unknown;
}

const char* base_name(Base b) noexcept
{
  return b == Base::datb ? "DATB" : "DASB";
}

Result<std::string> check_name(std::string_view name)
{
  auto refuse = [&](const char* rule, const std::string& why) {
    return fail(Errc::data, why, printable(name), {}, rule);
  };
  if (name.empty()) {
    return refuse("name.empty", "empty file name");
  }
  if (name.size() > k_max_name) {
    return refuse("name.length", fmt::format("file name is {} bytes long (at most {})",
                                             name.size(), k_max_name));
  }
  for (unsigned char c : name) {
    if (c == ' ') {
      return refuse("name.space", "file name contains a space");
    }
    if (c == '\t') {
      return refuse("name.tab", "file name contains a tab");
    }
    if (c < 0x20 || c == 0x7F) {
      return refuse("name.control", fmt::format("file name contains the control character 0x{:02x}", c));
    }
    if (c >= 0x80) {
      return refuse("name.non-ascii",
                    "file name contains a non-ASCII byte (accented letters are not allowed)");
    }
    if (c == '/' || c == '\\') {
      return refuse("name.slash", "file name contains a slash or a backslash");
    }
    if (std::string_view("<>:\"|?*").find(static_cast<char>(c)) != std::string_view::npos) {
      return refuse("name.reserved-char",
                    fmt::format("file name contains the character '{}'", static_cast<char>(c)));
    }
  }
  if (name.front() == '.' || name.front() == '-') {
    return refuse("name.leading", fmt::format("file name starts with '{}'", name.front()));
  }
  std::string low = lower(name);
  if (low.rfind("manifest-", 0) == 0 || low.rfind("tagmanifest-", 0) == 0 ||
      low == "metadata.json" || ends_with(low, ".part")) {
    return refuse("name.reserved", "file name is reserved by the archive");
  }
  return low;
}

std::vector<NameProblem> check_names(const std::vector<std::string>& names)
{
  std::vector<NameProblem> problems;
  std::map<std::string, std::string> seen;  // lower-cased -> first original
  for (const auto& n : names) {
    auto r = check_name(n);
    if (!r) {
      problems.push_back({n, r.error().rule, r.error().message});
      continue;
    }
    auto [it, inserted] = seen.emplace(*r, n);
    if (!inserted) {
      problems.push_back({n, "name.collision",
                          fmt::format("'{}' and '{}' are the same name once lower-cased ('{}')",
                                      it->second, n, *r)});
    }
  }
  return problems;
}

Result<Base> route(const std::vector<std::string>& names, std::vector<NameProblem>& problems)
{
  std::size_t na = 0;
  std::size_t fits = 0;
  std::size_t aux = 0;
  std::size_t before = problems.size();
  for (const auto& n : names) {
    switch (kind_of(n)) {
    case FileKind::nasa_ames: ++na; break;
    case FileKind::fits: ++fits; break;
    case FileKind::auxiliary: ++aux; break;
    case FileKind::unknown:
      problems.push_back({n, "route.unknown-kind",
                          "unknown kind of file: NASA Ames (.na .nas .ames), FITS (.fits .fit "
                          ".fts .fz) or auxiliary (.gps .nmea .gpx .csv .txt) expected"});
      break;
    }
  }
  if (names.empty()) {
    problems.push_back({"", "route.empty", "no files given"});
  }
  if (na > 0 && fits > 0) {
    problems.push_back({"", "route.mixed",
                        "NASA Ames and FITS files cannot be in one dataset (DATB is NASA Ames, "
                        "DASB is FITS)"});
  }
  if (fits > 0 && aux > 0 && na == 0) {
    problems.push_back({"", "route.auxiliary-in-dasb",
                        "auxiliary files are accepted only beside NASA Ames files (DASB is FITS only)"});
  } else if (aux > 0 && na == 0 && fits == 0) {
    problems.push_back({"", "route.auxiliary-alone",
                        "auxiliary files are accepted only beside at least one NASA Ames file"});
  }
  if (problems.size() != before) {
    return fail(Errc::data, problems[before].message, problems[before].file, {},
                problems[before].rule);
  }
  return na > 0 ? Base::datb : Base::dasb;
}

Result<std::string> check_collection(std::string_view collection)
{
  std::string c = lower(collection);
  while (!c.empty() && c.back() == '/') {
    c.pop_back();
  }
  if (c.empty()) {
    return fail(Errc::usage, "the collection is empty", {}, "--collection", "collection.form");
  }
  std::vector<std::string> segments;
  std::size_t start = 0;
  while (start <= c.size()) {
    auto slash = c.find('/', start);
    std::string seg = c.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (seg.empty() || seg == "." || seg == ".." || seg.front() == '.' || seg.front() == '-') {
      return fail(Errc::usage, fmt::format("bad collection segment '{}'", printable(seg)),
                  {}, "--collection", "collection.form");
    }
    for (unsigned char ch : seg) {
      bool ok = (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '.' || ch == '_' ||
                ch == '-';
      if (!ok) {
        return fail(Errc::usage,
                    fmt::format("collection segment '{}' may hold only a-z 0-9 . _ -",
                                printable(seg)),
                    {}, "--collection", "collection.form");
      }
    }
    segments.push_back(seg);
    if (slash == std::string::npos) {
      break;
    }
    start = slash + 1;
  }
  if (segments.size() > 3) {
    return fail(Errc::usage,
                fmt::format("the collection has {} segments (one to three)", segments.size()), {},
                "--collection", "collection.form");
  }
  return c;
}

}  // namespace hemera::archive
