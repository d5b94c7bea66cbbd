// SPDX-License-Identifier: Apache-2.0
#include <hemera/validate/validate.hpp>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

#include <hemera/fits/validate.hpp>
#include <hemera/nasa_ames/validate.hpp>

namespace hemera::validate {

const char* format_name(Format f) noexcept
{
  switch (f) {
  case Format::nasa_ames: return "nasa-ames";
  case Format::fits: return "fits";
  case Format::unknown: return "unknown";
  }
  return "unknown";
}

Format format_from_name(const std::string& name) noexcept
{
  if (name == "nasa-ames" || name == "na") {
    return Format::nasa_ames;
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
  char buf[512];
  ssize_t n = ::read(fd, buf, sizeof buf);
  int err = errno;
  ::close(fd);
  if (n < 0) {
    return tl::unexpected(errno_error(err, "cannot read", path.string()));
  }
  std::string_view head(buf, static_cast<std::size_t>(n));
  if (head.substr(0, 9) == "SIMPLE  =") {
    return Format::fits;
  }
  // NASA Ames: the first line holds two integers, NLHEAD and FFI (possibly
  // after a byte-order mark or blanks, which the validator then reports).
  auto nlhead_ffi = [](std::string_view line) {
    std::size_t i = line.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0;
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) {
      ++i;
    }
    std::size_t digits = 0;
    while (i < line.size() && line[i] >= '0' && line[i] <= '9') {
      ++i;
      ++digits;
    }
    std::size_t blanks = 0;
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) {
      ++i;
      ++blanks;
    }
    std::size_t ffi = 0;
    while (i < line.size() && line[i] >= '0' && line[i] <= '9') {
      ++i;
      ++ffi;
    }
    return digits > 0 && blanks > 0 && ffi == 4;
  };
  if (nlhead_ffi(head)) {
    return Format::nasa_ames;
  }
  // An NDACC preamble line before NLHEAD FFI: the NASA Ames validator reports it (H0).
  std::size_t eol = head.find_first_of("\r\n");
  if (eol != std::string_view::npos) {
    std::size_t next = head.find_first_not_of("\r\n", eol);
    if (next != std::string_view::npos && next - eol <= 2 && nlhead_ffi(head.substr(next))) {
      return Format::nasa_ames;
    }
  }
  return Format::unknown;
}

Result<FileReport> validate_file(const std::filesystem::path& path, Format format,
                                 const Profile& profile)
{
  if (format == Format::unknown) {
    format = HEMERA_TRY(detect(path));
  }
  switch (format) {
  case Format::nasa_ames: return nasa_ames::validate_file(path, profile);
  case Format::fits: return fits::validate_file(path, profile);
  case Format::unknown: break;
  }
  return fail(Errc::data, "neither FITS nor NASA Ames (use --format to force one)",
              path.string(), {}, "format.unknown");
}

}  // namespace hemera::validate
