// SPDX-License-Identifier: Apache-2.0
// FITS binary and ASCII tables to CSV, and FITS headers to JSON, through
// cfitsio (files opened with fits_open_diskfile: no extended-name syntax).
#include <charconv>
#include <cmath>
#include <memory>

#include <fitsio.h>

#include <fmt/format.h>

#include <hemera/convert/convert.hpp>
#include <hemera/convert/output.hpp>
#include <hemera/fits/card.hpp>

namespace hemera::convert {

namespace {

Error fits_error(int status, const std::string& what, const std::string& path,
                 Errc code = Errc::data)
{
  char text[FLEN_STATUS] = {};
  fits_get_errstatus(status, text);
  fits_clear_errmsg();
  return Error{code, fmt::format("{}: {}", what, text), path, {}, {}};
}

struct Closer {
  void operator()(fitsfile* f) const
  {
    int status = 0;
    fits_close_file(f, &status);
  }
};
using FitsPtr = std::unique_ptr<fitsfile, Closer>;

Result<FitsPtr> open_fits(const std::filesystem::path& in)
{
  fitsfile* f = nullptr;
  int status = 0;
  if (fits_open_diskfile(&f, in.c_str(), READONLY, &status) != 0) {
    if (f != nullptr) {
      int s2 = 0;
      fits_close_file(f, &s2);
    }
    return tl::unexpected(fits_error(status, "cannot open as FITS", in.string()));
  }
  return FitsPtr(f);
}

// One CSV column of a table (a vector cell gives one column per element).
struct TableColumn {
  int col = 0;
  int type = 0;               // cfitsio datatype used to read
  long long repeat = 1;       // elements per cell (strings: 1)
  long long width = 0;        // string width
  std::string header;         // "NAME (unit)"
};

std::string key_text(fitsfile* f, const std::string& key)
{
  char value[FLEN_VALUE] = {};
  int status = 0;
  if (fits_read_key(f, TSTRING, key.c_str(), value, nullptr, &status) != 0) {
    fits_clear_errmsg();
    return {};
  }
  return value;
}

template <typename T>
void append_number(std::string& line, T v)
{
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  line.append(buf, r.ptr);
}

}  // namespace

Result<Report> fits_table_to_csv(const std::filesystem::path& in, const std::filesystem::path& out,
                                 const Options& options)
{
  const std::string where = in.string();
  auto fp = HEMERA_TRY(open_fits(in));
  fitsfile* f = fp.get();
  int status = 0;
  int nhdu = 0;
  if (fits_get_num_hdus(f, &nhdu, &status) != 0) {
    return tl::unexpected(fits_error(status, "cannot count HDUs", where));
  }
  int hdu = 0;
  int hdutype = 0;
  if (options.hdu) {
    if (*options.hdu < 1 || *options.hdu > nhdu) {
      return fail(Errc::usage, fmt::format("--hdu {}: the file has {} HDUs", *options.hdu, nhdu),
                  where, "--hdu");
    }
    hdu = *options.hdu;
    if (fits_movabs_hdu(f, hdu, &hdutype, &status) != 0) {
      return tl::unexpected(fits_error(status, fmt::format("cannot read HDU {}", hdu), where));
    }
    if (hdutype != ASCII_TBL && hdutype != BINARY_TBL) {
      return fail(Errc::usage, fmt::format("HDU {} is not a table", hdu), where, "--hdu");
    }
  } else {
    for (int h = 2; h <= nhdu && hdu == 0; ++h) {
      if (fits_movabs_hdu(f, h, &hdutype, &status) != 0) {
        return tl::unexpected(fits_error(status, fmt::format("cannot read HDU {}", h), where));
      }
      if (hdutype == ASCII_TBL || hdutype == BINARY_TBL) {
        hdu = h;
      }
    }
    if (hdu == 0) {
      return fail(Errc::data, "no table HDU in the file", where);
    }
  }
  int ncols = 0;
  long long nrows = 0;
  if (fits_get_num_cols(f, &ncols, &status) != 0 || fits_get_num_rowsll(f, &nrows, &status) != 0) {
    return tl::unexpected(fits_error(status, "cannot read the table's size", where));
  }
  std::vector<TableColumn> cols;
  std::string head;
  std::size_t csv_columns = 0;
  for (int c = 1; c <= ncols; ++c) {
    int type = 0;
    long long repeat = 0, width = 0;
    if (fits_get_eqcoltypell(f, c, &type, &repeat, &width, &status) != 0) {
      return tl::unexpected(fits_error(status, fmt::format("cannot read column {}", c), where));
    }
    std::string name = key_text(f, fmt::format("TTYPE{}", c));
    if (name.empty()) {
      name = fmt::format("col{}", c);
    }
    std::string unit = key_text(f, fmt::format("TUNIT{}", c));
    auto hold = [&](const std::string& why) {
      return fail(Errc::cant_create,
                  fmt::format("CSV cannot hold column {} ({}): {}", c, name, why), where, name);
    };
    if (type < 0) {
      return hold("a variable-length array");
    }
    TableColumn tc;
    tc.col = c;
    tc.repeat = repeat;
    tc.width = width;
    switch (type) {
    case TSTRING:
      tc.type = TSTRING;
      tc.repeat = 1;
      break;
    case TLOGICAL: tc.type = TLOGICAL; break;
    case TBYTE:
    case TSBYTE:
    case TSHORT:
    case TUSHORT:
    case TINT:
    case TUINT:
    case TLONG:
    case TLONGLONG: tc.type = TLONGLONG; break;
    case TULONGLONG: tc.type = TULONGLONG; break;
    case TFLOAT: tc.type = TFLOAT; break;
    case TDOUBLE: tc.type = TDOUBLE; break;
    case TBIT: return hold("a bit array");
    default: return hold("a complex number");
    }
    csv_columns += static_cast<std::size_t>(tc.repeat);
    if (tc.repeat > 100000 || csv_columns > 100000) {
      return hold("more than 100000 CSV columns");
    }
    std::string label = unit.empty() ? name : fmt::format("{} ({})", name, unit);
    if (tc.repeat == 1) {
      head += (head.empty() ? "" : ",") + csv_field(label);
    } else {
      for (long long k = 1; k <= tc.repeat; ++k) {
        std::string l = unit.empty() ? fmt::format("{}[{}]", name, k)
                                     : fmt::format("{}[{}] ({})", name, k, unit);
        head += (head.empty() ? "" : ",") + csv_field(l);
      }
    }
    tc.header = label;
    cols.push_back(tc);
  }
  auto output = HEMERA_TRY(AtomicOutput::open(out, options.overwrite));
  HEMERA_TRY(output.write(head + "\n"));
  long block = 0;
  if (fits_get_rowsize(f, &block, &status) != 0 || block < 1) {
    block = 1000;
    status = 0;
  }
  block = std::min<long>(block, std::max<long>(1, 1L << 20 / std::max<std::size_t>(csv_columns, 1)));
  std::int64_t values = 0;
  std::vector<std::vector<double>> dbl(cols.size());
  std::vector<std::vector<float>> flt(cols.size());
  std::vector<std::vector<long long>> ll(cols.size());
  std::vector<std::vector<unsigned long long>> ull(cols.size());
  std::vector<std::vector<char>> nul(cols.size()), logical(cols.size());
  std::vector<std::vector<std::string>> str(cols.size());
  std::string text;
  for (long long r0 = 1; r0 <= nrows; r0 += block) {
    long long n = std::min<long long>(block, nrows - r0 + 1);
    for (std::size_t k = 0; k < cols.size(); ++k) {
      const auto& tc = cols[k];
      auto cells = static_cast<std::size_t>(n * tc.repeat);
      nul[k].assign(cells, 0);
      int anynul = 0;
      int rc = 0;
      switch (tc.type) {
      case TSTRING: {
        auto w = static_cast<std::size_t>(std::max<long long>(tc.width, 1)) + 1;
        std::vector<char> storage(w * static_cast<std::size_t>(n), '\0');
        std::vector<char*> ptrs(static_cast<std::size_t>(n));
        for (std::size_t i = 0; i < ptrs.size(); ++i) {
          ptrs[i] = storage.data() + i * w;
        }
        char nulstr[] = "";
        rc = fits_read_col_str(f, tc.col, r0, 1, n, nulstr, ptrs.data(), &anynul, &status);
        str[k].assign(ptrs.begin(), ptrs.end());
        for (auto& s : str[k]) {
          while (!s.empty() && s.back() == ' ') {
            s.pop_back();
          }
        }
        break;
      }
      case TLOGICAL:
        logical[k].assign(cells, 0);
        rc = fits_read_colnull(f, TLOGICAL, tc.col, r0, 1, static_cast<long long>(cells),
                               logical[k].data(), nul[k].data(), &anynul, &status);
        break;
      case TLONGLONG:
        ll[k].assign(cells, 0);
        rc = fits_read_colnull(f, TLONGLONG, tc.col, r0, 1, static_cast<long long>(cells),
                               ll[k].data(), nul[k].data(), &anynul, &status);
        break;
      case TULONGLONG:
        ull[k].assign(cells, 0);
        rc = fits_read_colnull(f, TULONGLONG, tc.col, r0, 1, static_cast<long long>(cells),
                               ull[k].data(), nul[k].data(), &anynul, &status);
        break;
      case TFLOAT:
        flt[k].assign(cells, 0);
        rc = fits_read_colnull(f, TFLOAT, tc.col, r0, 1, static_cast<long long>(cells),
                               flt[k].data(), nul[k].data(), &anynul, &status);
        break;
      default:
        dbl[k].assign(cells, 0);
        rc = fits_read_colnull(f, TDOUBLE, tc.col, r0, 1, static_cast<long long>(cells),
                               dbl[k].data(), nul[k].data(), &anynul, &status);
        break;
      }
      if (rc != 0) {
        return tl::unexpected(fits_error(
          status, fmt::format("cannot read column {} (rows {}-{})", tc.col, r0, r0 + n - 1),
          where));
      }
    }
    text.clear();
    for (long long i = 0; i < n; ++i) {
      bool first = true;
      for (std::size_t k = 0; k < cols.size(); ++k) {
        const auto& tc = cols[k];
        for (long long e = 0; e < tc.repeat; ++e) {
          if (!first) {
            text += ',';
          }
          first = false;
          auto at = static_cast<std::size_t>(i * tc.repeat + e);
          if (tc.type == TSTRING) {
            text += csv_field(str[k][static_cast<std::size_t>(i)]);
            continue;
          }
          if (nul[k][at] != 0) {
            continue;
          }
          ++values;
          switch (tc.type) {
          case TLOGICAL: text += logical[k][at] != 0 ? 'T' : 'F'; break;
          case TLONGLONG: append_number(text, ll[k][at]); break;
          case TULONGLONG: append_number(text, ull[k][at]); break;
          case TFLOAT:
            if (std::isfinite(flt[k][at])) {
              append_number(text, flt[k][at]);
            }
            break;
          default:
            if (std::isfinite(dbl[k][at])) {
              append_number(text, dbl[k][at]);
            }
            break;
          }
        }
      }
      text += '\n';
    }
    HEMERA_TRY(output.write(text));
  }
  HEMERA_TRY(output.commit());
  Report rep;
  rep.input = in.string();
  rep.output = out.string();
  rep.from = Format::fits;
  rep.to = Format::csv;
  rep.rows = nrows;
  rep.values = values;
  std::error_code ec;
  rep.input_bytes = std::filesystem::file_size(in, ec);
  rep.output_bytes = output.bytes();
  return rep;
}

Result<Report> fits_header_to_json(const std::filesystem::path& in,
                                   const std::filesystem::path& out, const Options& options)
{
  const std::string where = in.string();
  auto fp = HEMERA_TRY(open_fits(in));
  fitsfile* f = fp.get();
  int status = 0;
  int nhdu = 0;
  if (fits_get_num_hdus(f, &nhdu, &status) != 0) {
    return tl::unexpected(fits_error(status, "cannot count HDUs", where));
  }
  int first = 1, last = nhdu;
  if (options.hdu) {
    if (*options.hdu < 1 || *options.hdu > nhdu) {
      return fail(Errc::usage, fmt::format("--hdu {}: the file has {} HDUs", *options.hdu, nhdu),
                  where, "--hdu");
    }
    first = last = *options.hdu;
  }
  nlohmann::json hdus = nlohmann::json::array();
  std::int64_t cards_total = 0;
  for (int h = first; h <= last; ++h) {
    int type = 0;
    if (fits_movabs_hdu(f, h, &type, &status) != 0) {
      return tl::unexpected(fits_error(status, fmt::format("cannot read HDU {}", h), where));
    }
    int nkeys = 0, more = 0;
    if (fits_get_hdrspace(f, &nkeys, &more, &status) != 0) {
      return tl::unexpected(fits_error(status, fmt::format("cannot read header {}", h), where));
    }
    nlohmann::json cards = nlohmann::json::array();
    std::string extname;
    for (int k = 1; k <= nkeys; ++k) {
      char rec[FLEN_CARD] = {};
      if (fits_read_record(f, k, rec, &status) != 0) {
        return tl::unexpected(fits_error(status, fmt::format("cannot read card {} of HDU {}", k, h),
                                         where));
      }
      std::vector<fits::CardIssue> issues;
      fits::Card card = fits::parse_card(rec, issues);
      nlohmann::json j;
      j["keyword"] = card.hierarch.empty() ? card.keyword : "HIERARCH " + card.hierarch;
      switch (card.type) {
      case fits::ValueType::none: j["text"] = fits::printable(card.comment); break;
      case fits::ValueType::undefined: j["value"] = nullptr; break;
      case fits::ValueType::string: j["value"] = fits::printable(card.text); break;
      case fits::ValueType::logical: j["value"] = card.logical; break;
      case fits::ValueType::integer:
        j["value"] = card.integer_overflow ? nlohmann::json(card.text) : nlohmann::json(card.integer);
        break;
      case fits::ValueType::real:
        j["value"] = std::isfinite(card.real) ? nlohmann::json(card.real) : nlohmann::json(card.text);
        break;
      default: j["value"] = fits::printable(card.text); break;
      }
      if (card.type != fits::ValueType::none && !card.comment.empty()) {
        j["comment"] = fits::printable(card.comment);
      }
      if (card.keyword == "EXTNAME" && card.type == fits::ValueType::string) {
        extname = card.text;
      }
      cards.push_back(std::move(j));
      ++cards_total;
    }
    nlohmann::json hj = {{"hdu", h},
                         {"type", type == IMAGE_HDU   ? "image"
                                  : type == ASCII_TBL ? "ascii-table"
                                                      : "binary-table"},
                         {"cards", cards}};
    if (!extname.empty()) {
      hj["extname"] = fits::printable(extname);
    }
    hdus.push_back(std::move(hj));
  }
  nlohmann::json doc = {{"format", "fits"}, {"file", in.filename().string()}, {"hdus", hdus}};
  auto output = HEMERA_TRY(AtomicOutput::open(out, options.overwrite));
  HEMERA_TRY(output.write(doc.dump(1) + "\n"));
  HEMERA_TRY(output.commit());
  Report rep;
  rep.input = in.string();
  rep.output = out.string();
  rep.from = Format::fits;
  rep.to = Format::json;
  rep.rows = cards_total;
  std::error_code ec;
  rep.input_bytes = std::filesystem::file_size(in, ec);
  rep.output_bytes = output.bytes();
  return rep;
}

}  // namespace hemera::convert
