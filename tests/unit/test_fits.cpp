// SPDX-License-Identifier: Apache-2.0
// FITS validation: files built here with one defect each, and their exact messages.
#include <doctest/doctest.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <fitsio.h>
#include <fmt/format.h>

#include <hemera/fits/card.hpp>
#include <hemera/fits/checksum.hpp>
#include <hemera/fits/summary.hpp>
#include <hemera/fits/validate.hpp>

using namespace hemera;
using validate::Severity;

namespace {

// One 80-column card from free text.
std::string card(std::string_view text)
{
  std::string c(text.substr(0, 80));
  c.resize(80, ' ');
  return c;
}

// A fixed-format integer or logical card: value right-justified to column 30.
std::string kv(std::string_view key, std::string_view value, std::string_view comment = {})
{
  std::string c = fmt::format("{:<8}= {:>20}", key, value);
  if (!comment.empty()) {
    c += fmt::format(" / {}", comment);
  }
  return card(c);
}

// A string card.
std::string ks(std::string_view key, std::string_view value)
{
  return card(fmt::format("{:<8}= '{:<8}'", key, value));
}

// Builds a FITS file block by block.
struct Builder {
  std::string bytes;

  // Append a header made of `cards`, END (unless `end` is false) and blank fill.
  Builder& header(const std::vector<std::string>& cards, bool end = true)
  {
    std::string h;
    for (const auto& c : cards) {
      h += c;
    }
    if (end) {
      h += card("END");
    }
    h.resize((h.size() + 2879) / 2880 * 2880, ' ');
    bytes += h;
    return *this;
  }

  // Append a data unit and its zero fill.
  Builder& data(const std::string& d, char fill = '\0')
  {
    std::string x = d;
    x.resize((x.size() + 2879) / 2880 * 2880, fill);
    bytes += x;
    return *this;
  }

  // Write the file at `path`.
  std::filesystem::path write(const std::string& path) const
  {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    return path;
  }
};

std::vector<std::string> primary_empty()
{
  return {kv("SIMPLE", "T"), kv("BITPIX", "8"), kv("NAXIS", "0"), kv("EXTEND", "T")};
}

// A big-endian double.
std::string be_double(double v)
{
  std::uint64_t u = 0;
  std::memcpy(&u, &v, 8);
  u = __builtin_bswap64(u);
  std::string s(8, '\0');
  std::memcpy(s.data(), &u, 8);
  return s;
}

// A binary table header with one 1D column and `rows` rows.
std::vector<std::string> table_header(std::int64_t rows, std::string_view name = "EVENTS")
{
  return {ks("XTENSION", "BINTABLE"), kv("BITPIX", "8"),   kv("NAXIS", "2"),
          kv("NAXIS1", "8"),          kv("NAXIS2", std::to_string(rows)),
          kv("PCOUNT", "0"),          kv("GCOUNT", "1"),   kv("TFIELDS", "1"),
          ks("TTYPE1", "TIME"),       ks("TFORM1", "1D"),  ks("EXTNAME", name)};
}

std::string table_rows(int rows)
{
  std::string d;
  for (int i = 0; i < rows; ++i) {
    d += be_double(1.0 + i);
  }
  return d;
}

std::vector<std::string> image_ext(std::string_view name = "SCI")
{
  return {ks("XTENSION", "IMAGE"), kv("BITPIX", "16"), kv("NAXIS", "0"), kv("PCOUNT", "0"),
          kv("GCOUNT", "1"), ks("EXTNAME", name)};
}

fits::Report check(const std::filesystem::path& p)
{
  auto r = fits::validate(p, validate::Profile::strict());
  REQUIRE(r);
  return std::move(*r);
}

// Return the findings of a report as text lines.
std::vector<std::string> lines(const fits::Report& r)
{
  std::vector<std::string> out;
  for (const auto& f : r.report.findings) {
    out.push_back(validate::to_text(f));
  }
  return out;
}

std::string joined(const fits::Report& r)
{
  std::string s;
  for (const auto& l : lines(r)) {
    s += l + "\n";
  }
  return s;
}

// Write a 2-HDU file with cfitsio (image + table), with CHECKSUM/DATASUM.
std::filesystem::path cfitsio_file(const std::string& path)
{
  std::filesystem::remove(path);
  fitsfile* f = nullptr;
  int status = 0;
  fits_create_file(&f, path.c_str(), &status);
  long naxes[2] = {300, 200};
  fits_create_img(f, SHORT_IMG, 2, naxes, &status);
  std::vector<short> pix(300 * 200);
  for (std::size_t i = 0; i < pix.size(); ++i) {
    pix[i] = static_cast<short>(i * 7 % 3001);
  }
  fits_write_img(f, TSHORT, 1, static_cast<LONGLONG>(pix.size()), pix.data(), &status);
  char object[] = "OBJECT";
  char m31[] = "M31";
  fits_write_key(f, TSTRING, object, m31, nullptr, &status);
  fits_write_chksum(f, &status);
  char* ttype[] = {const_cast<char*>("TIME"), const_cast<char*>("FLAG"), const_cast<char*>("NAME")};
  char* tform[] = {const_cast<char*>("1D"), const_cast<char*>("1L"), const_cast<char*>("8A")};
  char* tunit[] = {const_cast<char*>("s"), const_cast<char*>(""), const_cast<char*>("")};
  char extname[] = "EVENTS";
  fits_create_tbl(f, BINARY_TBL, 0, 3, ttype, tform, tunit, extname, &status);
  std::vector<double> t(1000);
  std::vector<char> flags(1000);
  std::vector<std::string> names(1000, "star");
  std::vector<char*> name_ptrs;
  for (std::size_t i = 0; i < t.size(); ++i) {
    t[i] = 0.5 * static_cast<double>(i);
    flags[i] = static_cast<char>(i % 2);
    name_ptrs.push_back(names[i].data());
  }
  fits_write_col(f, TDOUBLE, 1, 1, 1, 1000, t.data(), &status);
  fits_write_col(f, TLOGICAL, 2, 1, 1, 1000, flags.data(), &status);
  fits_write_col(f, TSTRING, 3, 1, 1, 1000, name_ptrs.data(), &status);
  fits_write_chksum(f, &status);
  fits_close_file(f, &status);
  REQUIRE(status == 0);
  return path;
}

// Flip one bit of the file at byte `off`.
void flip_bit(const std::filesystem::path& p, std::uint64_t off)
{
  std::fstream f(p, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(off));
  char c = 0;
  f.read(&c, 1);
  c = static_cast<char>(c ^ 0x10);
  f.seekp(static_cast<std::streamoff>(off));
  f.write(&c, 1);
}

}  // namespace

TEST_SUITE("fits::card")
{
  TEST_CASE("values, comments and columns")
  {
    std::vector<fits::CardIssue> issues;
    auto c = fits::parse_card(kv("NAXIS1", "100", "width"), issues);
    CHECK(issues.empty());
    CHECK(c.keyword == "NAXIS1");
    CHECK(c.type == fits::ValueType::integer);
    CHECK(c.integer == 100);
    CHECK(c.value_last == 30);
    CHECK(c.comment == "width");

    c = fits::parse_card(card("OBJECT  = 'O''Hara  '  / name"), issues);
    CHECK(c.type == fits::ValueType::string);
    CHECK(c.text == "O'Hara");
    CHECK(c.value_first == 11);

    c = fits::parse_card(card("BSCALE  =              1.5D-03"), issues);
    CHECK(c.type == fits::ValueType::real);
    CHECK(c.real == doctest::Approx(1.5e-3));
    c = fits::parse_card(card("CVAL    = (1.0, -2)"), issues);
    CHECK(c.type == fits::ValueType::complex);
    c = fits::parse_card(card("EMPTY   =                      / nothing"), issues);
    CHECK(c.type == fits::ValueType::undefined);
    c = fits::parse_card(card("HISTORY = not a value"), issues);
    CHECK(c.type == fits::ValueType::none);
    c = fits::parse_card(card("CONTINUE  'more&'"), issues);
    CHECK(c.is_continue);
    CHECK(c.text == "more&");
    CHECK(issues.empty());
  }

  TEST_CASE("syntax problems are named")
  {
    std::vector<fits::CardIssue> issues;
    fits::parse_card(card("date-obs= '2020-01-01'"), issues);
    REQUIRE(issues.size() == 1);
    CHECK(issues[0].message ==
          "keyword name 'date-obs' contains a lower-case letter: only A-Z, 0-9, '-' and '_' are "
          "allowed");
    issues.clear();
    fits::parse_card(card("OBJECT  = 'M31"), issues);
    REQUIRE(issues.size() == 1);
    CHECK(issues[0].message == "the string value of OBJECT has no closing quote");
    issues.clear();
    fits::parse_card(card("EXPTIME =               1.5e3"), issues);
    REQUIRE(issues.size() == 1);
    CHECK(issues[0].message == "the value of EXPTIME ('1.5e3') has a lower-case exponent: write E or D");
    issues.clear();
    fits::parse_card(card("EXPTIME =                 12 s"), issues);
    REQUIRE(issues.size() == 1);
    CHECK(issues[0].message == "text after the value of EXPTIME does not start with '/': 's'");
    issues.clear();
    fits::parse_card(card("FLAG    = yes"), issues);
    REQUIRE(issues.size() == 1);
    CHECK(issues[0].rule == "fits.value-syntax");
  }

  TEST_CASE("hostile bytes never read past the record")
  {
    std::vector<fits::CardIssue> issues;
    std::string junk(80, '\xFF');
    auto c = fits::parse_card(junk, issues);
    CHECK(!issues.empty());
    fits::parse_card("SIMPLE  = '", issues);  // short input is blank-padded
    CHECK(fits::printable("a\tb\xC3") == "a\\x09b\\xC3");
  }
}

TEST_SUITE("fits::checksum")
{
  TEST_CASE("the ones'-complement sum agrees with cfitsio")
  {
    auto p = cfitsio_file("sums.fits");
    fitsfile* f = nullptr;
    int status = 0;
    fits_open_file(&f, p.c_str(), READONLY, &status);
    for (int hdu = 1; hdu <= 2; ++hdu) {
      int type = 0;
      fits_movabs_hdu(f, hdu, &type, &status);
      unsigned long datasum = 0;
      unsigned long hdusum = 0;
      fits_get_chksum(f, &datasum, &hdusum, &status);
      LONGLONG head = 0;
      LONGLONG data = 0;
      LONGLONG end = 0;
      fits_get_hduaddrll(f, &head, &data, &end, &status);
      std::ifstream in(p, std::ios::binary);
      in.seekg(data);
      std::string bytes(static_cast<std::size_t>(end - data), '\0');
      in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
      auto acc = fits::add_words(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), 0);
      CHECK(fits::fold_sum(acc) == datasum);
    }
    fits_close_file(f, &status);
    CHECK(status == 0);
    // A cfitsio-written file validates clean.
    auto r = check(p);
    CHECK(joined(r) == "");
    CHECK(fits::parse_datasum("4294967295") == 4294967295U);
    CHECK(!fits::parse_datasum("4294967296"));
    CHECK(!fits::parse_datasum("12a"));
  }

  TEST_CASE("carries fold back in above 4 GiB of words")
  {
    CHECK(fits::fold_sum(0x1FFFFFFFEULL) == 0xFFFFFFFFU);
    CHECK(fits::add_sums(0xFFFFFFFFU, 1) == 1U);
    unsigned char ff[8] = {0xFF, 0xFF, 0xFF, 0xFF, 0x00, 0x00, 0x00, 0x02};
    CHECK(fits::fold_sum(fits::add_words(ff, 8, 0)) == 2U);
  }
}

TEST_SUITE("fits::validate")
{
  TEST_CASE("a flipped data bit under DATASUM is an error naming both sums")
  {
    auto p = cfitsio_file("flip.fits");
    // The image data start after the primary header (2 blocks with the checksum cards? read it).
    auto clean = check(p);
    auto data_offset = clean.report.details["hdus"][0]["data_offset"].get<std::uint64_t>();
    flip_bit(p, data_offset + 1000);
    auto r = check(p);
    auto l = lines(r);
    REQUIRE(l.size() == 1);
    CHECK(l[0].find("flip.fits: HDU 1: record ") == 0);
    CHECK(l[0].find(": error: DATASUM = '") != std::string::npos);
    CHECK(l[0].find("' but the data unit sums to ") != std::string::npos);
    CHECK(l[0].find(": the data changed after the sum was written [fits.datasum]") != std::string::npos);
    CHECK(!r.report.passes(validate::Profile::strict()));
    // The other HDU is still checked and clean.
    CHECK(r.report.details["hdus"].size() == 2);
  }

  TEST_CASE("a changed header card is a CHECKSUM error, not a DATASUM one")
  {
    auto p = cfitsio_file("hdr.fits");
    std::fstream f(p, std::ios::in | std::ios::out | std::ios::binary);
    std::string head(2880, '\0');
    f.read(head.data(), 2880);
    auto at = head.find("'M31 ");
    REQUIRE(at != std::string::npos);
    f.seekp(static_cast<std::streamoff>(at + 3));
    f.write("2", 1);
    f.close();
    auto l = lines(check(p));
    REQUIRE(l.size() == 1);
    CHECK(l[0].find("does not match although DATASUM does: the header changed after the "
                    "checksum was written [fits.checksum]") != std::string::npos);
  }

  TEST_CASE("missing END")
  {
    Builder b;
    b.header(primary_empty(), false);
    auto r = check(b.write("noend.fits"));
    CHECK(joined(r) ==
          "noend.fits: HDU 1: error: no END card: the file ends at byte 2880 inside the header "
          "[fits.end-missing]\n");

    Builder b2;
    b2.header(primary_empty());
    b2.header({ks("XTENSION", "IMAGE"), kv("BITPIX", "16"), kv("NAXIS", "1"), kv("NAXIS1", "1440"),
               kv("PCOUNT", "0"), kv("GCOUNT", "1")},
              false);
    b2.data(std::string(2880, '\x01'));
    auto r2 = check(b2.write("noend2.fits"));
    CHECK(joined(r2) == "noend2.fits: HDU 2: error: no END card: the header stops at byte 5760, "
                        "where the next block does not hold keyword records [fits.end-missing]\n");
  }

  TEST_CASE("truncated data")
  {
    Builder b;
    b.header({kv("SIMPLE", "T"), kv("BITPIX", "16"), kv("NAXIS", "2"), kv("NAXIS1", "100"),
              kv("NAXIS2", "100")});
    b.data(std::string(20000, '\x02'));
    b.bytes.resize(2880 + 8640);
    auto r = check(b.write("cut.fits"));
    CHECK(joined(r) == "cut.fits: HDU 1: error: the file is truncated: the header declares 20000 "
                       "data bytes, only 8640 are present (file ends at byte 11520) "
                       "[fits.truncated]\n");
  }

  TEST_CASE("NAXIS2 larger than the data")
  {
    Builder b;
    b.header(primary_empty());
    b.header(table_header(720)).data(table_rows(360));
    b.header(image_ext());
    auto r = check(b.write("big.fits"));
    CHECK(joined(r) == "big.fits: HDU 2 (EVENTS): error: the header declares 5760 data bytes (to "
                       "byte 11520), but an XTENSION header starts at byte 8640 inside them: "
                       "NAXISn, PCOUNT or GCOUNT too large [fits.data-size]\n");
    // HDU 3 is still found and reported.
    REQUIRE(r.report.details["hdus"].size() == 3);
    CHECK(r.report.details["hdus"][2]["name"] == "SCI");

    Builder last;
    last.header(primary_empty());
    last.header(table_header(720)).data(table_rows(360));
    auto r2 = check(last.write("big2.fits"));
    CHECK(joined(r2) == "big2.fits: HDU 2 (EVENTS): error: the file is truncated: the header "
                        "declares 5760 data bytes, only 2880 are present (file ends at byte "
                        "8640) [fits.truncated]\n");
  }

  TEST_CASE("NAXIS2 smaller than the data")
  {
    Builder b;
    b.header(primary_empty());
    b.header(table_header(300)).data(table_rows(360));
    auto r = check(b.write("small.fits"));
    CHECK(joined(r) == "small.fits: HDU 2 (EVENTS): error: the data fill after the last 2400 data "
                       "bytes is not all zeros: 176 bad byte(s), the first (0x40) at byte 8160 "
                       "[fits.data-fill]\n");

    Builder b2;
    b2.header(primary_empty());
    b2.header(table_header(300)).data(table_rows(720));
    b2.header(image_ext());
    auto r2 = check(b2.write("small2.fits"));
    CHECK(joined(r2) == "small2.fits: HDU 2 (EVENTS): error: 2880 bytes lie between the end of "
                        "this HDU's data (byte 8640) and the next HDU (byte 11520): NAXISn, "
                        "PCOUNT or GCOUNT too small? [fits.data-size]\n"
                        "small2.fits: HDU 2 (EVENTS): error: the data fill after the last 2400 "
                        "data bytes is not all zeros: 176 bad byte(s), the first (0x40) at byte "
                        "8160 [fits.data-fill]\n");
    CHECK(r2.report.details["hdus"].size() == 3);
  }

  TEST_CASE("missing GCOUNT")
  {
    Builder b;
    b.header(primary_empty());
    b.header({ks("XTENSION", "IMAGE"), kv("BITPIX", "16"), kv("NAXIS", "1"), kv("NAXIS1", "10"),
              kv("PCOUNT", "0"), ks("EXTNAME", "SCI")})
      .data(std::string(20, '\0'));
    auto r = check(b.write("nogcount.fits"));
    CHECK(joined(r) == "nogcount.fits: HDU 2 (SCI): record 6: error: mandatory keyword GCOUNT "
                       "missing (expected at record 6, found EXTNAME) [fits.keyword-missing]\n");
  }

  TEST_CASE("PCOUNT and GCOUNT swapped")
  {
    Builder b;
    b.header(primary_empty());
    auto h = table_header(2);
    std::swap(h[5], h[6]);
    b.header(h).data(table_rows(2));
    auto r = check(b.write("obs.fits"));
    CHECK(joined(r) ==
          "obs.fits: HDU 2 (EVENTS): record 6: error: PCOUNT expected, found GCOUNT [fits.keyword-order]\n"
          "obs.fits: HDU 2 (EVENTS): record 7: error: GCOUNT expected, found PCOUNT [fits.keyword-order]\n");
    CHECK(r.report.findings[0].location.keyword == "PCOUNT");
  }

  TEST_CASE("a tab in a string value")
  {
    Builder b;
    auto h = primary_empty();
    h.push_back(card("OBJECT  = 'M31\tdisk'"));
    b.header(h);
    auto r = check(b.write("tab.fits"));
    CHECK(joined(r) == "tab.fits: HDU 1: record 5: error: tab character (0x09) at column 15 in "
                       "the string value of OBJECT: header records may hold only printable ASCII "
                       "(32-126) [fits.card-chars]\n");
  }

  TEST_CASE("UTF-8 in a value")
  {
    Builder b;
    auto h = primary_empty();
    h.push_back(card("OBSERVER= 'J\xC3\xA9r\xC3\xB4me'"));
    b.header(h);
    auto r = check(b.write("utf8.fits"));
    CHECK(joined(r) == "utf8.fits: HDU 1: record 5: error: UTF-8 character (bytes C3 A9) at "
                       "column 13 in the string value of OBSERVER: header records may hold only "
                       "printable ASCII (32-126) [fits.card-chars]\n");
    // The summary escapes the bytes, so JSON output cannot fail.
    CHECK(r.summary.file.observer == "J\\xC3\\xA9r\\xC3\\xB4me");
    CHECK_NOTHROW((void)r.report.details.dump());
  }

  TEST_CASE("a bad header still lets later HDUs be reported")
  {
    Builder b;
    b.header(primary_empty());
    b.header({ks("XTENSION", "IMAGE"), kv("BITPIX", "12"), kv("NAXIS", "1"), kv("NAXIS1", "10"),
              kv("PCOUNT", "0"), kv("GCOUNT", "1"), ks("EXTNAME", "BAD")})
      .data(std::string(20, '\0'));
    b.header(image_ext("GOOD"));
    b.header(image_ext("GOOD"));
    auto r = check(b.write("resync.fits"));
    CHECK(joined(r) == "resync.fits: HDU 2 (BAD): record 2: error: BITPIX = 12 is not one of 8, "
                       "16, 32, 64, -32, -64 [fits.keyword-value]\n"
                       "resync.fits: HDU 2 (BAD): error: the data size is unknown (bad mandatory "
                       "keywords); resuming at the next XTENSION header, byte 8640 "
                       "[fits.data-size]\n"
                       "resync.fits: HDU 4 (GOOD): record 6: warning: HDU 4 has the same type, "
                       "EXTNAME and EXTVER (1) as HDU 3 [fits.hdu-duplicate]\n");
    REQUIRE(r.report.details["hdus"].size() == 4);
    CHECK(r.report.details["hdus"][2]["name"] == "GOOD");
  }

  TEST_CASE("bytes after the last HDU")
  {
    Builder b;
    b.header(primary_empty());
    b.bytes += "garbage";
    auto r = check(b.write("tail.fits"));
    CHECK(joined(r) == "tail.fits: error: 7 bytes follow the last HDU (from byte 2880), not a "
                       "whole number of 2880-byte blocks [fits.trailing-bytes]\n");
  }

  TEST_CASE("table contents: logicals and VLA descriptors")
  {
    Builder b;
    b.header(primary_empty());
    b.header({ks("XTENSION", "BINTABLE"), kv("BITPIX", "8"), kv("NAXIS", "2"), kv("NAXIS1", "9"),
              kv("NAXIS2", "3"), kv("PCOUNT", "4"), kv("GCOUNT", "1"), kv("TFIELDS", "2"),
              ks("TFORM1", "1L"), ks("TFORM2", "1PB(4)"), ks("EXTNAME", "T")});
    std::string d;
    auto row = [&d](char l, std::uint32_t n, std::uint32_t off) {
      d += l;
      std::uint32_t a = __builtin_bswap32(n);
      std::uint32_t o = __builtin_bswap32(off);
      d.append(reinterpret_cast<const char*>(&a), 4);
      d.append(reinterpret_cast<const char*>(&o), 4);
    };
    row('T', 2, 0);
    row('x', 2, 2);
    row('F', 3, 2);  // runs past the 4-byte heap
    d += "abcd";
    b.data(d);
    auto r = check(b.write("tbl.fits"));
    CHECK(joined(r) ==
          "tbl.fits: HDU 2 (T): error: column 1: row 2: logical value 0x78 is not 'T', 'F' or 0 "
          "[fits.logical-value]\n"
          "tbl.fits: HDU 2 (T): error: column 2: row 3: descriptor (3 elements at heap offset 2) "
          "runs past the heap (4 bytes) [fits.vla-descriptor]\n");
  }

  TEST_CASE("the header summary for ingestion")
  {
    Builder b;
    auto h = primary_empty();
    h.push_back(ks("TELESCOP", "PILOT"));
    h.push_back(ks("INSTRUME", "BOLO"));
    h.push_back(ks("OBJECT", "Crab"));
    h.push_back(ks("DATE-OBS", "2021-06-18T04:00:00"));
    h.push_back(ks("DATE-END", "2021-06-18T06:00:00"));
    h.push_back(kv("MJD-OBS", "59383.1666667"));
    h.push_back(kv("EXPTIME", "7200.0"));
    h.push_back(ks("RA", "05:34:31.94"));
    h.push_back(ks("DEC", "+22:00:52.2"));
    h.push_back(kv("OBSGEO-X", "4633163.0"));
    h.push_back(kv("OBSGEO-Y", "391290.0"));
    h.push_back(kv("OBSGEO-Z", "4351130.0"));
    b.header(h);
    auto path = b.write("sum.fits");
    auto s = fits::summary(path);
    REQUIRE(s);
    const auto& f = s->file;
    CHECK(f.telescope == "PILOT");
    CHECK(f.instrument == "BOLO");
    CHECK(f.object == "Crab");
    CHECK(f.date_obs == "2021-06-18T04:00:00");
    CHECK(f.date_end == "2021-06-18T06:00:00");
    CHECK(*f.mjd_obs == doctest::Approx(59383.1666667));
    CHECK(*f.exptime == doctest::Approx(7200.0));
    REQUIRE(f.sky);
    CHECK(f.sky->ra_deg == doctest::Approx(83.633083).epsilon(1e-6));
    CHECK(f.sky->dec_deg == doctest::Approx(22.0145).epsilon(1e-6));
    REQUIRE(f.site);
    CHECK(f.site->latitude_deg == doctest::Approx(43.3).epsilon(1e-3));
    CHECK(f.site->longitude_deg == doctest::Approx(4.8269).epsilon(1e-3));
    auto j = fits::to_json(*s);
    CHECK(j["file"]["site"]["source"] == "OBSGEO-X/Y/Z");

    CHECK(fits::parse_angle("-12:30:00", false) == doctest::Approx(-12.5));
    CHECK(fits::parse_angle("1 00 00", true) == doctest::Approx(15.0));
    CHECK(!fits::parse_angle("north", false));
  }

  TEST_CASE("dates: ISO 8601, the pre-1999 form, and nonsense")
  {
    Builder b;
    auto h = primary_empty();
    h.push_back(ks("DATE", "2020-02-29"));
    h.push_back(ks("DATE-OBS", "2021-06-18T04:05:06.25"));
    h.push_back(ks("DATE-END", "2021-02-29"));
    h.push_back(ks("DATE-BEG", "2021-06-18T24:00:00"));
    h.push_back(ks("DATE-AVG", "03/09/96"));
    h.push_back(ks("DATEREF", "27/ 5/84"));
    b.header(h);
    auto r = check(b.write("dates.fits"));
    CHECK(joined(r) ==
          "dates.fits: HDU 1: record 7: error: DATE-END = '2021-02-29' is not a date: write "
          "YYYY-MM-DD[Thh:mm:ss[.sss]] (ISO 8601, FITS 4.0 section 4.4.2.1) [fits.date-format]\n"
          "dates.fits: HDU 1: record 8: error: DATE-BEG = '2021-06-18T24:00:00' is not a date: "
          "write YYYY-MM-DD[Thh:mm:ss[.sss]] (ISO 8601, FITS 4.0 section 4.4.2.1) "
          "[fits.date-format]\n"
          "dates.fits: HDU 1: record 9: warning: DATE-AVG = '03/09/96' uses the DD/MM/YY form of "
          "files written before 1999: new files must use YYYY-MM-DD (FITS 4.0 section 4.4.2.1) "
          "[fits.date-old]\n"
          "dates.fits: HDU 1: record 10: error: DATEREF = '27/ 5/84' is not a date: write "
          "YYYY-MM-DD[Thh:mm:ss[.sss]] (ISO 8601, FITS 4.0 section 4.4.2.1) [fits.date-format]\n");
  }

  TEST_CASE("reserved keywords: types, placement, fixed format, checksum syntax, WCS order")
  {
    Builder b;
    auto h = primary_empty();
    h[1] = card("BITPIX  =   8");  // not right-justified to column 30
    h.push_back(kv("EXTNAME", "5"));
    h.push_back(ks("CHECKSUM", "abc"));
    h.push_back(kv("CRVAL1", "10.0"));
    h.push_back(kv("WCSAXES", "2"));
    h.push_back(kv("CDELT1", "0.0"));
    h.push_back(ks("TIMESYS", "UTC"));
    h.push_back(ks("TIMEUNIT", "s"));
    h.push_back(ks("TIMESYS", "JST"));
    b.header(h);
    auto th = table_header(1, "T");
    th.push_back(ks("BUNIT", "Jy"));
    b.header(th).data(table_rows(1));
    auto r = check(b.write("keys.fits"));
    CHECK(joined(r) ==
          "keys.fits: HDU 1: record 2: error: the value of BITPIX must be right-justified to column "
          "30 (fixed format); it ends in column 13 [fits.fixed-format]\n"
          "keys.fits: HDU 1: record 5: error: EXTNAME must be a string, found an integer "
          "[fits.keyword-type]\n"
          "keys.fits: HDU 1: record 6: error: CHECKSUM = 'abc' is not 16 characters of the "
          "checksum encoding [fits.checksum-syntax]\n"
          "keys.fits: HDU 1: record 8: error: WCSAXES must precede the other WCS keywords, but "
          "CRVAL1 comes first (record 7) [fits.wcs-order]\n"
          "keys.fits: HDU 1: record 9: error: CDELT1 = 0: a WCS axis cannot have a zero increment "
          "[fits.wcs]\n"
          "keys.fits: HDU 1: record 12: warning: TIMESYS appears again (first at record 10) "
          "[fits.keyword-duplicate]\n"
          "keys.fits: HDU 1: record 12: error: TIMESYS = 'JST' is not a time scale of FITS 4.0 "
          "(TAI, TT, UTC, UT1, TCG, TCB, TDB, GPS, LOCAL, or the older TDT, ET, IAT, GMT, UT()) "
          "[fits.time]\n"
          "keys.fits: HDU 2 (T): record 12: error: BUNIT is an image keyword, not allowed in a "
          "table [fits.keyword-placement]\n");
  }

  TEST_CASE("columns: TFORM, NAXIS1, TDISP, THEAP, index beyond TFIELDS")
  {
    Builder b;
    b.header(primary_empty());
    b.header({ks("XTENSION", "BINTABLE"), kv("BITPIX", "8"), kv("NAXIS", "2"), kv("NAXIS1", "10"),
              kv("NAXIS2", "1"), kv("PCOUNT", "0"), kv("GCOUNT", "1"), kv("TFIELDS", "2"),
              ks("TFORM1", "1D"), ks("TFORM2", "1J"), ks("TDISP1", "I12"), ks("TTYPE3", "X"),
              kv("THEAP", "100")})
      .data(std::string(10, '\0'));
    auto r = check(b.write("cols.fits"));
    CHECK(joined(r) ==
          "cols.fits: HDU 2: record 13: error: THEAP is set but PCOUNT = 0 (no heap) "
          "[fits.keyword-placement]\n"
          "cols.fits: HDU 2: record 12: error: TTYPE3: column 3 does not exist (TFIELDS = 2) "
          "[fits.column-index]\n"
          "cols.fits: HDU 2: record 11: error: TDISP1 = 'I12' (an integer format) cannot be used "
          "for TFORM '1D' [fits.tdisp]\n"
          "cols.fits: HDU 2: record 4: error: NAXIS1 = 10 but the columns (TFORMn) add up to 12 "
          "bytes [fits.naxis1]\n"
          "cols.fits: HDU 2: record 13: error: THEAP = 100 is outside NAXIS1 x NAXIS2 (10) to "
          "NAXIS1 x NAXIS2 + PCOUNT (10) [fits.theap]\n");
  }

  TEST_CASE("a heap gap is legal; an ASCII table is checked row by row")
  {
    Builder b;
    b.header(primary_empty());
    // One 1PB column, 2 rows of 8 bytes = 16; THEAP 20 leaves a 4-byte gap; heap 3 bytes.
    std::string d;
    auto desc = [&d](std::uint32_t n, std::uint32_t off) {
      std::uint32_t a = __builtin_bswap32(n);
      std::uint32_t o = __builtin_bswap32(off);
      d.append(reinterpret_cast<const char*>(&a), 4);
      d.append(reinterpret_cast<const char*>(&o), 4);
    };
    desc(1, 0);
    desc(2, 1);
    d += std::string(4, '\0');
    d += "abc";
    b.header({ks("XTENSION", "BINTABLE"), kv("BITPIX", "8"), kv("NAXIS", "2"), kv("NAXIS1", "8"),
              kv("NAXIS2", "2"), kv("PCOUNT", "7"), kv("GCOUNT", "1"), kv("TFIELDS", "1"),
              ks("TFORM1", "1PB(2)"), kv("THEAP", "20")})
      .data(d);
    // Rows: fine, a control byte, the TNULL1 null field, an embedded blank.
    b.header({ks("XTENSION", "TABLE"), kv("BITPIX", "8"), kv("NAXIS", "2"), kv("NAXIS1", "6"),
              kv("NAXIS2", "4"), kv("PCOUNT", "0"), kv("GCOUNT", "1"), kv("TFIELDS", "1"),
              ks("TFORM1", "I6"), kv("TBCOL1", "1"), ks("TNULL1", "*"), ks("EXTNAME", "ASC")})
      .data("    12\x01   34     *  1 2 ", ' ');
    auto r = check(b.write("heap.fits"));
    CHECK(joined(r) == "heap.fits: HDU 3 (ASC): error: row 2: byte 0x01 at row byte 1 is not "
                       "printable ASCII [fits.ascii-table]\n"
                       "heap.fits: HDU 3 (ASC): error: column 1: row 2: '\\x01   34' is not an "
                       "integer (TFORM1 = 'I6') (2 rows in all) [fits.ascii-number]\n");
  }

  TEST_CASE("random groups: PTYPEn counted against PCOUNT")
  {
    Builder b;
    b.header({kv("SIMPLE", "T"), kv("BITPIX", "-32"), kv("NAXIS", "2"), kv("NAXIS1", "0"),
              kv("NAXIS2", "3"), kv("GROUPS", "T"), kv("PCOUNT", "2"), kv("GCOUNT", "4"),
              ks("PTYPE1", "UU"), ks("PTYPE2", "VV"), ks("PTYPE3", "WW")})
      .data(std::string(4 * 4 * (2 + 3), '\0'));
    auto r = check(b.write("groups.fits"));
    CHECK(joined(r) == "groups.fits: HDU 1: record 11: error: PTYPE3: index 3 is outside "
                       "1-PCOUNT (2) [fits.column-index]\n");
    CHECK(r.report.details["hdus"][0]["type"] == "random-groups");
    CHECK(r.report.details["hdus"][0]["data_bytes"] == 80);
  }

  TEST_CASE("tile-compressed images are decompressed with cfitsio")
  {
    const std::string path = "rice.fits";
    std::filesystem::remove(path);
    fitsfile* f = nullptr;
    int status = 0;
    fits_create_file(&f, path.c_str(), &status);
    fits_set_compression_type(f, RICE_1, &status);
    long naxes[2] = {200, 100};
    fits_create_img(f, SHORT_IMG, 2, naxes, &status);
    std::vector<short> pix(200 * 100);
    for (std::size_t i = 0; i < pix.size(); ++i) {
      pix[i] = static_cast<short>((i * 37) % 1000);
    }
    fits_write_img(f, TSHORT, 1, static_cast<LONGLONG>(pix.size()), pix.data(), &status);
    fits_close_file(f, &status);
    REQUIRE(status == 0);
    auto clean = check(path);
    CHECK(joined(clean) == "");
    CHECK(clean.report.details["hdus"][1]["type"] == "compressed-image");
    // Garble the middle of the heap (after the 100 descriptors of 8 bytes).
    auto heap = clean.report.details["hdus"][1]["data_offset"].get<std::uint64_t>() + 100 * 8 + 3000;
    {
      std::fstream io(path, std::ios::in | std::ios::out | std::ios::binary);
      io.seekp(static_cast<std::streamoff>(heap));
      std::string junk(2000, '\xFF');
      io.write(junk.data(), static_cast<std::streamsize>(junk.size()));
    }
    // Off by default (fitsverify does not decompress either); on by policy.
    CHECK(joined(check(path)) == "");
    auto profile = validate::Profile::strict();
    profile.fits_decompress = true;
    auto rr = fits::validate(path, profile);
    REQUIRE(rr);
    auto l = lines(*rr);
    REQUIRE(l.size() == 1);
    CHECK(l[0].find("rice.fits: HDU 2: error: the compressed image does not decompress (cfitsio): "
                    "pixels ") == 0);
    CHECK(l[0].find("[fits.compressed-data]") != std::string::npos);
  }

  TEST_CASE("a non-FITS file is one finding")
  {
    std::ofstream("text.fits") << "hello\n";
    auto r = check("text.fits");
    CHECK(joined(r) == "text.fits: error: not a FITS file: it does not start with the card "
                       "'SIMPLE  = ' [fits.not-fits]\n");
  }
}
