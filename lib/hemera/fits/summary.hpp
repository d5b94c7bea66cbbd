// SPDX-License-Identifier: Apache-2.0
// What ingestion takes from FITS headers: instrument, target, time range, sky
// position and observing site, per HDU and merged for the file.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include <hemera/error.hpp>
#include <hemera/fits/card.hpp>

namespace hemera::fits {

// A sky position in degrees (ICRS/FK5 as the header says; not converted).
struct SkyPosition {
  double ra_deg = 0;
  double dec_deg = 0;
  std::string source;  // "RA/DEC", "RA_OBJ/DEC_OBJ", "OBJCTRA/OBJCTDEC" or "WCS CRVAL"
  std::string frame;   // RADESYS value when present
};

// A geodetic observing site (WGS84), degrees east and north, metres.
struct Site {
  double latitude_deg = 0;
  double longitude_deg = 0;
  std::optional<double> height_m;
  std::string source;  // "OBSGEO-X/Y/Z", "OBSGEO-B/L/H" or "SITELAT/SITELONG"
};

// The ingestion-relevant keywords of one header (absent keywords stay empty).
struct HeaderSummary {
  int hdu = 1;
  std::string extname;
  std::optional<std::string> telescope;   // TELESCOP
  std::optional<std::string> instrument;  // INSTRUME
  std::optional<std::string> object;      // OBJECT
  std::optional<std::string> observer;    // OBSERVER
  std::optional<std::string> origin;      // ORIGIN
  std::optional<std::string> date;        // DATE (file written)
  std::optional<std::string> date_obs;    // DATE-OBS, else DATE-BEG
  std::optional<std::string> date_end;    // DATE-END
  std::optional<double> mjd_obs;          // MJD-OBS
  std::optional<double> exptime;          // EXPTIME, else EXPOSURE
  std::optional<std::string> bunit;       // BUNIT
  std::optional<SkyPosition> sky;
  std::optional<Site> site;
};

// Every header's summary, and the file's: each field from the first HDU that
// has it (the primary header first, as INHERIT readers do).
struct Summary {
  std::vector<HeaderSummary> hdus;
  HeaderSummary file;
};

// Return the summary of one header given its parsed cards (up to END).
HeaderSummary summarize_header(const std::vector<Card>& cards, int hdu, std::string extname);

// Fill `summary.file` from `summary.hdus`.
void merge_summary(Summary& summary);

// Read the headers of the FITS file at `path` (data units are skipped, not
// validated) and return their summary.
Result<Summary> summary(const std::filesystem::path& path);

// Return the summary as JSON (absent fields omitted).
nlohmann::json to_json(const HeaderSummary& s);
// Return {"file": {...}, "hdus": [...]}.
nlohmann::json to_json(const Summary& s);

// Parse an angle in degrees, or sexagesimal "dd:mm:ss.s" / "dd mm ss.s"
// (hours when `hours`); nullopt when it is neither.
std::optional<double> parse_angle(const std::string& text, bool hours);

}  // namespace hemera::fits
