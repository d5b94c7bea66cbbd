// SPDX-License-Identifier: Apache-2.0
// Relevance of free-text matches (internal to the catalogue): FTS5's bm25,
// computed with the same formula and the same numbers, but with each row's
// length in tokens kept per connection instead of read from the FTS5 docsize
// table for every match (that lookup is four fifths of bm25's cost).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <hemera/db/db.hpp>
#include <hemera/error.hpp>

namespace hemera::catalog {

// One scored match: bm25 as FTS5's bm25(catalog_text) returns it (lower is
// more relevant) and the catalogue rid.
struct Scored {
  double score = 0;
  std::int64_t rid = 0;
};

// What a connection keeps between searches while the database is unchanged
// (no commit by it or any other connection): row lengths for rank_text, and
// the rid sets of broad criteria. Destroyed with the connection.
struct Cache;

// Return the cache of `database`'s connection, emptied if the database changed
// since it was filled.
Result<Cache*> cache_of(db::Database& database);

// Return the cached sorted rids of `key`, or null.
const std::vector<std::int64_t>* find_set(Cache& cache, const std::string& key);

// Keep the sorted rids `rids` as `key`.
void keep_set(Cache& cache, const std::string& key, std::vector<std::int64_t> rids);

// Return the bm25 score of every row of catalog_text matching the FTS5 query
// `fts` whose rid is in `keep` (sorted), in rowid order. `rows` is the number
// of catalogue rows (the length cache is loaded whole when `keep` is a large
// share of them, else filled as rows are met).
Result<std::vector<Scored>> rank_text(db::Database& database, Cache& cache, const std::string& fts,
                                      const std::vector<std::int64_t>& keep, std::size_t rows);

}  // namespace hemera::catalog
