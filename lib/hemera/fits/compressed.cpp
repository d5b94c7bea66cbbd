// SPDX-License-Identifier: Apache-2.0
// cfitsio is opened with dlopen on first use: linking it would load its curl,
// GnuTLS and Kerberos dependencies into every run, which costs more start-up
// time than validating a small file.
#include <hemera/fits/compressed.hpp>

#include <dlfcn.h>
#include <mutex>
#include <vector>

#include <fitsio.h>
#include <fmt/format.h>

namespace hemera::fits {

using validate::Severity;

void check_compressed_keywords(const std::function<const Card*(const std::string&)>& lookup,
                               const CompressedSink& sink)
{
  auto need_int = [&](const std::string& key) -> std::optional<std::int64_t> {
    const Card* c = lookup(key);
    if (c == nullptr) {
      sink("fits.compressed", Severity::error, nullptr, key,
           fmt::format("{} missing: a tile-compressed image (ZIMAGE = T) needs it", key));
      return std::nullopt;
    }
    if (c->type != ValueType::integer) {
      sink("fits.compressed", Severity::error, c, key,
           fmt::format("{} must be an integer, found {}", key, value_type_name(c->type)));
      return std::nullopt;
    }
    return c->integer;
  };
  if (auto b = need_int("ZBITPIX")) {
    if (*b != 8 && *b != 16 && *b != 32 && *b != 64 && *b != -32 && *b != -64) {
      sink("fits.compressed", Severity::error, lookup("ZBITPIX"), "ZBITPIX",
           fmt::format("ZBITPIX = {} is not one of 8, 16, 32, 64, -32, -64", *b));
    }
  }
  auto n = need_int("ZNAXIS");
  if (n && (*n < 0 || *n > 999)) {
    sink("fits.compressed", Severity::error, lookup("ZNAXIS"), "ZNAXIS",
         fmt::format("ZNAXIS = {} is outside 0-999", *n));
    n.reset();
  }
  for (std::int64_t i = 1; n && i <= *n; ++i) {
    std::string key = fmt::format("ZNAXIS{}", i);
    auto v = need_int(key);
    if (v && *v < 0) {
      sink("fits.compressed", Severity::error, lookup(key), key,
           fmt::format("{} = {} is negative", key, *v));
    }
    std::string tkey = fmt::format("ZTILE{}", i);
    if (const Card* t = lookup(tkey); t != nullptr && (t->type != ValueType::integer || t->integer < 1)) {
      sink("fits.compressed", Severity::error, t, tkey,
           fmt::format("{} must be a positive integer", tkey));
    }
  }
  const Card* z = lookup("ZCMPTYPE");
  if (z == nullptr) {
    sink("fits.compressed", Severity::error, nullptr, "ZCMPTYPE",
         "ZCMPTYPE missing: a tile-compressed image (ZIMAGE = T) needs it");
  } else if (z->type != ValueType::string ||
             (z->text != "RICE_1" && z->text != "RICE_ONE" && z->text != "GZIP_1" &&
              z->text != "GZIP_2" && z->text != "PLIO_1" && z->text != "HCOMPRESS_1" &&
              z->text != "NOCOMPRESS")) {
    sink("fits.compressed", Severity::error, z, "ZCMPTYPE",
         fmt::format("ZCMPTYPE = '{}' is not RICE_1, GZIP_1, GZIP_2, PLIO_1, HCOMPRESS_1 or "
                     "NOCOMPRESS",
                     z->text));
  }
}

namespace {

// The few cfitsio entry points used, resolved once.
struct Cfitsio {
  decltype(&ffdopn) open = nullptr;
  decltype(&ffmahd) move = nullptr;
  decltype(&ffgidm) naxis = nullptr;
  decltype(&ffgiszll) size = nullptr;
  decltype(&ffgpv) read = nullptr;
  decltype(&ffclos) close = nullptr;
  decltype(&ffgerr) errtext = nullptr;
  decltype(&ffgmsg) errmsg = nullptr;
  bool ok = false;
};

const Cfitsio& cfitsio()
{
  static Cfitsio lib;
  static std::once_flag once;
  std::call_once(once, [] {
    void* h = ::dlopen("libcfitsio.so.10", RTLD_NOW | RTLD_LOCAL);
    if (h == nullptr) {
      return;
    }
    auto sym = [h](auto& fn, const char* name) {
      fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(::dlsym(h, name));
      return fn != nullptr;
    };
    lib.ok = sym(lib.open, "ffdopn") && sym(lib.move, "ffmahd") && sym(lib.naxis, "ffgidm") &&
             sym(lib.size, "ffgiszll") && sym(lib.read, "ffgpv") && sym(lib.close, "ffclos") &&
             sym(lib.errtext, "ffgerr") && sym(lib.errmsg, "ffgmsg");
  });
  return lib;
}

}  // namespace

Result<std::optional<std::string>> decompress_tiles(const std::filesystem::path& path, int hdu)
{
  const Cfitsio& cf = cfitsio();
  if (!cf.ok) {
    return fail(Errc::unavailable, "cannot load libcfitsio.so.10 to test compressed tiles",
                path.string());
  }
  fitsfile* f = nullptr;
  int status = 0;
  auto message = [&cf](int st) {
    char text[FLEN_STATUS] = {};
    cf.errtext(st, text);
    std::string out = text;
    char msg[FLEN_ERRMSG] = {};
    while (cf.errmsg(msg) != 0) {
      out += fmt::format("; {}", msg);
    }
    return out;
  };
  if (cf.open(&f, path.c_str(), READONLY, &status) != 0) {
    return std::optional<std::string>(fmt::format("cfitsio cannot open the file: {}", message(status)));
  }
  std::optional<std::string> problem;
  int type = 0;
  int naxis = 0;
  LONGLONG dims[9] = {};
  if (cf.move(f, hdu, &type, &status) != 0 || cf.naxis(f, &naxis, &status) != 0 ||
      cf.size(f, 9, dims, &status) != 0) {
    problem = fmt::format("cfitsio cannot read the compressed image header: {}", message(status));
  } else if (naxis > 0) {
    LONGLONG total = 1;
    for (int i = 0; i < naxis && i < 9; ++i) {
      total *= dims[i];
    }
    LONGLONG row = std::max<LONGLONG>(dims[0], 1);
    std::vector<double> buf(static_cast<std::size_t>(std::min<LONGLONG>(row, 1 << 20)));
    auto chunk = static_cast<LONGLONG>(buf.size());
    int anynul = 0;
    double nulval = 0;
    for (LONGLONG first = 1; first <= total; first += chunk) {
      LONGLONG n = std::min(chunk, total - first + 1);
      if (cf.read(f, TDOUBLE, first, n, &nulval, buf.data(), &anynul, &status) != 0) {
        problem = fmt::format("pixels {}-{} do not decompress: {}", first, first + n - 1,
                              message(status));
        break;
      }
    }
  }
  int st2 = 0;
  cf.close(f, &st2);
  return problem;
}

}  // namespace hemera::fits
