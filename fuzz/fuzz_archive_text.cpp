// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: the archive's text parsers on arbitrary bytes: a journal
// line, a record (which must round-trip losslessly through the typed model),
// a P.I.'s form, file names and collections.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <hemera/archive/journal.hpp>
#include <hemera/archive/names.hpp>
#include <hemera/metadata/record.hpp>

using namespace hemera;

namespace {

// Write every typed field back; the document must not change.
void check_lossless(const metadata::Record& r)
{
  metadata::Record c = r;
#define HEMERA_RETYPE(getter)       \
  if (auto v = r.getter()) {        \
    c.set_##getter(*v);             \
  }
  HEMERA_RETYPE(id)
  HEMERA_RETYPE(resource_title)
  HEMERA_RETYPE(resource_abstract)
  HEMERA_RETYPE(temporal_extents)
  HEMERA_RETYPE(spatial_extents)
  HEMERA_RETYPE(sky_coverage)
  HEMERA_RETYPE(publications)
  HEMERA_RETYPE(links)
  HEMERA_RETYPE(identifiers)
  HEMERA_RETYPE(distribution_information)
  HEMERA_RETYPE(contacts)
  HEMERA_RETYPE(quicklooks)
  HEMERA_RETYPE(keywords)
  HEMERA_RETYPE(formats)
  HEMERA_RETYPE(parameters)
  HEMERA_RETYPE(instruments)
  HEMERA_RETYPE(platforms)
  HEMERA_RETYPE(projects)
  HEMERA_RETYPE(versions)
#undef HEMERA_RETYPE
  if (c.doc() != r.doc()) {
    std::abort();
  }
  auto again = metadata::Record::parse(r.dump(), "fuzz");
  if (!again || again->doc() != r.doc()) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto line = text.substr(0, text.find('\n'));
  if (auto ev = archive::journal::parse_line(line)) {
    // A parsed event formats back to a line that parses to the same event.
    auto back = archive::journal::parse_line(std::string_view(archive::journal::format_line(*ev)).substr(
      0, archive::journal::format_line(*ev).size() - 1));
    if (!back || archive::journal::to_json(*back) != archive::journal::to_json(*ev)) {
      std::abort();
    }
  }
  if (auto r = metadata::Record::parse(text, "fuzz")) {
    check_lossless(*r);
  }
  if (size < 4096) {
    if (auto form = metadata::parse_form(text, "fuzz")) {
      (void)metadata::form_hash(*form);  // must not throw
      (void)metadata::Record::from_json(*form);
    }
  }
  if (auto n = archive::check_name(line)) {
    if (archive::check_name(*n).value_or("") != *n) {
      std::abort();  // a stored name passes the policy as it is
    }
  }
  (void)archive::check_collection(line);
  (void)archive::kind_of(line);
  return 0;
}
