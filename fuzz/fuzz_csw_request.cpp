// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: the CSW requests hemera-csw takes from the open internet,
// through csw::handle on an empty archive's catalogue index: KVP query
// strings, XML POST bodies (GetRecords with OGC Filter 1.1), CQL_TEXT and
// FILTER constraints, and the landing page's UUID. Every answer must be a
// well-formed XML document (an exception report at worst), never a server
// error.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include <libxml/parser.h>

#include <hemera/actor.hpp>
#include <hemera/archive/root.hpp>
#include <hemera/config.hpp>
#include <hemera/csw/csw.hpp>
#include <hemera/log.hpp>

using namespace hemera;

namespace {

// An initialised, empty archive and the catalogue serving it, made once.
const csw::Catalogue& catalogue()
{
  static const std::shared_ptr<const csw::Catalogue> cat = [] {
    log::setup("fuzz_csw_request", log::Level::quiet);
    auto root = std::filesystem::temp_directory_path() / ("hemera-fuzz-csw-" + std::to_string(::getpid()));
    std::filesystem::remove_all(root);
    static const std::filesystem::path k_root = root;
    std::atexit([] {
      std::error_code ec;
      std::filesystem::remove_all(k_root, ec);
    });
    if (!archive::init(root, current_actor())) {
      std::abort();
    }
    auto config = config::parse_yaml("public_url: http://127.0.0.1:8080\n"
                                     "partners:\n"
                                     "  default: {}\n"
                                     "  astro: {databases: [DASB], include_non_public: true, title: Astro}\n",
                                     "fuzz.yaml");
    if (!config) {
      std::abort();
    }
    auto c = csw::open(*config, root);
    if (!c) {
      std::abort();
    }
    return *c;
  }();
  return *cat;
}

int hex(char c)
{
  if (c >= '0' && c <= '9') {
    return c - '0';
  }
  if (c >= 'a' && c <= 'f') {
    return c - 'a' + 10;
  }
  if (c >= 'A' && c <= 'F') {
    return c - 'A' + 10;
  }
  return -1;
}

// Decode a query-string component as the HTTP server does ('+' is a space).
std::string unescape(std::string_view s)
{
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i] == '+' ? ' ' : s[i]);
    }
  }
  return out;
}

std::multimap<std::string, std::string> query(std::string_view q)
{
  std::multimap<std::string, std::string> kvp;
  while (!q.empty()) {
    auto amp = q.find('&');
    auto part = q.substr(0, amp);
    auto eq = part.find('=');
    kvp.emplace(unescape(part.substr(0, eq)), eq == std::string_view::npos ? "" : unescape(part.substr(eq + 1)));
    q = amp == std::string_view::npos ? std::string_view() : q.substr(amp + 1);
  }
  return kvp;
}

// Abort unless `r` is a well-formed XML answer: exception texts echo request
// bytes, which must come out as XML characters whatever they were.
void check(const csw::Response& r)
{
  if (r.status >= 500 || r.content_type.rfind("application/xml", 0) != 0) {
    std::abort();
  }
  xmlDocPtr doc = xmlReadMemory(r.body.data(), static_cast<int>(r.body.size()), "answer.xml", nullptr,
                                XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  if (doc == nullptr) {
    std::abort();
  }
  xmlFreeDoc(doc);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
  if (size == 0) {
    return 0;
  }
  const csw::Catalogue& cat = catalogue();
  const std::string partner = (data[0] & 0x10) != 0 ? "astro" : "default";
  std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  std::multimap<std::string, std::string> kvp;
  std::string body;
  // The low bits of the first byte pick what the bytes are.
  switch (data[0] % 5) {
  case 0: kvp = query(text); break;  // GET /csw/<partner>?<text>
  case 1: body = text; break;         // POST /csw/<partner> with <text>
  case 2:
  case 3:
    kvp = {{"service", "CSW"},
           {"version", "2.0.2"},
           {"request", "GetRecords"},
           {"resultType", (data[0] & 0x20) != 0 ? "results" : "hits"},
           {"constraintLanguage", data[0] % 5 == 2 ? "CQL_TEXT" : "FILTER"},
           {"constraint", text}};
    break;
  default: {
    // GET /<uuid>: not found (no records), never a server error.
    auto r = csw::landing_page(cat, text, (data[0] & 0x20) != 0);
    if (r.status != 404) {
      std::abort();
    }
    return 0;
  }
  }
  check(csw::handle(cat, partner, kvp, body));
  return 0;
}
