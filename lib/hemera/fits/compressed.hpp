// SPDX-License-Identifier: Apache-2.0
// Tile-compressed images (FITS 4.0 section 10): the Z keywords, and a test
// decompression of the tiles with cfitsio, loaded only when a file has one.
#pragma once

#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include <hemera/error.hpp>
#include <hemera/fits/card.hpp>
#include <hemera/validate/finding.hpp>

namespace hemera::fits {

// Report a finding on the card `card` (nullptr: none) under `keyword`.
using CompressedSink = std::function<void(const std::string& rule, validate::Severity,
                                          const Card* card, const std::string& keyword,
                                          const std::string& message)>;

// Check the mandatory keywords of a tile-compressed image (ZIMAGE = T):
// ZBITPIX, ZNAXIS, ZNAXISn, ZCMPTYPE, ZTILEn; `lookup` finds a keyword's card.
void check_compressed_keywords(const std::function<const Card*(const std::string&)>& lookup,
                               const CompressedSink& sink);

// Decompress every tile of the compressed image in HDU `hdu` (1-based) of
// `path`, a row of pixels at a time (bounded memory). Return nullopt when all
// decompress, else cfitsio's message; an error when cfitsio cannot be loaded.
Result<std::optional<std::string>> decompress_tiles(const std::filesystem::path& path, int hdu);

}  // namespace hemera::fits
