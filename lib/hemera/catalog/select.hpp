// SPDX-License-Identifier: Apache-2.0
// Boolean selections over the catalogue index (And, Or, Not over words,
// equality, date comparisons and boxes), for readers whose queries are not
// conjunctions of search() criteria: the CSW server's OGC Filter and CQL
// constraints. One SQL statement per page over the index tables; nothing is
// held in memory between calls.
#pragma once

#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <hemera/db/db.hpp>
#include <hemera/error.hpp>

namespace hemera::catalog {

// A field a condition tests.
enum class Field {
  any,         // words: title, abstract, keywords and parameters
  title,       // words, equality (folded, or exact with match_case)
  abstract,    // words
  keywords,    // words; equality on a keyword term (folded)
  identifier,  // equality and order on the UUID
  modified,    // comparisons on lastModification (ISO 8601 text)
  begin,       // comparisons on the earliest begin time
  end,         // comparisons on the latest end time (the begin time when open)
  contact,     // equality on a contact term (name, e-mail, ORCID iD; folded)
};

// One node of a selection's condition tree.
struct Condition {
  enum class Kind { all, none, and_, or_, not_, words, compare, bbox };
  Kind kind = Kind::all;
  std::vector<Condition> kids;  // and_, or_, not_ (one)
  Field field = Field::any;
  // words: each must begin a word of the field (FTS5 prefix, case and accents
  // folded); with match_case, each must also appear with its case.
  std::vector<std::string> words;
  bool match_case = false;
  std::string op;     // compare: "=", "<>", "<", ">", "<=", ">="
  std::string value;  // compare: the literal
  std::array<double, 4> box{};  // bbox: west, south, east, north (degrees, W <= E)
};

// Which records a selection may return at all.
struct Scope {
  std::vector<std::string> databases;    // DATB, DASB; empty: both
  std::vector<std::string> collections;  // collection prefixes; empty: all
  std::vector<std::string> keywords;     // any of these keyword terms; empty: no filter
  std::vector<std::string> statuses;     // folded status values; empty: any status
  // When set (ISO 8601 UTC, e.g. 2026-11-27T10:00:00Z): records under embargo
  // at that instant are left out: status "embargoed", or "public" with an
  // embargo end after it (compared as text at the embargo end's precision:
  // a date alone ends at its start).
  std::optional<std::string> embargoed_at;
};

// A page of a selection.
struct Selection {
  Condition where;
  Scope scope;
  std::vector<std::pair<Field, bool>> sort;  // field, descending; then by UUID
  std::size_t limit = 10;
  std::size_t offset = 0;
  bool count = true;
};

// One selected record: where its metadata.json lives.
struct Selected {
  std::string uuid, path;  // path: "DATB/<collection>/<uuid>", relative to the root
};

// The page and the number of records matched.
struct SelectResult {
  std::size_t total = 0;
  std::vector<Selected> records;
};

// Open the archive's hemera.db at `root` for selections only (PRAGMA
// query_only); Errc::no_input without an index, Errc::config when the index
// predates the catalogue's current tables (run hemera-search --reindex).
Result<db::Database> open_index(const std::filesystem::path& root);

// Return the page of `selection` and, if asked, how many records match.
Result<SelectResult> select(db::Database& database, const Selection& selection);

// Split a LIKE pattern into the words a text condition needs: runs of letters
// and digits that start the pattern or follow a space, punctuation or the
// multi-character wildcard (a run after the single-character wildcard starts
// inside a word and is left out). Escaped wildcards are literal.
std::vector<std::string> like_words(const std::string& pattern, char wild, char single, char escape);

}  // namespace hemera::catalog
