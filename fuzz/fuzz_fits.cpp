// SPDX-License-Identifier: Apache-2.0
// libFuzzer target: the FITS validator on arbitrary bytes (through a memfd,
// since it reads files), and the card parser on every 80-byte record.
#include <cstddef>
#include <cstdint>
#include <string>
#include <sys/mman.h>
#include <unistd.h>

#include <hemera/fits/card.hpp>
#include <hemera/fits/validate.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
  using namespace hemera;
  std::vector<fits::CardIssue> issues;
  for (std::size_t i = 0; i < size; i += fits::k_card_size) {
    std::size_t n = std::min(fits::k_card_size, size - i);
    (void)fits::parse_card({reinterpret_cast<const char*>(data) + i, n}, issues);
    issues.clear();
  }
  int fd = ::memfd_create("fits", MFD_CLOEXEC);
  if (fd < 0) {
    return 0;
  }
  std::size_t done = 0;
  while (done < size) {
    ssize_t w = ::write(fd, data + done, size - done);
    if (w <= 0) {
      ::close(fd);
      return 0;
    }
    done += static_cast<std::size_t>(w);
  }
  std::string path = "/proc/self/fd/" + std::to_string(fd);
  fits::Options opts;
  opts.buffer_size = 4096;  // exercise the chunk boundaries
  opts.decompress = false;   // cfitsio leaks a few bytes on some failed opens; not ours to fuzz
  auto r = fits::validate(path, validate::Profile::strict(), opts);
  if (r) {
    (void)r->report.details.dump();  // every string must be valid UTF-8
  }
  ::close(fd);
  return 0;
}
