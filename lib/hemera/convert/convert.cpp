// SPDX-License-Identifier: Apache-2.0
#include <hemera/convert/convert.hpp>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>

#include <hemera/validate/validate.hpp>

namespace hemera::convert {

const char* format_name(Format f) noexcept
{
  switch (f) {
  case Format::nasa_ames: return "nasa-ames";
  case Format::netcdf: return "netcdf";
  case Format::csv: return "csv";
  case Format::json: return "json";
  case Format::fits: return "fits";
  case Format::unknown: break;
  }
  return "unknown";
}

Format format_from_name(const std::string& name) noexcept
{
  if (name == "nasa-ames" || name == "na") {
    return Format::nasa_ames;
  }
  if (name == "netcdf" || name == "nc") {
    return Format::netcdf;
  }
  if (name == "csv") {
    return Format::csv;
  }
  if (name == "json") {
    return Format::json;
  }
  if (name == "fits") {
    return Format::fits;
  }
  return Format::unknown;
}

Result<Format> detect(const std::filesystem::path& path)
{
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    return tl::unexpected(errno_error(errno, "cannot open", path.string()));
  }
  char buf[512] = {};
  ssize_t n = ::read(fd, buf, sizeof buf);
  int err = errno;
  ::close(fd);
  if (n < 0) {
    return tl::unexpected(errno_error(err, "cannot read", path.string()));
  }
  std::string_view head(buf, static_cast<std::size_t>(n));
  if (head.starts_with("CDF\x01") || head.starts_with("CDF\x02") || head.starts_with("CDF\x05") ||
      head.starts_with("\x89HDF\r\n\x1a\n")) {
    return Format::netcdf;
  }
  // FITS and NASA Ames (with an NDACC preamble line) as the validators see them.
  switch (HEMERA_TRY(validate::detect(path))) {
  case validate::Format::fits: return Format::fits;
  case validate::Format::nasa_ames: return Format::nasa_ames;
  case validate::Format::unknown: break;
  }
  return fail(Errc::data, "not NASA Ames, netCDF or FITS (unrecognised first bytes)",
              path.string());
}

nlohmann::json to_json(const Report& r)
{
  nlohmann::json j = {{"input", r.input},
                      {"output", r.output},
                      {"from", format_name(r.from)},
                      {"to", format_name(r.to)},
                      {"rows", r.rows},
                      {"values", r.values},
                      {"input_bytes", r.input_bytes},
                      {"output_bytes", r.output_bytes}};
  if (r.ffi != 0) {
    j["ffi"] = r.ffi;
  }
  nlohmann::json w = nlohmann::json::array();
  for (const auto& f : r.warnings) {
    w.push_back(validate::to_json(f));
  }
  j["warnings"] = w;
  return j;
}

Result<Report> convert(const std::filesystem::path& in, const std::filesystem::path& out,
                       Format to, const Options& options)
{
  Format from = HEMERA_TRY(detect(in));
  auto cannot = [&]() -> Result<Report> {
    return fail(Errc::usage,
                fmt::format("no conversion from {} to {}", format_name(from), format_name(to)),
                in.string());
  };
  switch (from) {
  case Format::nasa_ames:
    if (to == Format::netcdf) {
      return nasa_ames_to_netcdf(in, out, options);
    }
    if (to == Format::csv || to == Format::json) {
      return nasa_ames_to_rows(in, out, to, options);
    }
    return cannot();
  case Format::netcdf:
    if (to == Format::nasa_ames) {
      return netcdf_to_nasa_ames(in, out, options);
    }
    return cannot();
  case Format::fits:
    if (to == Format::csv) {
      return fits_table_to_csv(in, out, options);
    }
    if (to == Format::json) {
      return fits_header_to_json(in, out, options);
    }
    return cannot();
  default: return cannot();
  }
}

}  // namespace hemera::convert
