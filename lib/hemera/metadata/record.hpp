// SPDX-License-Identifier: Apache-2.0
// The metadata record (seed Annex 1 as settled by schemas/record.schema.json):
// a typed model over the JSON document, read and written losslessly. Every
// typed object keeps the fields it does not know (and any known field whose
// value has an unexpected type) in `extra`, written back unchanged.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

#include <hemera/error.hpp>

namespace hemera::metadata {

using json = nlohmann::json;

// Base of every typed record object: the fields the model does not know.
struct Object {
  json extra = json::object();
};

// A bilingual text: {"en": …, "fr": …} (or Annex 1's "DEFAULT_VALUE_KEY").
struct Text {
  std::map<std::string, std::string> values;

  // Return the text in `lang`, else English, else any, else "".
  [[nodiscard]] std::string get(const std::string& lang = "en") const;
  bool operator==(const Text&) const = default;
};

// A temporal extent.
struct TemporalExtent : Object {
  std::optional<std::string> begin_date, end_date;
  template <class V> void fields(V& v)
  {
    v("beginDate", begin_date);
    v("endDate", end_date);
  }
};

// One point of a trajectory.
struct TrackPoint : Object {
  std::optional<double> latitude, longitude, altitude;
  std::optional<std::string> time;
  template <class V> void fields(V& v)
  {
    v("latitude", latitude);
    v("longitude", longitude);
    v("altitude", altitude);
    v("time", time);
  }
};

// A geographic area: type "point" (latitude, longitude, altitude), "bbox"
// (west, east, south, north, min/maxAltitude) or "trajectory" (points).
struct Area : Object {
  std::optional<std::string> type;
  std::optional<double> latitude, longitude, altitude;
  std::optional<double> west, east, south, north, min_altitude, max_altitude;
  std::optional<std::vector<TrackPoint>> points;
  template <class V> void fields(V& v)
  {
    v("type", type);
    v("latitude", latitude);
    v("longitude", longitude);
    v("altitude", altitude);
    v("west", west);
    v("east", east);
    v("south", south);
    v("north", north);
    v("minAltitude", min_altitude);
    v("maxAltitude", max_altitude);
    v("points", points);
  }
};

// A spatial extent (geographic only: from the form, a GPS file or FITS site keywords).
struct SpatialExtent : Object {
  std::optional<Area> area;
  std::optional<std::string> name, description, projection, source;
  template <class V> void fields(V& v)
  {
    v("area", area);
    v("name", name);
    v("description", description);
    v("projection", projection);
    v("source", source);
  }
};

// A sky position (FITS RA/DEC), kept apart from geographic extents.
struct SkyPosition : Object {
  std::optional<double> ra, dec, radius, equinox;
  std::optional<std::string> frame, object, file;
  template <class V> void fields(V& v)
  {
    v("ra", ra);
    v("dec", dec);
    v("radius", radius);
    v("equinox", equinox);
    v("frame", frame);
    v("object", object);
    v("file", file);
  }
};

// A publication about the dataset.
struct Publication : Object {
  std::optional<std::string> title, description, authors, journal_name, journal_section, doi;
  std::optional<std::int64_t> publication_year;
  template <class V> void fields(V& v)
  {
    v("title", title);
    v("description", description);
    v("authors", authors);
    v("journalName", journal_name);
    v("journalSection", journal_section);
    v("publicationYear", publication_year);
    v("doi", doi);
  }
};

// A link: FTP_DOWNLOAD_LINK, INFORMATION_LINK…
struct Link : Object {
  std::optional<std::string> type, url, name;
  std::optional<Text> description;
  template <class V> void fields(V& v)
  {
    v("type", type);
    v("url", url);
    v("name", name);
    v("description", description);
  }
};

// An identifier (a DOI: codeSpace "http://dx.doi.org/").
struct Identifier : Object {
  std::optional<std::string> code, code_space;
  template <class V> void fields(V& v)
  {
    v("code", code);
    v("codeSpace", code_space);
  }
};

// Distribution information: data policy, embargo, registration, licence.
struct DistributionInformation : Object {
  std::optional<std::string> data_policy_name, data_policy_version, data_policy_url;
  std::optional<std::int64_t> embargo_duration;  // months
  std::optional<std::string> embargo_end;
  std::optional<bool> registration_needed;
  std::optional<Text> description;
  std::optional<std::string> licence_name, licence_version, licence_policy_url;
  template <class V> void fields(V& v)
  {
    v("dataPolicyName", data_policy_name);
    v("dataPolicyVersion", data_policy_version);
    v("dataPolicyUrl", data_policy_url);
    v("embargoDuration", embargo_duration);
    v("embargoEnd", embargo_end);
    v("registrationNeeded", registration_needed);
    v("description", description);
    v("licenceName", licence_name);
    v("licenceVersion", licence_version);
    v("licencePolicyUrl", licence_policy_url);
  }
};

// A contact, with roles (an array) and an ORCID iD.
struct Contact : Object {
  std::optional<std::string> name, email, organisation, orc_id;
  std::optional<std::vector<std::string>> roles;
  template <class V> void fields(V& v)
  {
    v("name", name);
    v("email", email);
    v("organisation", organisation);
    v("roles", roles);
    v("orcId", orc_id);
  }
};

// A quicklook image.
struct Quicklook : Object {
  std::optional<std::string> url;
  template <class V> void fields(V& v) { v("url", url); }
};

// A keyword.
struct Keyword : Object {
  std::optional<std::string> concept_name;
  template <class V> void fields(V& v) { v("concept", concept_name); }
};

// A file format of the dataset.
struct Format : Object {
  std::optional<std::string> name, version;
  std::optional<Text> description;
  template <class V> void fields(V& v)
  {
    v("name", name);
    v("version", version);
    v("description", description);
  }
};

// A thesaurus variable, nested to any depth.
struct ThesaurusVariable : Object {
  std::optional<std::string> code;
  std::optional<Text> name;
  std::vector<ThesaurusVariable> child;  // zero or one: the nested "thesaurusVariable"
  template <class V> void fields(V& v)
  {
    v("code", code);
    v("name", name);
    v("thesaurusVariable", child);
  }
};

// A measured parameter.
struct Parameter : Object {
  std::optional<std::string> short_name, long_name, uom, type, cf_standard_name, thesaurus_concat;
  std::optional<Text> comment;
  std::vector<ThesaurusVariable> thesaurus_variable;  // zero or one
  template <class V> void fields(V& v)
  {
    v("shortName", short_name);
    v("longName", long_name);
    v("uom", uom);
    v("type", type);
    v("cfStandardName", cf_standard_name);
    v("thesaurusConcat", thesaurus_concat);
    v("comment", comment);
    v("thesaurusVariable", thesaurus_variable);
  }
};

// A thesaurus leaf: code, name, long name.
struct ThesaurusEntry : Object {
  std::optional<std::string> code;
  std::optional<Text> name, long_name;
  template <class V> void fields(V& v)
  {
    v("code", code);
    v("name", name);
    v("longName", long_name);
  }
};

// The middle level of an instrument or platform thesaurus.
struct ThesaurusCode : Object {
  std::optional<std::string> code;
  std::optional<Text> name;
  std::optional<ThesaurusEntry> thesaurus_name;
  template <class V> void fields(V& v)
  {
    v("code", code);
    v("name", name);
    v("thesaurusName", thesaurus_name);
  }
};

// The top level of an instrument or platform thesaurus.
struct ThesaurusClass : Object {
  std::optional<std::string> code;
  std::optional<Text> name;
  std::optional<ThesaurusCode> thesaurus_code;
  template <class V> void fields(V& v)
  {
    v("code", code);
    v("name", name);
    v("thesaurusCode", thesaurus_code);
  }
};

// An instrument.
struct Instrument : Object {
  std::optional<std::string> thesaurus_concat, manufacturer, model, serial_number, calibration,
    display_name;
  std::optional<ThesaurusClass> thesaurus_class;
  template <class V> void fields(V& v)
  {
    v("thesaurusConcat", thesaurus_concat);
    v("thesaurusClass", thesaurus_class);
    v("manufacturer", manufacturer);
    v("model", model);
    v("serialNumber", serial_number);
    v("calibration", calibration);
    v("displayName", display_name);
  }
};

// A platform (BALLOONS_ROCKETS thesaurus).
struct Platform : Object {
  std::optional<std::string> thesaurus_concat, name;
  std::optional<ThesaurusClass> thesaurus_class;
  template <class V> void fields(V& v)
  {
    v("thesaurusConcat", thesaurus_concat);
    v("thesaurusClass", thesaurus_class);
    v("name", name);
  }
};

// A project (INTERNATIONAL_PROGRAMS thesaurus).
struct ThesaurusCategory : Object {
  std::optional<std::string> code;
  std::optional<Text> name;
  std::optional<ThesaurusEntry> thesaurus_name;
  template <class V> void fields(V& v)
  {
    v("code", code);
    v("name", name);
    v("thesaurusName", thesaurus_name);
  }
};

// A project.
struct Project : Object {
  std::optional<std::string> thesaurus_concat, aeris_project_uuid;
  std::optional<ThesaurusCategory> thesaurus_category;
  template <class V> void fields(V& v)
  {
    v("thesaurusConcat", thesaurus_concat);
    v("thesaurusCategory", thesaurus_category);
    v("aerisProjectUuid", aeris_project_uuid);
  }
};

// One version of the dataset, as listed in the record.
struct VersionEntry : Object {
  std::optional<std::int64_t> version, files, bytes;
  std::optional<std::string> date, path;
  template <class V> void fields(V& v)
  {
    v("version", version);
    v("date", date);
    v("files", files);
    v("bytes", bytes);
    v("path", path);
  }
};

// The whole record: a JSON document with typed accessors. Getters return
// nullopt when the field is absent or not of the expected shape (it is then
// kept as it is); setters replace the field.
class Record {
 public:
  Record() = default;
  // Take `doc` (an object); `plateforms` is read as an alias of `platforms`.
  static Result<Record> from_json(json doc);
  // Parse a record from JSON text; `name` is used in messages.
  static Result<Record> parse(std::string_view text, const std::string& name);

  // Return the document.
  [[nodiscard]] const json& doc() const { return m_doc; }
  // Return the document as pretty JSON (2 spaces) with a final newline.
  [[nodiscard]] std::string dump() const;

  // Return the typed value of top-level `key`, or nullopt.
  template <class T> [[nodiscard]] std::optional<T> get(const char* key) const;
  // Set top-level `key` to the typed `value`.
  template <class T> void set(const char* key, const T& value);
  // Return true if top-level `key` is present (even null).
  [[nodiscard]] bool has(const char* key) const { return m_doc.contains(key); }
  // Remove top-level `key`.
  void erase(const char* key) { m_doc.erase(key); }
  // Set top-level `key` to a raw JSON value.
  void set_raw(const char* key, json value) { m_doc[key] = std::move(value); }

  // Check the invariants JSON Schema cannot express: id = identifier, a UUID.
  [[nodiscard]] Result<void> check_identity() const;

#define HEMERA_RECORD_FIELD(type, getter, key)                                      \
  [[nodiscard]] std::optional<type> getter() const { return get<type>(key); }      \
  void set_##getter(const type& value) { set<type>(key, value); }
  HEMERA_RECORD_FIELD(std::string, id, "id")
  HEMERA_RECORD_FIELD(std::string, identifier, "identifier")
  HEMERA_RECORD_FIELD(Text, resource_title, "resourceTitle")
  HEMERA_RECORD_FIELD(Text, resource_abstract, "resourceAbstract")
  HEMERA_RECORD_FIELD(std::vector<TemporalExtent>, temporal_extents, "temporalExtents")
  HEMERA_RECORD_FIELD(std::vector<SpatialExtent>, spatial_extents, "spatialExtents")
  HEMERA_RECORD_FIELD(std::vector<SkyPosition>, sky_coverage, "skyCoverage")
  HEMERA_RECORD_FIELD(std::vector<Publication>, publications, "publications")
  HEMERA_RECORD_FIELD(std::vector<Link>, links, "links")
  HEMERA_RECORD_FIELD(std::vector<Identifier>, identifiers, "identifiers")
  HEMERA_RECORD_FIELD(std::string, status, "status")
  HEMERA_RECORD_FIELD(DistributionInformation, distribution_information, "distributionInformation")
  HEMERA_RECORD_FIELD(std::string, language, "language")
  HEMERA_RECORD_FIELD(std::vector<Contact>, contacts, "contacts")
  HEMERA_RECORD_FIELD(std::vector<Quicklook>, quicklooks, "quicklooks")
  HEMERA_RECORD_FIELD(std::vector<Keyword>, keywords, "keywords")
  HEMERA_RECORD_FIELD(std::vector<Format>, formats, "formats")
  HEMERA_RECORD_FIELD(std::string, data_level, "dataLevel")
  HEMERA_RECORD_FIELD(std::vector<Parameter>, parameters, "parameters")
  HEMERA_RECORD_FIELD(std::vector<Instrument>, instruments, "instruments")
  HEMERA_RECORD_FIELD(std::vector<Platform>, platforms, "platforms")
  HEMERA_RECORD_FIELD(std::vector<Project>, projects, "projects")
  HEMERA_RECORD_FIELD(std::string, metadata_level, "metadataLevel")
  HEMERA_RECORD_FIELD(std::string, type, "type")
  HEMERA_RECORD_FIELD(std::vector<VersionEntry>, versions, "versions")
#undef HEMERA_RECORD_FIELD

  // Return lastModification.value.
  [[nodiscard]] std::optional<std::string> last_modification() const;
  // Set lastModification.value.
  void set_last_modification(const std::string& iso8601);

 private:
  json m_doc = json::object();
};

namespace detail {

bool read_value(const json& j, std::string& out);
bool read_value(const json& j, double& out);
bool read_value(const json& j, std::int64_t& out);
bool read_value(const json& j, bool& out);
bool read_value(const json& j, Text& out);
json write_value(const std::string& v);
json write_value(double v);
json write_value(std::int64_t v);
json write_value(bool v);
json write_value(const Text& v);

template <class T> bool read_value(const json& j, std::vector<T>& out);
template <class T> json write_value(const std::vector<T>& v);
template <class T>
  requires std::is_base_of_v<Object, T>
bool read_value(const json& j, T& out);
template <class T>
  requires std::is_base_of_v<Object, T>
json write_value(const T& v);

// Reads known fields of an object, removing each one read from `extra`.
struct FieldReader {
  const json& j;
  json& extra;
  template <class T> void operator()(const char* key, std::optional<T>& field)
  {
    auto it = j.find(key);
    if (it == j.end()) {
      return;
    }
    T v{};
    if (read_value(*it, v)) {
      field = std::move(v);
      extra.erase(key);
    }
  }
  // A nested object held in a vector of zero or one element (recursive types).
  template <class T> void operator()(const char* key, std::vector<T>& field)
  {
    auto it = j.find(key);
    if (it == j.end() || !it->is_object()) {
      return;
    }
    T v{};
    if (read_value(*it, v)) {
      field.clear();
      field.push_back(std::move(v));
      extra.erase(key);
    }
  }
};

// Writes the known fields that are set.
struct FieldWriter {
  json& out;
  template <class T> void operator()(const char* key, const std::optional<T>& field)
  {
    if (field) {
      out[key] = write_value(*field);
    }
  }
  template <class T> void operator()(const char* key, const std::vector<T>& field)
  {
    if (!field.empty()) {
      out[key] = write_value(field.front());
    }
  }
};

template <class T> bool read_value(const json& j, std::vector<T>& out)
{
  if (!j.is_array()) {
    return false;
  }
  std::vector<T> tmp;
  tmp.reserve(j.size());
  for (const auto& e : j) {
    T v{};
    if (!read_value(e, v)) {
      return false;
    }
    tmp.push_back(std::move(v));
  }
  out = std::move(tmp);
  return true;
}

template <class T> json write_value(const std::vector<T>& v)
{
  json a = json::array();
  for (const auto& e : v) {
    a.push_back(write_value(e));
  }
  return a;
}

template <class T>
  requires std::is_base_of_v<Object, T>
bool read_value(const json& j, T& out)
{
  if (!j.is_object()) {
    return false;
  }
  out.extra = j;
  FieldReader r{j, out.extra};
  out.fields(r);
  return true;
}

template <class T>
  requires std::is_base_of_v<Object, T>
json write_value(const T& v)
{
  json o = v.extra.is_object() ? v.extra : json::object();
  FieldWriter w{o};
  const_cast<T&>(v).fields(w);  // the writer only reads the fields
  return o;
}

}  // namespace detail

template <class T> std::optional<T> Record::get(const char* key) const
{
  auto it = m_doc.find(key);
  if (it == m_doc.end()) {
    return std::nullopt;
  }
  T v{};
  if (!detail::read_value(*it, v)) {
    return std::nullopt;
  }
  return v;
}

template <class T> void Record::set(const char* key, const T& value)
{
  m_doc[key] = detail::write_value(value);
}

// Parse a P.I.'s form (YAML or JSON: the record's own keys, any subset) into
// a JSON object; `name` is used in messages (Errc::data, "form.yaml:12").
Result<json> parse_form(std::string_view text, const std::string& name);

// Return the SHA-256 (hex) of the form's canonical JSON (keys sorted), so
// that the same form in YAML or JSON, reformatted, hashes the same.
std::string form_hash(const json& form);

}  // namespace hemera::metadata
