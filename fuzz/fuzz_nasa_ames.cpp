// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: the NASA Ames parser and validator on arbitrary bytes,
// under both profiles, with a large and a small read buffer (lines split
// across reads), and the writer on whatever parsed.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <hemera/nasa_ames/parser.hpp>
#include <hemera/nasa_ames/writer.hpp>

using namespace hemera;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
  std::string_view text(reinterpret_cast<const char*>(data), size);
  // The first byte picks the profile and the buffer size.
  bool legacy = size > 0 && (data[0] & 1) != 0;
  std::size_t buffer = size > 0 && (data[0] & 2) != 0 ? 64 : 0;
  validate::Profile profile = legacy ? validate::Profile::legacy() : validate::Profile::strict();
  profile.strict_monotonic = size > 0 && (data[0] & 4) != 0;
  profile.max_findings = 50;
  validate::Collector collector("fuzz.na", nasa_ames::k_format, profile);
  nasa_ames::DocumentBuilder builder;
  auto stats = nasa_ames::parse_text(text, builder, collector, profile, buffer);
  auto report = collector.take();
  auto doc = builder.take();
  // A clean parse must survive a round trip through the writer.
  if (stats.header_complete && report.count(validate::Severity::error) == 0 &&
      doc.marks.size() < 1000) {
    auto written = nasa_ames::format_document(doc);
    if (written) {
      validate::Collector again("fuzz2.na", nasa_ames::k_format, profile);
      nasa_ames::DocumentBuilder b2;
      nasa_ames::parse_text(*written, b2, again, profile);
    }
  }
  (void)nasa_ames::details_json(doc.header, stats);
  return 0;
}
