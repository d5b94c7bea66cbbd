// SPDX-License-Identifier: Apache-2.0
// Metadata interoperability (seed §12.2): records of the archive converted to
// ISO 19139 (INSPIRE conformance class 1 for datasets), Dublin Core
// (csw:Record) and DataCite 4.x XML, through per-partner converters read from
// the configuration's `partners:` section. XML is built with libxml2.
#pragma once

#include <array>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include <hemera/config.hpp>
#include <hemera/error.hpp>
#include <hemera/metadata/record.hpp>

// libxml2's node type, kept opaque here so that users need no libxml2 headers.
struct _xmlNode;

namespace hemera::interop {

// An output schema of the converters.
enum class Schema { iso19139, dublin_core, datacite, json };

// Parse "iso19139", "dc" or "datacite" or "json"; Errc::usage otherwise.
Result<Schema> parse_schema(std::string_view name);
// Return the configuration name of `schema` ("iso19139", "dc", "datacite", "json").
const char* schema_name(Schema schema) noexcept;

// A person or organisation to cite as a contact.
struct Party {
  std::string name, organisation, email, role;
};

// One partner converter (`partners.<name>` in the configuration).
struct Partner {
  std::string name = "default";
  std::vector<std::string> collections;   // collection prefixes; empty: all
  std::vector<std::string> databases;     // DATB, DASB; empty: both
  std::vector<std::string> keywords;      // any of these; empty: no keyword filter
  bool include_embargoed = false;
  bool include_non_public = false;
  std::vector<Schema> schemas{Schema::iso19139, Schema::dublin_core, Schema::datacite, Schema::json};
  std::vector<std::string> extra_keywords;
  std::map<std::string, std::string> keyword_map;  // vocabulary mapping (case-insensitive keys)
  std::optional<Party> point_of_contact;           // metadata point of contact
  std::string landing_page_base;                   // default: catalogue_url
  std::string title = "HEMERA metadata catalogue";
  std::string abstract;
  std::string publisher;                           // default: doi.publisher
  std::string doi_prefix;                          // default: doi.prefix
  nlohmann::json inspire = nlohmann::json::object();  // defaults for INSPIRE-only elements
  std::size_t max_records = 100;                   // CSW page cap
};

// Return the names of the configured partners, sorted ("default" always present).
std::vector<std::string> partner_names(const config::Config& config);

// Return partner `name` from the configuration; Errc::usage if there is no such
// partner, Errc::config if an entry has a bad value.
Result<Partner> load_partner(const config::Config& config, const std::string& name);

// One record of the archive, with where it lives.
struct Entry {
  std::string uuid;
  std::string database;     // DATB or DASB
  std::string collection;   // "strato2021/o3sonde"
  metadata::Record record;
};

// Where converters and the CSW server find records: the archive tree today,
// the catalogue index when it can answer the same questions.
class RecordSource {
 public:
  virtual ~RecordSource() = default;
  // Return every readable record (unreadable ones are skipped and counted).
  virtual Result<std::vector<Entry>> list() = 0;
  // Return the record of `uuid`, or Errc::no_input.
  virtual Result<Entry> find(const std::string& uuid) = 0;
  // Return how many records list() skipped as unreadable.
  [[nodiscard]] virtual std::size_t skipped() const = 0;
};

// Return a source reading <root>/DATB|DASB/<collection>/<uuid>/metadata.json.
std::unique_ptr<RecordSource> archive_source(const std::filesystem::path& root);

// Read the record of the dataset at `path` ("DATB/<collection>/<uuid>",
// relative to `root`, as the catalogue index gives it); Errc::data if the path
// is not a dataset path of the tree.
Result<Entry> read_entry(const std::filesystem::path& root, const std::string& path);

// Return true if the record is public and not under embargo at `now` (ISO 8601 UTC).
bool is_open(const metadata::Record& record, std::string_view now);

// Return true if `partner` receives `entry` at `now`.
bool accepts(const Partner& partner, const Entry& entry, std::string_view now);

// The searchable view of a record (CSW queryables, Dublin Core fields).
struct Summary {
  std::string uuid, title, title_fr, abstract, abstract_fr, type = "dataset", modified, language;
  std::string database, collection, begin, end, doi, licence, publisher, landing_page;
  std::vector<std::string> keywords, formats, creators;
  std::optional<std::array<double, 4>> bbox;  // west, south, east, north (degrees)
  std::string any_text;                        // lower-case concatenation of the text fields
};

// Compute the summary of `entry` as `partner` presents it.
Summary summarize(const Entry& entry, const Partner& partner, const config::Config& config);

// How much of a Dublin Core record to write.
enum class ElementSet { brief, summary, full };

// Append a gmd:MD_Metadata for `entry` under `parent` (an element of a libxml2
// document), with the ISO elements of `set`; render() makes standalone (full)
// documents. Return the new element.
_xmlNode* append_iso19139(_xmlNode* parent, const Entry& entry, const Partner& partner,
                          const config::Config& config, ElementSet set = ElementSet::full);
// Append a csw:BriefRecord, csw:SummaryRecord or csw:Record under `parent`.
_xmlNode* append_dublin_core(_xmlNode* parent, const Summary& summary, ElementSet set);

// Return the document of `entry` in `schema` (XML with declaration, or JSON),
// ending with a newline. DataCite needs a DOI or doi.prefix (Errc::config).
Result<std::string> render(Schema schema, const Entry& entry, const Partner& partner,
                           const config::Config& config);

// Return the INSPIRE theme code ("ac") of a GEMET INSPIRE theme label, or "".
std::string inspire_theme_code(std::string_view label);

// Return the current UTC time as YYYY-MM-DDThh:mm:ssZ.
std::string now_utc();

// Return `s` as XML 1.0 character data: C0 controls other than tab, line feed
// and carriage return dropped, each byte that is not part of valid UTF-8
// replaced by U+FFFD. libxml2 escapes markup but trusts the encoding.
std::string xml_text(std::string_view s);

}  // namespace hemera::interop
