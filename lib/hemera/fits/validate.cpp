// SPDX-License-Identifier: Apache-2.0
// The FITS validator. Headers are read block by block and parsed here (so a
// bad header still yields precise messages and the next HDU can be found);
// data units are streamed once with large reads for DATASUM, fill and table
// contents. Memory does not depend on the file size.
#include <hemera/fits/validate.hpp>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <unordered_map>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/format.h>

#include <hemera/fits/card.hpp>
#include <hemera/fits/checksum.hpp>
#include <hemera/fits/compressed.hpp>
#include <hemera/fits/table.hpp>

namespace hemera::fits {

namespace {

using validate::Location;
using validate::Severity;

constexpr std::size_t k_max_cards = 100000;
constexpr std::uint64_t k_max_data = std::uint64_t{1} << 62;

enum class HduKind { primary, groups, image, ascii_table, binary_table, other };

// A keyword name split into root, index and alternate letter ("CRVAL2A").
struct Indexed {
  std::string root;
  int index = 0;
  char alt = 0;
};

std::optional<Indexed> split_indexed(std::string_view key)
{
  std::size_t i = 0;
  while (i < key.size() && ((key[i] >= 'A' && key[i] <= 'Z') || key[i] == '_')) {
    ++i;
  }
  std::size_t d = i;
  while (d < key.size() && key[d] >= '0' && key[d] <= '9') {
    ++d;
  }
  if (i == 0 || d == i || d - i > 3) {
    return std::nullopt;
  }
  Indexed out;
  out.root = std::string(key.substr(0, i));
  out.index = std::stoi(std::string(key.substr(i, d - i)));
  if (d + 1 == key.size() && key[d] >= 'A' && key[d] <= 'Z') {
    out.alt = key[d];
  } else if (d != key.size()) {
    return std::nullopt;
  }
  return out;
}

bool is_column_root(std::string_view r)
{
  return r == "TTYPE" || r == "TFORM" || r == "TUNIT" || r == "TBCOL" || r == "TDIM" ||
         r == "TDISP" || r == "TNULL" || r == "TSCAL" || r == "TZERO";
}

// WCS keywords that WCSAXES must precede (FITS 4.0 §8.2).
bool is_wcs_key(std::string_view key, char& alt)
{
  alt = 0;
  static const char* roots[] = {"CRPIX", "CRVAL", "CDELT", "CTYPE", "CUNIT", "CROTA",
                                "CRDER", "CSYER", "CNAME"};
  auto ix = split_indexed(key);
  if (ix) {
    for (const char* r : roots) {
      if (ix->root == r) {
        alt = ix->alt;
        return true;
      }
    }
  }
  // PCi_j, CDi_j, PVi_m, PSi_m with an optional alternate letter.
  if (key.size() >= 5 && (key.substr(0, 2) == "PC" || key.substr(0, 2) == "CD" ||
                          key.substr(0, 2) == "PV" || key.substr(0, 2) == "PS")) {
    std::size_t i = 2;
    std::size_t a = i;
    while (i < key.size() && key[i] >= '0' && key[i] <= '9') {
      ++i;
    }
    if (i == a || i >= key.size() || key[i] != '_') {
      return false;
    }
    ++i;
    std::size_t b = i;
    while (i < key.size() && key[i] >= '0' && key[i] <= '9') {
      ++i;
    }
    if (i == b) {
      return false;
    }
    if (i + 1 == key.size() && key[i] >= 'A' && key[i] <= 'Z') {
      alt = key[i];
      return true;
    }
    return i == key.size();
  }
  return false;
}

enum class DateForm { iso, old, invalid };

// Classify a date value: ISO 8601 "YYYY-MM-DD[Thh:mm:ss[.s...]]" (FITS 4.0
// section 9.1.1), the pre-1999 "DD/MM/YY", or neither; fields are range-checked.
DateForm date_form(std::string_view v)
{
  auto num = [&v](std::size_t at, std::size_t n, int& out) {
    if (at + n > v.size()) {
      return false;
    }
    out = 0;
    for (std::size_t i = at; i < at + n; ++i) {
      if (v[i] < '0' || v[i] > '9') {
        return false;
      }
      out = out * 10 + (v[i] - '0');
    }
    return true;
  };
  auto day_ok = [](int y, int m, int d) {
    static const int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12 || d < 1 || d > days[m - 1]) {
      return false;
    }
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m != 2 || d < 29 || leap;
  };
  int y = 0;
  int m = 0;
  int d = 0;
  if (v.size() == 8 && v[2] == '/' && v[5] == '/') {
    bool ok = num(0, 2, d) && num(3, 2, m) && num(6, 2, y);
    return ok && day_ok(1900 + y, m, d) ? DateForm::old : DateForm::invalid;
  }
  if (!(v.size() >= 10 && v[4] == '-' && v[7] == '-' && num(0, 4, y) && num(5, 2, m) &&
        num(8, 2, d) && day_ok(y, m, d))) {
    return DateForm::invalid;
  }
  if (v.size() == 10) {
    return DateForm::iso;
  }
  int hh = 0;
  int mm = 0;
  int ss = 0;
  if (v.size() < 19 || v[10] != 'T' || v[13] != ':' || v[16] != ':' || !num(11, 2, hh) ||
      !num(14, 2, mm) || !num(17, 2, ss) || hh > 23 || mm > 59 || ss > 60) {
    return DateForm::invalid;
  }
  if (v.size() == 19) {
    return DateForm::iso;
  }
  if (v[19] != '.' || v.size() == 20) {
    return DateForm::invalid;
  }
  for (std::size_t i = 20; i < v.size(); ++i) {
    if (v[i] < '0' || v[i] > '9') {
      return DateForm::invalid;
    }
  }
  return DateForm::iso;
}

const char* kind_name(HduKind k, bool compressed)
{
  switch (k) {
  case HduKind::primary: return "primary";
  case HduKind::groups: return "random-groups";
  case HduKind::image: return "image";
  case HduKind::ascii_table: return "ascii-table";
  case HduKind::binary_table: return compressed ? "compressed-image" : "binary-table";
  case HduKind::other: return "other";
  }
  return "other";
}

struct Hdu {
  int number = 0;
  HduKind kind = HduKind::primary;
  std::string xtension;
  std::string extname;
  std::vector<Card> cards;  // before END
  std::vector<std::pair<std::size_t, CardIssue>> issues;
  std::unordered_map<std::string_view, std::size_t> first;  // keyword -> index of first card
  std::uint64_t header_start = 0;
  std::uint64_t data_start = 0;
  std::uint32_t header_sum = 0;
  bool has_end = false;
  bool header_cut = false;  // the file ends inside the header
  std::optional<int> bitpix;
  std::optional<std::int64_t> naxis;
  std::vector<std::int64_t> dims;
  std::int64_t pcount = 0;
  std::int64_t gcount = 1;
  bool size_known = false;
  std::uint64_t data_bytes = 0;
  bool compressed_image = false;
  Table table;
};

struct FileState {
  std::uint64_t size = 0;
  int fd = -1;
};

class Validator {
 public:
  Validator(const std::filesystem::path& path, const validate::Profile& profile,
            const Options& options)
    : m_path(path), m_name(path.filename().string()), m_options(options), m_profile(profile),
      m_collector(path.string(), "fits", profile)
  {
  }

  Validator(const Validator&) = delete;
  Validator& operator=(const Validator&) = delete;

  ~Validator()
  {
    if (m_fd >= 0) {
      ::close(m_fd);
    }
  }

  Result<Report> run();

 private:
  void add(const std::string& rule, Severity sev, const Hdu* h, std::optional<std::size_t> record,
           std::string_view keyword, const std::string& message)
  {
    Location loc;
    if (h != nullptr) {
      loc.hdu = h->number;
      loc.extname = printable(h->extname);
    }
    if (record) {
      loc.record = static_cast<std::int64_t>(*record);
    }
    loc.keyword = printable(keyword);
    m_collector.add(rule, sev, std::move(loc), printable(message));
  }

  const Card* get(const Hdu& h, std::string_view key) const
  {
    auto it = h.first.find(key);
    return it == h.first.end() ? nullptr : &h.cards[it->second];
  }

  std::size_t record_of(const Hdu& h, const Card* c) const
  {
    return static_cast<std::size_t>(c - h.cards.data()) + 1;
  }

  Result<void> pread_full(unsigned char* buf, std::size_t n, std::uint64_t off);
  Result<void> read_header(Hdu& h);
  void check_cards(Hdu& h);
  void check_mandatory(Hdu& h);
  void check_reserved(Hdu& h);
  void check_columns(Hdu& h);
  Result<void> check_data(Hdu& h, std::uint64_t end, bool look_inside);
  Result<std::optional<std::uint64_t>> find_xtension(std::uint64_t from, std::uint64_t to = UINT64_MAX);
  nlohmann::json hdu_json(const Hdu& h) const;
  std::optional<std::int64_t> mandatory_int(Hdu& h, const char* key);

  std::filesystem::path m_path;
  std::string m_name;
  Options m_options;
  const validate::Profile& m_profile;
  validate::Collector m_collector;
  int m_fd = -1;
  std::uint64_t m_size = 0;
  std::unique_ptr<unsigned char[]> m_buf;
  std::size_t m_buf_size = 0;
  bool m_primary_extend_false = false;
  std::optional<std::uint64_t> m_inner_header;  // an XTENSION block found inside a data unit
};

Result<void> Validator::pread_full(unsigned char* buf, std::size_t n, std::uint64_t off)
{
  std::size_t got = 0;
  while (got < n) {
    ssize_t r = ::pread(m_fd, buf + got, n - got, static_cast<off_t>(off + got));
    if (r < 0) {
      if (errno == EINTR) {
        continue;
      }
      return tl::unexpected(errno_error(errno, "cannot read", m_path.string()));
    }
    if (r == 0) {
      return fail(Errc::io, fmt::format("file shrank while being read (at byte {})", off + got),
                  m_path.string());
    }
    got += static_cast<std::size_t>(r);
  }
  return {};
}

Result<void> Validator::read_header(Hdu& h)
{
  unsigned char block[k_block_size];
  std::uint64_t off = h.header_start;
  std::uint64_t acc = 0;
  bool fill_reported = false;
  for (std::size_t b = 0;; ++b) {
    if (off + k_block_size > m_size) {
      h.header_cut = true;
      h.data_start = m_size;
      add("fits.end-missing", Severity::error, &h, std::nullopt, "END",
          off == m_size
            ? fmt::format("no END card: the file ends at byte {} inside the header", m_size)
            : fmt::format("no END card: the file ends at byte {}, {} bytes into a 2880-byte "
                          "header block",
                          m_size, m_size - off));
      // Parse what there is, so the header can still be reported.
      if (off < m_size) {
        std::size_t n = static_cast<std::size_t>(m_size - off);
        HEMERA_TRY(pread_full(block, n, off));
        for (std::size_t k = 0; k + k_card_size <= n; k += k_card_size) {
          std::vector<CardIssue> iss;
          h.cards.push_back(parse_card({reinterpret_cast<char*>(block) + k, k_card_size}, iss));
          for (auto& i : iss) {
            h.issues.emplace_back(h.cards.size() - 1, std::move(i));
          }
        }
      }
      return {};
    }
    HEMERA_TRY(pread_full(block, k_block_size, off));
    std::string_view view(reinterpret_cast<char*>(block), k_block_size);
    if (b > 0) {
      bool cards_like = true;
      for (std::size_t k = 0; k < k_cards_per_block && cards_like; ++k) {
        cards_like = looks_like_card(view.substr(k * k_card_size, k_card_size));
      }
      if (!cards_like) {
        add("fits.end-missing", Severity::error, &h, std::nullopt, "END",
            fmt::format("no END card: the header stops at byte {}, where the next block does not "
                        "hold keyword records",
                        off));
        h.data_start = off;
        h.header_sum = fold_sum(acc);
        return {};
      }
    }
    acc = add_words(block, k_block_size, acc);
    for (std::size_t k = 0; k < k_cards_per_block; ++k) {
      std::string_view raw = view.substr(k * k_card_size, k_card_size);
      if (h.has_end) {
        if (!fill_reported && raw.find_first_not_of(' ') != std::string_view::npos) {
          fill_reported = true;
          auto col = raw.find_first_not_of(' ');
          add("fits.header-fill", Severity::error, &h, b * k_cards_per_block + k + 1, "",
              fmt::format("the header fill after END is not all blanks: byte 0x{:02X} at byte {}",
                          static_cast<unsigned char>(raw[col]), off + k * k_card_size + col));
        }
        continue;
      }
      if (card_name(raw) == "END" && raw.substr(0, 8) == "END     ") {
        h.has_end = true;
        if (raw.substr(8).find_first_not_of(' ') != std::string_view::npos) {
          add("fits.end-card", Severity::error, &h, h.cards.size() + 1, "END",
              "the END card has non-blank characters in columns 9-80");
        }
        continue;
      }
      if (h.cards.size() >= k_max_cards) {
        add("fits.end-missing", Severity::error, &h, std::nullopt, "END",
            fmt::format("no END card in the first {} records; giving up on this file",
                        k_max_cards));
        h.header_cut = true;
        h.data_start = m_size;
        return {};
      }
      std::vector<CardIssue> iss;
      h.cards.push_back(parse_card(raw, iss));
      for (auto& i : iss) {
        h.issues.emplace_back(h.cards.size() - 1, std::move(i));
      }
    }
    off += k_block_size;
    if (h.has_end) {
      h.data_start = off;
      h.header_sum = fold_sum(acc);
      return {};
    }
  }
}

void Validator::check_cards(Hdu& h)
{
  for (std::size_t i = 0; i < h.cards.size(); ++i) {
    const Card& c = h.cards[i];
    if (c.type == ValueType::none || c.is_continue || !c.hierarch.empty()) {
      continue;
    }
    h.first.emplace(c.keyword, i);
  }
  if (const Card* c = get(h, "EXTNAME"); c != nullptr && c->type == ValueType::string) {
    h.extname = c->text;
  }
  for (const auto& [idx, issue] : h.issues) {
    add(issue.rule, issue.severity, &h, idx + 1, h.cards[idx].keyword, issue.message);
  }
}

std::optional<std::int64_t> Validator::mandatory_int(Hdu& h, const char* key)
{
  const Card* c = get(h, key);
  if (c == nullptr) {
    return std::nullopt;
  }
  if (c->type != ValueType::integer) {
    add("fits.keyword-value", Severity::error, &h, record_of(h, c), key,
        fmt::format("{} must be an integer, found {}{}", key, value_type_name(c->type),
                    c->text.empty() ? "" : fmt::format(" ('{}')", c->text)));
    return std::nullopt;
  }
  if (c->value_last != 30) {
    add("fits.fixed-format", Severity::error, &h, record_of(h, c), key,
        fmt::format("the value of {} must be right-justified to column 30 (fixed format); it "
                    "ends in column {}",
                    key, c->value_last));
  }
  return c->integer;
}

void Validator::check_mandatory(Hdu& h)
{
  bool primary = h.number == 1;
  // What kind of HDU, from the first card.
  if (!primary) {
    const Card& x = h.cards.front();
    h.xtension = x.type == ValueType::string ? x.text : "";
    while (!h.xtension.empty() && h.xtension.front() == ' ') {
      h.xtension.erase(0, 1);
    }
    if (x.type != ValueType::string) {
      add("fits.keyword-value", Severity::error, &h, 1, "XTENSION",
          fmt::format("XTENSION must be a string, found {}", value_type_name(x.type)));
    } else if (x.value_first != 11) {
      add("fits.fixed-format", Severity::error, &h, 1, "XTENSION",
          fmt::format("the XTENSION string must start in column 11 (fixed format), not {}",
                      x.value_first));
    }
    if (h.xtension == "IMAGE") {
      h.kind = HduKind::image;
    } else if (h.xtension == "TABLE") {
      h.kind = HduKind::ascii_table;
    } else if (h.xtension == "BINTABLE") {
      h.kind = HduKind::binary_table;
    } else {
      h.kind = HduKind::other;
      if (h.xtension == "A3DTABLE" || h.xtension == "IUEIMAGE") {
        add("fits.deprecated", Severity::warning, &h, 1, "XTENSION",
            fmt::format("XTENSION = '{}' is a deprecated extension type", h.xtension));
      } else if (h.xtension != "FOREIGN" && h.xtension != "DUMP") {
        add("fits.xtension", Severity::error, &h, 1, "XTENSION",
            fmt::format("XTENSION = '{}' is not a registered extension type (IMAGE, TABLE, "
                        "BINTABLE, or FOREIGN, DUMP, A3DTABLE, IUEIMAGE)",
                        h.xtension));
      }
    }
  } else {
    const Card& s = h.cards.front();
    if (s.type != ValueType::logical) {
      add("fits.keyword-value", Severity::error, &h, 1, "SIMPLE",
          fmt::format("SIMPLE must be the logical T, found {}", value_type_name(s.type)));
    } else {
      if (s.value_last != 30) {
        add("fits.fixed-format", Severity::error, &h, 1, "SIMPLE",
            "the value of SIMPLE must be in column 30 (fixed format)");
      }
      if (!s.logical) {
        add("fits.simple-false", Severity::warning, &h, 1, "SIMPLE",
            "SIMPLE = F: the file says it does not conform to the FITS standard");
      }
    }
  }

  // The values, wherever they are, so that a misordered header can still be walked.
  if (auto v = mandatory_int(h, "BITPIX")) {
    if (*v == 8 || *v == 16 || *v == 32 || *v == 64 || *v == -32 || *v == -64) {
      h.bitpix = static_cast<int>(*v);
    } else {
      add("fits.keyword-value", Severity::error, &h, record_of(h, get(h, "BITPIX")), "BITPIX",
          fmt::format("BITPIX = {} is not one of 8, 16, 32, 64, -32, -64", *v));
    }
  }
  if (auto v = mandatory_int(h, "NAXIS")) {
    if (*v >= 0 && *v <= 999) {
      h.naxis = *v;
    } else {
      add("fits.keyword-value", Severity::error, &h, record_of(h, get(h, "NAXIS")), "NAXIS",
          fmt::format("NAXIS = {} is outside 0-999", *v));
    }
  }
  bool dims_ok = h.naxis.has_value();
  if (h.naxis) {
    for (std::int64_t n = 1; n <= *h.naxis; ++n) {
      std::string key = fmt::format("NAXIS{}", n);
      auto v = mandatory_int(h, key.c_str());
      if (!v || *v < 0) {
        dims_ok = false;
        if (v) {
          add("fits.keyword-value", Severity::error, &h, record_of(h, get(h, key)), key,
              fmt::format("{} = {} is negative", key, *v));
        }
        h.dims.push_back(0);
      } else {
        h.dims.push_back(*v);
      }
    }
  }

  // The mandatory sequence.
  std::vector<std::string> seq;
  seq.emplace_back(primary ? "SIMPLE" : "XTENSION");
  seq.emplace_back("BITPIX");
  seq.emplace_back("NAXIS");
  for (std::int64_t n = 1; n <= h.naxis.value_or(0); ++n) {
    seq.push_back(fmt::format("NAXIS{}", n));
  }
  bool groups = false;
  if (primary) {
    const Card* g = get(h, "GROUPS");
    groups = g != nullptr && g->type == ValueType::logical && g->logical;
    if (groups && (h.dims.empty() || h.dims[0] != 0)) {
      add("fits.keyword-value", Severity::error, &h, record_of(h, g), "GROUPS",
          "GROUPS = T needs NAXIS1 = 0 (random groups)");
      groups = false;
    }
    if (groups) {
      h.kind = HduKind::groups;
      for (const char* k : {"PCOUNT", "GCOUNT"}) {
        if (get(h, k) == nullptr) {
          add("fits.keyword-missing", Severity::error, &h, std::nullopt, k,
              fmt::format("mandatory keyword {} missing (random groups)", k));
        }
      }
    }
  } else {
    seq.emplace_back("PCOUNT");
    seq.emplace_back("GCOUNT");
    if (h.kind == HduKind::ascii_table || h.kind == HduKind::binary_table) {
      seq.emplace_back("TFIELDS");
    }
  }
  for (std::size_t i = 0; i < seq.size(); ++i) {
    const std::string& want = seq[i];
    std::string found = i < h.cards.size() ? h.cards[i].keyword : "END";
    if (found == want) {
      continue;
    }
    if (i < h.cards.size() && h.cards[i].type == ValueType::none && found == want) {
      continue;
    }
    if (get(h, want) != nullptr) {
      add("fits.keyword-order", Severity::error, &h, i + 1, want,
          fmt::format("{} expected, found {}", want, found.empty() ? "a blank keyword" : found));
    } else {
      add("fits.keyword-missing", Severity::error, &h, i + 1, want,
          fmt::format("mandatory keyword {} missing (expected at record {}, found {})", want, i + 1,
                      found.empty() ? "a blank keyword" : found));
    }
  }
  // A mandatory keyword without its value indicator is found by name only.
  for (std::size_t i = 0; i < seq.size() && i < h.cards.size(); ++i) {
    if (h.cards[i].keyword == seq[i] && h.cards[i].type == ValueType::none) {
      add("fits.value-syntax", Severity::error, &h, i + 1, seq[i],
          fmt::format("{} has no value indicator '= ' in columns 9-10", seq[i]));
    }
  }

  // PCOUNT and GCOUNT.
  auto pc = mandatory_int(h, "PCOUNT");
  auto gc = mandatory_int(h, "GCOUNT");
  if (primary && !groups) {
    for (const char* k : {"PCOUNT", "GCOUNT"}) {
      if (const Card* c = get(h, k)) {
        add("fits.keyword-placement", Severity::error, &h, record_of(h, c), k,
            fmt::format("{} is allowed in a primary header only with random groups (GROUPS = T)",
                        k));
      }
    }
    pc.reset();
    gc.reset();
  }
  if (pc && *pc < 0) {
    add("fits.keyword-value", Severity::error, &h, record_of(h, get(h, "PCOUNT")), "PCOUNT",
        fmt::format("PCOUNT = {} is negative", *pc));
    pc.reset();
    dims_ok = false;
  }
  if (gc && *gc < 0) {
    add("fits.keyword-value", Severity::error, &h, record_of(h, get(h, "GCOUNT")), "GCOUNT",
        fmt::format("GCOUNT = {} is negative", *gc));
    gc.reset();
    dims_ok = false;
  }
  h.pcount = pc.value_or(0);
  h.gcount = gc.value_or(1);
  auto must = [&](const char* key, std::int64_t have, std::int64_t want, const char* what) {
    if (const Card* c = get(h, key); c != nullptr && have != want) {
      add("fits.keyword-value", Severity::error, &h, record_of(h, c), key,
          fmt::format("{} = {} in {}: must be {}", key, have, what, want));
    }
  };
  if (h.kind == HduKind::image) {
    must("PCOUNT", h.pcount, 0, "an IMAGE extension");
    must("GCOUNT", h.gcount, 1, "an IMAGE extension");
  } else if (h.kind == HduKind::ascii_table || h.kind == HduKind::binary_table) {
    const char* what = h.kind == HduKind::ascii_table ? "a TABLE extension" : "a BINTABLE extension";
    if (h.bitpix) {
      must("BITPIX", *h.bitpix, 8, what);
    }
    if (h.naxis) {
      must("NAXIS", *h.naxis, 2, what);
    }
    if (h.kind == HduKind::ascii_table) {
      must("PCOUNT", h.pcount, 0, what);
    }
    must("GCOUNT", h.gcount, 1, what);
  }

  // The data size: |BITPIX|/8 x GCOUNT x (PCOUNT + product of NAXISn), §3.4.1.
  if (h.bitpix && dims_ok) {
    // Checked arithmetic: any step beyond 2^62 bytes is refused.
    bool overflow = false;
    auto mul = [&overflow](std::uint64_t x, std::uint64_t y) {
      std::uint64_t r = 0;
      if (__builtin_mul_overflow(x, y, &r) || r > k_max_data) {
        overflow = true;
        return k_max_data;
      }
      return r;
    };
    std::uint64_t prod = 1;
    std::size_t from = h.kind == HduKind::groups ? 1 : 0;
    for (std::size_t i = from; i < h.dims.size(); ++i) {
      prod = mul(prod, static_cast<std::uint64_t>(h.dims[i]));
    }
    if (h.dims.empty() && h.kind != HduKind::groups) {
      prod = 0;
    }
    std::uint64_t size = prod;
    if (!(primary && !groups)) {
      size = mul(prod + static_cast<std::uint64_t>(h.pcount), static_cast<std::uint64_t>(h.gcount));
    }
    size = mul(size, static_cast<std::uint64_t>(std::abs(*h.bitpix) / 8));
    if (overflow) {
      add("fits.keyword-value", Severity::error, &h, std::nullopt, "NAXIS",
          "the data size declared by NAXISn, PCOUNT and GCOUNT is beyond 2^62 bytes");
    } else {
      h.size_known = true;
      h.data_bytes = size;
    }
  }
}

void Validator::check_reserved(Hdu& h)
{
  bool image = h.kind == HduKind::primary || h.kind == HduKind::image || h.kind == HduKind::groups;
  bool table = h.kind == HduKind::ascii_table || h.kind == HduKind::binary_table;
  if (const Card* z = get(h, "ZIMAGE"); z != nullptr && z->type == ValueType::logical && z->logical) {
    h.compressed_image = h.kind == HduKind::binary_table;
  }
  bool float_image = h.bitpix && *h.bitpix < 0;
  std::unordered_map<std::string_view, std::size_t> seen;
  seen.reserve(h.cards.size());
  const auto& cards = h.cards;
  std::map<char, std::size_t> first_wcs;  // alternate letter -> first WCS card index
  // Keywords with rules of their own: type (s string, i integer, n number,
  // l logical, 0 any) and where they may appear.
  enum : unsigned {
    k_mandatory = 1, k_first_only = 2, k_primary_only = 4, k_image_only = 8, k_table_only = 16,
    k_deprecated = 32, k_not_ascii = 64
  };
  struct Info {
    char type;
    unsigned flags;
  };
  static const std::unordered_map<std::string_view, Info> keys = {
    {"SIMPLE", {'l', k_mandatory | k_first_only}}, {"XTENSION", {'s', k_mandatory | k_first_only}},
    {"BITPIX", {0, k_mandatory}},    {"NAXIS", {0, k_mandatory}},      {"PCOUNT", {0, k_mandatory}},
    {"GCOUNT", {0, k_mandatory}},    {"TFIELDS", {0, k_mandatory | k_table_only}},
    {"GROUPS", {'l', k_mandatory | k_primary_only}}, {"EXTEND", {'l', k_mandatory | k_primary_only}},
    {"BLOCKED", {'l', k_primary_only | k_deprecated}}, {"EPOCH", {'n', k_deprecated}},
    {"THEAP", {0, k_table_only | k_not_ascii}},
    {"BSCALE", {'n', k_image_only}}, {"BZERO", {'n', k_image_only}}, {"BUNIT", {'s', k_image_only}},
    {"BLANK", {'i', k_image_only}},  {"DATAMAX", {'n', k_image_only}}, {"DATAMIN", {'n', k_image_only}},
    {"EXTNAME", {'s', 0}},  {"ORIGIN", {'s', 0}},   {"AUTHOR", {'s', 0}},   {"CREATOR", {'s', 0}},
    {"REFERENC", {'s', 0}}, {"TELESCOP", {'s', 0}}, {"INSTRUME", {'s', 0}}, {"OBSERVER", {'s', 0}},
    {"OBJECT", {'s', 0}},   {"CHECKSUM", {'s', 0}}, {"DATASUM", {'s', 0}},  {"TIMESYS", {'s', 0}},
    {"RADESYS", {'s', 0}},  {"RADECSYS", {'s', 0}}, {"SPECSYS", {'s', 0}},  {"CHECKVER", {'s', 0}},
    {"DATE-OBS", {'s', 0}}, {"DATE-END", {'s', 0}}, {"DATE-BEG", {'s', 0}}, {"DATE-AVG", {'s', 0}},
    {"DATEREF", {'s', 0}},  {"DATE", {'s', 0}},     {"TIMEUNIT", {'s', 0}}, {"TREFPOS", {'s', 0}},
    {"EXTVER", {'i', 0}},   {"EXTLEVEL", {'i', 0}}, {"WCSAXES", {'i', 0}},  {"EQUINOX", {'n', 0}},
    {"MJD-OBS", {'n', 0}},  {"MJD-AVG", {'n', 0}},  {"MJD-BEG", {'n', 0}},  {"MJD-END", {'n', 0}},
    {"MJDREF", {'n', 0}},   {"JDREF", {'n', 0}},    {"TSTART", {'n', 0}},   {"TSTOP", {'n', 0}},
    {"TIMEDEL", {'n', 0}},  {"LONPOLE", {'n', 0}},  {"LATPOLE", {'n', 0}},  {"RESTFRQ", {'n', 0}},
    {"RESTWAV", {'n', 0}},  {"OBSGEO-X", {'n', 0}}, {"OBSGEO-Y", {'n', 0}}, {"OBSGEO-Z", {'n', 0}},
    {"INHERIT", {'l', 0}}};

  for (std::size_t i = 0; i < cards.size(); ++i) {
    const Card& c = cards[i];
    const std::string& k = c.keyword;
    std::size_t rec = i + 1;
    if (c.type == ValueType::none || c.is_continue || !c.hierarch.empty()) {
      continue;  // commentary; a mandatory name without "= " is reported by the sequence check
    }
    auto found = keys.find(k);
    const Info info = found != keys.end() ? found->second : Info{0, 0};
    // Duplicates.
    auto [it, fresh] = seen.emplace(k, i);
    if (!fresh) {
      bool mandatory = (info.flags & k_mandatory) != 0 ||
                       (k.size() > 5 && k.compare(0, 5, "NAXIS") == 0);
      if (mandatory) {
        add("fits.mandatory-duplicate", Severity::error, &h, rec, k,
            fmt::format("{} appears again (first at record {})", k, it->second + 1));
      } else {
        add("fits.keyword-duplicate", Severity::warning, &h, rec, k,
            fmt::format("{} appears again (first at record {})", k, it->second + 1));
      }
    }
    if (i > 0 && (info.flags & k_first_only) != 0) {
      add("fits.keyword-placement", Severity::error, &h, rec, k,
          fmt::format("{} is allowed only as the first keyword of a header", k));
    }
    if (c.type == ValueType::undefined) {
      add("fits.null-value", Severity::warning, &h, rec, k,
          fmt::format("{} has an undefined (empty) value", k));
      continue;
    }
    if (c.type == ValueType::invalid) {
      continue;
    }

    auto want_type = [&](const char* type) {
      bool ok = false;
      std::string_view t(type);
      if (t == "string") {
        ok = c.type == ValueType::string;
      } else if (t == "integer") {
        ok = c.type == ValueType::integer;
      } else if (t == "number") {
        ok = c.is_number();
      } else if (t == "logical") {
        ok = c.type == ValueType::logical;
      }
      if (!ok) {
        add("fits.keyword-type", Severity::error, &h, rec, k,
            fmt::format("{} must be {} {}, found {}", k, t == "integer" ? "an" : "a",
                        t == "number" ? "number" : type, value_type_name(c.type)));
      }
      return ok;
    };

    bool typed = true;
    if (info.type != 0 && (info.flags & k_first_only) == 0) {
      typed = want_type(info.type == 's'   ? "string"
                        : info.type == 'i' ? "integer"
                        : info.type == 'n' ? "number"
                                           : "logical");
    }
    std::optional<Indexed> ix;
    if (k.find_first_of("0123456789") != std::string::npos) {
      ix = split_indexed(k);
    }
    if (ix && ix->alt == 0) {
      const auto& r = ix->root;
      if (r == "TTYPE" || r == "TFORM" || r == "TUNIT" || r == "TDISP" || r == "TDIM") {
        typed = want_type("string");
      } else if (r == "TBCOL") {
        typed = want_type("integer");
      } else if (r == "TSCAL" || r == "TZERO" || r == "PSCAL" || r == "PZERO") {
        typed = want_type("number");
      } else if (r == "TNULL") {
        typed = want_type(h.kind == HduKind::ascii_table ? "string" : "integer");
      } else if (r == "PTYPE") {
        typed = want_type("string");
      }
    }
    if (ix) {
      const auto& r = ix->root;
      if (r == "CTYPE" || r == "CUNIT" || r == "CNAME") {
        typed = want_type("string");
      } else if (r == "CRPIX" || r == "CRVAL" || r == "CDELT" || r == "CROTA" || r == "CRDER" ||
                 r == "CSYER") {
        typed = want_type("number");
        if (typed && r == "CDELT" && c.real == 0) {
          add("fits.wcs", Severity::error, &h, rec, k, fmt::format("{} = 0: a WCS axis cannot have a zero increment", k));
        }
      }
    }
    (void)typed;

    // Placement.
    auto misplaced = [&](const std::string& why) {
      add("fits.keyword-placement", Severity::error, &h, rec, k, why);
    };
    if (h.number > 1 && (info.flags & k_primary_only) != 0) {
      misplaced(fmt::format("{} is allowed only in the primary header", k));
    }
    if (ix && (ix->root == "PTYPE" || ix->root == "PSCAL" || ix->root == "PZERO") && ix->alt == 0) {
      if (h.kind != HduKind::groups) {
        misplaced(fmt::format("{} is allowed only in a random-groups header", k));
      } else if (ix->index < 1 || ix->index > h.pcount) {
        add("fits.column-index", Severity::error, &h, rec, k,
            fmt::format("{}: index {} is outside 1-PCOUNT ({})", k, ix->index, h.pcount));
      }
    }
    if (image && ((info.flags & k_table_only) != 0 || (ix && ix->alt == 0 && is_column_root(ix->root)))) {
      misplaced(fmt::format("{} is a table keyword, not allowed in an image", k));
    }
    if (table && !h.compressed_image && (info.flags & k_image_only) != 0) {
      misplaced(fmt::format("{} is an image keyword, not allowed in a table", k));
    }
    if (h.kind == HduKind::ascii_table && ((info.flags & k_not_ascii) != 0 || (ix && ix->root == "TDIM"))) {
      misplaced(fmt::format("{} is not allowed in an ASCII table", k));
    }
    if (h.kind == HduKind::binary_table && ix && ix->root == "TBCOL" && ix->alt == 0) {
      misplaced(fmt::format("{} is not allowed in a binary table", k));
    }
    if (k == "BLANK" && image && float_image) {
      misplaced(fmt::format("BLANK is not allowed with a floating-point BITPIX ({})", *h.bitpix));
    }
    // Time coordinates (FITS 4.0 section 9.2).
    if (k == "TIMESYS" && c.type == ValueType::string) {
      static const std::string_view scales[] = {"TAI", "TT",  "TDT", "ET",  "IAT", "UT1", "UTC",
                                                "GMT", "GPS", "TCG", "TCB", "TDB", "LOCAL"};
      if (std::find(std::begin(scales), std::end(scales), c.text) == std::end(scales) &&
          c.text.rfind("UT(", 0) != 0) {
        add("fits.time", Severity::error, &h, rec, k,
            fmt::format("TIMESYS = '{}' is not a time scale of FITS 4.0 (TAI, TT, UTC, UT1, TCG, "
                        "TCB, TDB, GPS, LOCAL, or the older TDT, ET, IAT, GMT, UT())",
                        c.text));
      }
    }
    if (k == "TIMEUNIT" && c.type == ValueType::string) {
      static const std::string_view units[] = {"s", "d", "a", "cy", "min", "h", "yr", "ta", "Ba"};
      if (std::find(std::begin(units), std::end(units), c.text) == std::end(units)) {
        add("fits.time-value", Severity::warning, &h, rec, k,
            fmt::format("TIMEUNIT = '{}' is not one of s, d, a, cy, min, h, yr, ta, Ba", c.text));
      }
    }
    if (k == "TREFPOS" && c.type == ValueType::string) {
      static const std::string_view places[] = {
        "TOPOCENTER", "GEOCENTER", "BARYCENTER", "RELOCATABLE", "CUSTOM",
        "HELIOCENTER", "GALACTIC", "EMBARYCENTER", "MERCURY", "VENUS", "MARS",
        "JUPITER", "SATURN", "URANUS", "NEPTUNE"};
      if (std::find(std::begin(places), std::end(places), c.text) == std::end(places)) {
        add("fits.time-value", Severity::warning, &h, rec, k,
            fmt::format("TREFPOS = '{}' is not a reference position of FITS 4.0 section 9.2.3",
                        c.text));
      }
    }
    if (k == "EPOCH") {
      add("fits.deprecated", Severity::warning, &h, rec, k, "EPOCH is deprecated: use EQUINOX");
    }
    if (k == "BLOCKED") {
      add("fits.deprecated", Severity::warning, &h, rec, k, "BLOCKED is deprecated");
    }
    if (k == "EXTEND" && h.number == 1 && c.type == ValueType::logical && !c.logical) {
      m_primary_extend_false = true;
    }

    // Dates: ISO 8601 (FITS 4.0 §4.4.2.1, §9.1.1).
    bool date_key = k == "DATE" || k == "DATE-OBS" || k == "DATE-END" || k == "DATE-BEG" ||
                    k == "DATE-AVG" || k == "DATEREF" ||
                    (k.rfind("DATE", 0) == 0 && c.type == ValueType::string);
    if (date_key && c.type == ValueType::string) {
      const std::string& v = c.text;
      DateForm form = date_form(v);
      bool old_form = form == DateForm::old;
      bool iso = form == DateForm::iso;
      if (old_form) {
        add("fits.date-old", Severity::warning, &h, rec, k,
            fmt::format("{} = '{}' uses the DD/MM/YY form of files written before 1999: new "
                        "files must use YYYY-MM-DD (FITS 4.0 section 4.4.2.1)",
                        k, v));
      } else if (!iso) {
        add("fits.date-format", Severity::error, &h, rec, k,
            fmt::format("{} = '{}' is not a date: write YYYY-MM-DD[Thh:mm:ss[.sss]] (ISO 8601, "
                        "FITS 4.0 section 4.4.2.1)",
                        k, v));
      }
    }

    // CHECKSUM and DATASUM syntax.
    if (k == "CHECKSUM" && c.type == ValueType::string && !checksum_syntax_ok(c.text)) {
      add("fits.checksum-syntax", Severity::error, &h, rec, k,
          fmt::format("CHECKSUM = '{}' is not 16 characters of the checksum encoding", c.text));
    }
    if (k == "DATASUM" && c.type == ValueType::string && !parse_datasum(c.text)) {
      add("fits.checksum-syntax", Severity::error, &h, rec, k,
          fmt::format("DATASUM = '{}' is not an unsigned 32-bit decimal number", c.text));
    }

    // WCSAXES precedes the WCS keywords of its alternate (§8.2).
    char alt = 0;
    if (is_wcs_key(k, alt)) {
      first_wcs.emplace(alt, i);
    }
    if (k.rfind("WCSAXES", 0) == 0 && k.size() <= 8) {
      char a = k.size() == 8 ? k[7] : 0;
      auto w = first_wcs.find(a);
      if (w != first_wcs.end()) {
        add("fits.wcs-order", Severity::error, &h, rec, k,
            fmt::format("{} must precede the other WCS keywords, but {} comes first (record {})",
                        k, cards[w->second].keyword, w->second + 1));
      }
    }
  }
  if (const Card* th = get(h, "THEAP"); th != nullptr && h.kind == HduKind::binary_table &&
                                         h.pcount == 0) {
    add("fits.keyword-placement", Severity::error, &h, record_of(h, th), "THEAP",
        "THEAP is set but PCOUNT = 0 (no heap)");
  }
}

void Validator::check_columns(Hdu& h)
{
  if (h.kind != HduKind::ascii_table && h.kind != HduKind::binary_table) {
    return;
  }
  std::int64_t tfields = 0;
  if (const Card* t = get(h, "TFIELDS")) {
    if (t->type == ValueType::integer && t->integer >= 0 && t->integer <= 999) {
      tfields = t->integer;
      if (t->value_last != 30) {
        add("fits.fixed-format", Severity::error, &h, record_of(h, t), "TFIELDS",
            fmt::format("the value of TFIELDS must be right-justified to column 30 (fixed "
                        "format); it ends in column {}",
                        t->value_last));
      }
    } else {
      add("fits.keyword-value", Severity::error, &h, record_of(h, t), "TFIELDS",
          fmt::format("TFIELDS = '{}' is not an integer in 0-999", t->text));
    }
  }
  TableLayout layout;
  layout.ascii = h.kind == HduKind::ascii_table;
  layout.naxis1 = h.dims.size() > 0 ? h.dims[0] : 0;
  layout.naxis2 = h.dims.size() > 1 ? h.dims[1] : 0;
  layout.pcount = h.pcount;
  layout.tfields = tfields;
  auto lookup = [&h, this](const std::string& key) -> const Card* { return get(h, key); };
  auto sink = [&h, this](const std::string& rule, Severity sev, const Card* c,
                         const std::string& key, const std::string& msg) {
    add(rule, sev, &h, c != nullptr ? std::optional<std::size_t>(record_of(h, c)) : std::nullopt,
        key, msg);
  };
  // Index beyond TFIELDS.
  for (std::size_t i = 0; i < h.cards.size(); ++i) {
    const Card& c = h.cards[i];
    if (c.type == ValueType::none) {
      continue;
    }
    auto ix = split_indexed(c.keyword);
    if (ix && ix->alt == 0 && is_column_root(ix->root) && (ix->index < 1 || ix->index > tfields)) {
      add("fits.column-index", Severity::error, &h, i + 1, c.keyword,
          fmt::format("{}: column {} does not exist (TFIELDS = {})", c.keyword, ix->index, tfields));
    }
  }
  h.table = build_table(layout, lookup, sink, h.compressed_image);
  if (h.compressed_image) {
    check_compressed_keywords(lookup, sink);
  }
}

Result<std::optional<std::uint64_t>> Validator::find_xtension(std::uint64_t from, std::uint64_t to)
{
  to = std::min(to, m_size);
  // Look for the next header at a block boundary of the file.
  std::uint64_t off = (from + k_block_size - 1) / k_block_size * k_block_size;
  char head[10];
  for (; off + 10 <= to && off + k_block_size <= m_size; off += k_block_size) {
    HEMERA_TRY(pread_full(reinterpret_cast<unsigned char*>(head), sizeof head, off));
    if (std::memcmp(head, "XTENSION= ", 10) == 0) {
      return std::optional<std::uint64_t>(off);
    }
  }
  return std::optional<std::uint64_t>();
}

Result<void> Validator::check_data(Hdu& h, std::uint64_t end, bool look_inside)
{
  m_inner_header.reset();
  // `end`: where the data unit really ends (the declared end, or the next
  // header or the end of file when the size is wrong).
  std::uint64_t padded = (h.data_bytes + k_block_size - 1) / k_block_size * k_block_size;
  std::uint64_t avail = end > h.data_start ? end - h.data_start : 0;
  const Card* cks = get(h, "CHECKSUM");
  const Card* dsm = get(h, "DATASUM");
  bool sums = (cks != nullptr && cks->type == ValueType::string) ||
              (dsm != nullptr && dsm->type == ValueType::string);
  bool complete = avail >= padded;
  TableScan scan(h.table, h.data_bytes);
  bool table_read = scan.active();
  std::uint64_t from = 0;
  if (!m_options.check_data || (!sums && !table_read)) {
    from = padded > k_block_size ? padded - k_block_size : 0;  // the fill only
  }
  std::uint64_t to = std::min(padded, avail);
  std::uint64_t acc = 0;
  std::uint64_t fill_bad = 0;
  std::uint64_t fill_first = 0;
  unsigned char fill_byte = 0;
  unsigned char want_fill = h.kind == HduKind::ascii_table ? ' ' : 0;
  // Allocated once per file, as large as this data unit needs, and not zeroed.
  std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(
    std::max<std::size_t>(m_options.buffer_size / k_block_size * k_block_size, k_block_size),
    std::max<std::uint64_t>(to - from, k_block_size)));
  if (m_buf_size < want) {
    m_buf.reset(new unsigned char[want]);
    m_buf_size = want;
  }
  if (!m_options.check_data) {
    from = to;
  }
  if (from > 0) {
    scan.skip();
  }
  if (look_inside && from != 0 && to <= (std::uint64_t{64} << 20)) {
    auto x = HEMERA_TRY(find_xtension(h.data_start, h.data_start + std::min(to, h.data_bytes)));
    m_inner_header = x;
  }
  if (from < to) {
    (void)::posix_fadvise(m_fd, static_cast<off_t>(h.data_start + from),
                          static_cast<off_t>(to - from), POSIX_FADV_SEQUENTIAL);
  }
  for (std::uint64_t pos = from; pos < to;) {
    std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(m_buf_size, to - pos));
    HEMERA_TRY(pread_full(m_buf.get(), n, h.data_start + pos));
    if (from == 0) {
      acc = add_words(m_buf.get(), n & ~std::size_t{3}, acc);
      if (look_inside && !m_inner_header) {
        for (std::size_t b = 0; b + 10 <= n && pos + b < h.data_bytes; b += k_block_size) {
          if (std::memcmp(m_buf.get() + b, "XTENSION= ", 10) == 0) {
            m_inner_header = h.data_start + pos + b;
            break;
          }
        }
      }
    }
    if (pos < h.data_bytes) {
      std::size_t dn = static_cast<std::size_t>(std::min<std::uint64_t>(n, h.data_bytes - pos));
      if (table_read && from == 0) {
        scan.feed(m_buf.get(), dn, pos);
      }
    }
    if (pos + n > h.data_bytes) {
      std::size_t a = pos >= h.data_bytes ? 0 : static_cast<std::size_t>(h.data_bytes - pos);
      for (std::size_t i = a; i < n; ++i) {
        if (m_buf[i] != want_fill) {
          if (fill_bad == 0) {
            fill_first = pos + i;
            fill_byte = m_buf[i];
          }
          ++fill_bad;
        }
      }
    }
    pos += n;
  }
  if (fill_bad != 0) {
    add("fits.data-fill", Severity::error, &h, std::nullopt, "",
        fmt::format("the data fill after the last {} data bytes is not all {}: {} bad byte(s), "
                    "the first (0x{:02X}) at byte {}",
                    h.data_bytes, want_fill == 0 ? "zeros" : "blanks", fill_bad, fill_byte,
                    h.data_start + fill_first));
  }
  if (table_read && from == 0 && complete) {
    auto more = HEMERA_TRY(scan.finish([this](unsigned char* buf, std::size_t n, std::uint64_t off) {
      return pread_full(buf, n, off);
    }, h.data_start));
    for (const auto& f : more) {
      add(f.rule, f.severity, &h, std::nullopt, f.keyword, f.message);
    }
  }
  if (from != 0 || !complete) {
    return {};
  }
  // Checksums on the raw bytes (FITS 4.0 Appendix J), an error on mismatch.
  std::uint32_t dsum = fold_sum(acc);
  std::optional<std::uint32_t> declared;
  bool datasum_bad = false;
  if (dsm != nullptr && dsm->type == ValueType::string) {
    declared = parse_datasum(dsm->text);
    if (declared && *declared != dsum) {
      datasum_bad = true;
      add("fits.datasum", Severity::error, &h, record_of(h, dsm), "DATASUM",
          fmt::format("DATASUM = '{}' but the data unit sums to {}: the data changed after the "
                      "sum was written",
                      *declared, dsum));
    }
  }
  if (cks != nullptr && cks->type == ValueType::string && checksum_syntax_ok(cks->text)) {
    std::uint32_t total = add_sums(h.header_sum, dsum);
    if (total != 0xFFFFFFFFU) {
      // With a wrong DATASUM, the header alone may still agree with it.
      bool header_ok = datasum_bad && add_sums(h.header_sum, *declared) == 0xFFFFFFFFU;
      if (!header_ok) {
        add("fits.checksum", Severity::error, &h, record_of(h, cks), "CHECKSUM",
            datasum_bad || dsm == nullptr
              ? fmt::format("CHECKSUM = '{}' does not match: the HDU sums to {:08X}, not "
                            "FFFFFFFF",
                            cks->text, total)
              : fmt::format("CHECKSUM = '{}' does not match although DATASUM does: the header "
                            "changed after the checksum was written",
                            cks->text));
      }
    }
  }
  return {};
}

nlohmann::json Validator::hdu_json(const Hdu& h) const
{
  nlohmann::json j;
  j["hdu"] = h.number;
  j["type"] = h.kind == HduKind::other ? printable(h.xtension) : kind_name(h.kind, h.compressed_image);
  j["name"] = printable(h.extname);
  if (const Card* v = get(h, "EXTVER"); v != nullptr && v->type == ValueType::integer) {
    j["version"] = v->integer;
  }
  j["bitpix"] = h.bitpix ? nlohmann::json(*h.bitpix) : nlohmann::json(nullptr);
  j["dimensions"] = h.dims;
  j["records"] = h.cards.size() + (h.has_end ? 1 : 0);
  j["header_offset"] = h.header_start;
  j["data_offset"] = h.data_start;
  j["data_bytes"] = h.size_known ? nlohmann::json(h.data_bytes) : nlohmann::json(nullptr);
  if (h.kind == HduKind::ascii_table || h.kind == HduKind::binary_table) {
    nlohmann::json cols = nlohmann::json::array();
    for (const auto& c : h.table.columns) {
      nlohmann::json col = {{"name", printable(c.name)}, {"format", printable(c.tform)}};
      if (!c.unit.empty()) {
        col["unit"] = printable(c.unit);
      }
      cols.push_back(col);
    }
    j["rows"] = h.dims.size() > 1 ? h.dims[1] : 0;
    j["columns"] = cols;
  }
  return j;
}

Result<Report> Validator::run()
{
  m_fd = ::open(m_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (m_fd < 0) {
    return tl::unexpected(errno_error(errno, "cannot open", m_path.string()));
  }
  struct stat st{};
  if (::fstat(m_fd, &st) != 0) {
    return tl::unexpected(errno_error(errno, "cannot stat", m_path.string()));
  }
  if (S_ISDIR(st.st_mode)) {
    return fail(Errc::data, "is a directory, not a FITS file", m_path.string());
  }
  m_size = static_cast<std::uint64_t>(st.st_size);

  Report out;
  nlohmann::json hdus = nlohmann::json::array();
  char head[10] = {};
  std::size_t n0 = static_cast<std::size_t>(std::min<std::uint64_t>(m_size, sizeof head));
  HEMERA_TRY(pread_full(reinterpret_cast<unsigned char*>(head), n0, 0));
  if (n0 < 10 || std::memcmp(head, "SIMPLE  = ", 10) != 0) {
    add("fits.not-fits", Severity::error, nullptr, std::nullopt, "SIMPLE",
        "not a FITS file: it does not start with the card 'SIMPLE  = '");
    out.report = m_collector.take();
    out.report.details = {{"hdus", hdus}, {"summary", to_json(out.summary)}};
    return out;
  }

  std::uint64_t off = 0;
  int number = 0;
  std::map<std::string, int> names;  // type, EXTNAME, EXTVER -> first HDU
  while (off < m_size) {
    Hdu h;
    h.number = ++number;
    h.header_start = off;
    HEMERA_TRY(read_header(h));
    if (h.cards.empty()) {
      h.cards.emplace_back();  // keeps cards.front() valid for the checks
    }
    check_cards(h);
    check_mandatory(h);
    check_reserved(h);
    check_columns(h);
    out.summary.hdus.push_back(summarize_header(h.cards, h.number, printable(h.extname)));
    if (h.number > 1 && !h.extname.empty()) {
      // Two HDUs of one type with the same EXTNAME and EXTVER cannot be told apart.
      const Card* v = get(h, "EXTVER");
      std::int64_t ver = v != nullptr && v->type == ValueType::integer ? v->integer : 1;
      auto key = fmt::format("{}\n{}\n{}", h.xtension, h.extname, ver);
      auto [it, fresh] = names.emplace(key, h.number);
      if (!fresh) {
        add("fits.hdu-duplicate", Severity::warning, &h, record_of(h, get(h, "EXTNAME")), "EXTNAME",
            fmt::format("HDU {} has the same type, EXTNAME and EXTVER ({}) as HDU {}", h.number,
                        ver, it->second));
      }
    }

    std::uint64_t padded = (h.data_bytes + k_block_size - 1) / k_block_size * k_block_size;
    std::uint64_t next = h.data_start + padded;
    if (h.header_cut) {
      hdus.push_back(hdu_json(h));
      break;
    }
    std::optional<std::uint64_t> resume;  // where the next HDU starts
    bool last = false;
    if (!h.size_known) {
      auto x = HEMERA_TRY(find_xtension(h.data_start));
      add("fits.data-size", Severity::error, &h, std::nullopt, "NAXIS",
          x ? fmt::format("the data size is unknown (bad mandatory keywords); resuming at the "
                          "next XTENSION header, byte {}",
                          *x)
            : std::string("the data size is unknown (bad mandatory keywords); no later "
                          "XTENSION header found"));
      hdus.push_back(hdu_json(h));
      if (!x) {
        break;
      }
      off = *x;
      continue;
    }
    std::uint64_t data_end = next;
    if (next > m_size) {
      // Truncated, or NAXISn larger than the data: is there a header inside?
      auto x = HEMERA_TRY(find_xtension(h.data_start));
      if (x && *x < next) {
        add("fits.data-size", Severity::error, &h, std::nullopt, "NAXIS",
            fmt::format("the header declares {} data bytes (to byte {}), but the next HDU "
                        "starts at byte {}: NAXISn, PCOUNT or GCOUNT too large",
                        h.data_bytes, next, *x));
        resume = x;
        data_end = *x;
      } else {
        std::uint64_t have = m_size > h.data_start ? m_size - h.data_start : 0;
        add("fits.truncated", Severity::error, &h, std::nullopt, "",
            have < h.data_bytes
              ? fmt::format("the file is truncated: the header declares {} data bytes, only {} "
                            "are present (file ends at byte {})",
                            h.data_bytes, have, m_size)
              : fmt::format("the file is truncated: it ends at byte {}, inside the fill of the "
                            "last data block ({} bytes missing)",
                            m_size, next - m_size));
        data_end = m_size;
        last = true;
      }
    } else if (next < m_size) {
      char nh[10] = {};
      std::size_t nn = static_cast<std::size_t>(std::min<std::uint64_t>(m_size - next, 10));
      HEMERA_TRY(pread_full(reinterpret_cast<unsigned char*>(nh), nn, next));
      if (nn == 10 && std::memcmp(nh, "XTENSION= ", 10) == 0) {
        resume = next;
      } else {
        // Not a header where one should be: the data may be larger than declared, a header
        // may have been swallowed, or bytes follow the last HDU.
        auto x = HEMERA_TRY(find_xtension(h.data_start));
        if (x && *x < next) {
          add("fits.data-size", Severity::error, &h, std::nullopt, "NAXIS",
              fmt::format("the header declares {} data bytes (to byte {}), but the next HDU "
                          "starts at byte {}: NAXISn, PCOUNT or GCOUNT too large",
                          h.data_bytes, next, *x));
          resume = x;
          data_end = *x;
        } else if (x) {
          add("fits.data-size", Severity::error, &h, std::nullopt, "NAXIS",
              fmt::format("{} bytes lie between the end of this HDU's data (byte {}) and the "
                          "next HDU (byte {}): NAXISn, PCOUNT or GCOUNT too small?",
                          *x - next, next, *x));
          resume = x;
        } else {
          add("fits.trailing-bytes", Severity::error, nullptr, std::nullopt, "",
              fmt::format("{} bytes follow the last HDU (from byte {}){}", m_size - next, next,
                          (m_size - next) % k_block_size != 0
                            ? ", not a whole number of 2880-byte blocks"
                            : ": not an extension header"));
          last = true;
        }
      }
    } else {
      last = true;
    }
    bool look_inside = last && next == m_size && h.kind != HduKind::other && h.data_bytes > 0;
    HEMERA_TRY(check_data(h, data_end, look_inside));
    if (look_inside && m_inner_header) {
      add("fits.data-size", Severity::error, &h, std::nullopt, "NAXIS",
          fmt::format("the header declares {} data bytes (to byte {}), but an XTENSION header "
                      "starts at byte {} inside them: NAXISn, PCOUNT or GCOUNT too large",
                      h.data_bytes, next, *m_inner_header));
      resume = m_inner_header;
      last = false;
    }
    if (h.compressed_image && m_options.check_data && m_options.decompress &&
        m_profile.fits_decompress &&
        !m_collector.has_errors()) {
      auto bad = decompress_tiles(m_path, h.number);
      if (!bad) {
        add("fits.compressed-data", Severity::info, &h, std::nullopt, "",
            fmt::format("the compressed tiles were not tested: {}", bad.error().message));
      } else if (*bad) {
        add("fits.compressed-data", Severity::error, &h, std::nullopt, "",
            fmt::format("the compressed image does not decompress (cfitsio): {}", **bad));
      }
    }
    hdus.push_back(hdu_json(h));
    if (last || !resume) {
      break;
    }
    off = *resume;
  }
  if (m_primary_extend_false && number > 1) {
    add("fits.keyword-value", Severity::error, nullptr, std::nullopt, "EXTEND",
        "EXTEND = F in the primary header, but the file has extensions");
  }
  merge_summary(out.summary);
  out.report = m_collector.take();
  out.report.details = {{"hdus", hdus}, {"summary", to_json(out.summary)}};
  return out;
}

}  // namespace

Result<Report> validate(const std::filesystem::path& path, const validate::Profile& profile,
                        const Options& options)
{
  Validator v(path, profile, options);
  return v.run();
}

Result<validate::FileReport> validate_file(const std::filesystem::path& path,
                                           const validate::Profile& profile)
{
  auto r = HEMERA_TRY(validate(path, profile));
  return std::move(r.report);
}

}  // namespace hemera::fits
