// SPDX-License-Identifier: Apache-2.0
// bm25 with cached row lengths (see rank.hpp). The formula, its constants and
// the order of its operations are those of SQLite's fts5_aux.c, so the scores
// are the numbers bm25(catalog_text) returns.
#include <hemera/catalog/rank.hpp>

#include <cmath>
#include <map>
#include <memory>
#include <mutex>
#include <unordered_map>

#include <fmt/format.h>
#include <sqlite3.h>

namespace hemera::catalog {

// One ranking pass (one statement).
struct RankPass {
  const std::vector<std::uint64_t>* keep = nullptr;  // bitmap by rid
  bool prepared = false;
  int phrases = 0;
  double rows = 0;           // rows of the FTS5 table
  double avgdl = 0;          // average row length in tokens
  std::vector<double> idf;   // per phrase; empty until known
  std::int64_t matches = 0;  // rows matched, kept or not
  std::vector<std::int64_t> rids;
  std::vector<double> lengths;
  std::vector<double> freq;  // phrases per kept row
};

// Each row's length in tokens (-1: not read yet) and the cached sets.
struct Cache {
  std::int64_t data_version = -1;
  std::int64_t changes = -1;
  std::vector<std::int32_t> lengths;
  bool complete = false;
  std::map<std::string, std::vector<std::int64_t>> sets;
  RankPass* pass = nullptr;
};

namespace {

using State = Cache;

// At most this many sets are kept per connection.
constexpr std::size_t k_max_sets = 8;

std::mutex g_states_mutex;
std::unordered_map<sqlite3*, State*> g_states;

void destroy_state(void* p)
{
  auto* s = static_cast<State*>(p);
  std::lock_guard lock(g_states_mutex);
  for (auto it = g_states.begin(); it != g_states.end(); ++it) {
    if (it->second == s) {
      g_states.erase(it);
      break;
    }
  }
  delete s;
}

int count_rows(const Fts5ExtensionApi* /*api*/, Fts5Context* /*fts*/, void* user)
{
  ++*static_cast<std::int64_t*>(user);
  return SQLITE_OK;
}

bool kept(const std::vector<std::uint64_t>& bits, std::int64_t rid)
{
  auto r = static_cast<std::uint64_t>(rid);
  return rid >= 0 && r / 64 < bits.size() && ((bits[r / 64] >> (r % 64)) & 1U) != 0;
}

// The FTS5 function hemera_bm25(catalog_text): record the kept row's phrase
// frequencies and length into the current pass.
void rank_row(const Fts5ExtensionApi* api, Fts5Context* fts, sqlite3_context* ctx, int /*argc*/,
              sqlite3_value** /*argv*/)
{
  auto* state = static_cast<State*>(api->xUserData(fts));
  RankPass* p = state->pass;
  sqlite3_result_null(ctx);
  if (p == nullptr) {
    return;
  }
  int rc = SQLITE_OK;
  if (!p->prepared) {
    p->phrases = api->xPhraseCount(fts);
    sqlite3_int64 rows = 0;
    sqlite3_int64 tokens = 0;
    rc = api->xRowCount(fts, &rows);
    if (rc == SQLITE_OK) {
      rc = api->xColumnTotalSize(fts, -1, &tokens);
    }
    p->rows = static_cast<double>(rows);
    p->avgdl = static_cast<double>(tokens) / static_cast<double>(rows);
    // One phrase: its hits are the query's matches, counted by the pass.
    for (int i = 0; rc == SQLITE_OK && p->phrases > 1 && i < p->phrases; ++i) {
      std::int64_t hits = 0;
      rc = api->xQueryPhrase(fts, i, &hits, count_rows);
      double idf = std::log((p->rows - static_cast<double>(hits) + 0.5) / (static_cast<double>(hits) + 0.5));
      p->idf.push_back(idf <= 0.0 ? 1e-6 : idf);
    }
    p->prepared = true;
  }
  ++p->matches;
  std::int64_t rid = api->xRowid(fts);
  if (rc != SQLITE_OK || !kept(*p->keep, rid)) {
    if (rc != SQLITE_OK) {
      sqlite3_result_error_code(ctx, rc);
    }
    return;
  }
  std::size_t base = p->freq.size();
  p->freq.resize(base + static_cast<std::size_t>(p->phrases), 0.0);
  int inst = 0;
  rc = api->xInstCount(fts, &inst);
  for (int i = 0; rc == SQLITE_OK && i < inst; ++i) {
    int phrase = 0, column = 0, offset = 0;
    rc = api->xInst(fts, i, &phrase, &column, &offset);
    if (rc == SQLITE_OK && phrase >= 0 && phrase < p->phrases) {
      p->freq[base + static_cast<std::size_t>(phrase)] += 1.0;
    }
  }
  int length = -1;
  auto r = static_cast<std::size_t>(rid);
  if (rc == SQLITE_OK) {
    if (r < state->lengths.size() && state->lengths[r] >= 0) {
      length = state->lengths[r];
    } else {
      rc = api->xColumnSize(fts, -1, &length);
      if (rc == SQLITE_OK && r < state->lengths.size()) {
        state->lengths[r] = length;
      }
    }
  }
  if (rc != SQLITE_OK) {
    sqlite3_result_error_code(ctx, rc);
    return;
  }
  p->rids.push_back(rid);
  p->lengths.push_back(static_cast<double>(length));
}

// SQLite's variable-length integer (as FTS5 writes the docsize blobs).
std::uint64_t get_varint(const unsigned char*& p, const unsigned char* end)
{
  std::uint64_t v = 0;
  for (int i = 0; i < 9 && p < end; ++i) {
    unsigned char c = *p++;
    if (i == 8) {
      return (v << 8) | c;
    }
    v = (v << 7) | (c & 0x7FU);
    if ((c & 0x80U) == 0) {
      break;
    }
  }
  return v;
}

Error sqlite_error(sqlite3* db, const std::string& what)
{
  return Error{Errc::io, fmt::format("{}: {}", what, sqlite3_errmsg(db)), {}};
}

Result<std::int64_t> pragma_data_version(sqlite3* db)
{
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, "PRAGMA data_version", -1, &st, nullptr) != SQLITE_OK) {
    sqlite3_finalize(st);
    return tl::unexpected(sqlite_error(db, "cannot read the data version"));
  }
  std::int64_t v = -1;
  if (sqlite3_step(st) == SQLITE_ROW) {
    v = sqlite3_column_int64(st, 0);
  }
  sqlite3_finalize(st);
  return v;
}

// Return the connection's state, registering hemera_bm25 on first use.
Result<State*> state_of(sqlite3* db)
{
  {
    std::lock_guard lock(g_states_mutex);
    if (auto it = g_states.find(db); it != g_states.end()) {
      return it->second;
    }
  }
  fts5_api* api = nullptr;
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, nullptr) != SQLITE_OK) {
    sqlite3_finalize(st);
    return tl::unexpected(sqlite_error(db, "no FTS5"));
  }
  sqlite3_bind_pointer(st, 1, static_cast<void*>(&api), "fts5_api_ptr", nullptr);
  sqlite3_step(st);
  sqlite3_finalize(st);
  if (api == nullptr || api->iVersion < 2) {
    return fail(Errc::internal, "SQLite has no usable FTS5 API");
  }
  auto state = std::make_unique<State>();
  State* s = state.get();
  {
    std::lock_guard lock(g_states_mutex);
    g_states[db] = s;
  }
  // The state now belongs to the connection: FTS5 destroys it when it closes.
  if (api->xCreateFunction(api, "hemera_bm25", s, rank_row, destroy_state) != SQLITE_OK) {
    std::lock_guard lock(g_states_mutex);
    g_states.erase(db);
    return tl::unexpected(sqlite_error(db, "cannot register hemera_bm25"));
  }
  (void)state.release();
  return s;
}

// Load every row's length from the docsize table.
Result<void> load_lengths(sqlite3* db, State& s)
{
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT id, sz FROM catalog_text_docsize", -1, &st, nullptr) != SQLITE_OK) {
    sqlite3_finalize(st);
    return tl::unexpected(sqlite_error(db, "cannot read catalog_text_docsize"));
  }
  int rc = SQLITE_OK;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    std::int64_t id = sqlite3_column_int64(st, 0);
    if (id < 0 || static_cast<std::size_t>(id) >= s.lengths.size()) {
      continue;
    }
    const auto* p = static_cast<const unsigned char*>(sqlite3_column_blob(st, 1));
    const unsigned char* end = p + sqlite3_column_bytes(st, 1);
    std::uint64_t sum = 0;
    while (p != nullptr && p < end) {
      sum += get_varint(p, end);
    }
    s.lengths[static_cast<std::size_t>(id)] = static_cast<std::int32_t>(std::min<std::uint64_t>(sum, INT32_MAX));
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) {
    return tl::unexpected(sqlite_error(db, "cannot read catalog_text_docsize"));
  }
  s.complete = true;
  return {};
}

}  // namespace

Result<Cache*> cache_of(db::Database& database)
{
  sqlite3* db = database.handle();
  State* s = HEMERA_TRY(state_of(db));
  std::int64_t version = HEMERA_TRY(pragma_data_version(db));
  std::int64_t changes = sqlite3_total_changes64(db);
  if (s->data_version != version || s->changes != changes) {
    s->lengths.clear();
    s->complete = false;
    s->sets.clear();
    s->data_version = version;
    s->changes = changes;
  }
  return s;
}

const std::vector<std::int64_t>* find_set(Cache& cache, const std::string& key)
{
  auto it = cache.sets.find(key);
  return it == cache.sets.end() ? nullptr : &it->second;
}

void keep_set(Cache& cache, const std::string& key, std::vector<std::int64_t> rids)
{
  if (cache.sets.size() >= k_max_sets) {
    cache.sets.clear();
  }
  cache.sets[key] = std::move(rids);
}

Result<std::vector<Scored>> rank_text(db::Database& database, Cache& cache, const std::string& fts,
                                      const std::vector<std::int64_t>& keep, std::size_t rows)
{
  sqlite3* db = database.handle();
  State* s = &cache;
  std::size_t top = keep.empty() ? 0 : static_cast<std::size_t>(std::max<std::int64_t>(keep.back(), 0)) + 1;
  std::size_t size = std::max(top, rows + 1);
  if (s->lengths.size() < size) {
    s->lengths.assign(size, -1);
    s->complete = false;
  }
  if (!s->complete && keep.size() * 16 >= rows) {
    HEMERA_TRY(load_lengths(db, *s));
  }
  std::vector<std::uint64_t> bits(top / 64 + 1, 0);
  for (auto rid : keep) {
    if (rid >= 0) {
      bits[static_cast<std::size_t>(rid) / 64] |= std::uint64_t{1} << (static_cast<std::size_t>(rid) % 64);
    }
  }
  RankPass pass;
  pass.keep = &bits;
  sqlite3_stmt* st = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT hemera_bm25(catalog_text) FROM catalog_text WHERE catalog_text MATCH ?1", -1,
                         &st, nullptr) != SQLITE_OK) {
    sqlite3_finalize(st);
    return tl::unexpected(sqlite_error(db, "cannot prepare the ranking"));
  }
  sqlite3_bind_text(st, 1, fts.data(), static_cast<int>(fts.size()), SQLITE_TRANSIENT);
  s->pass = &pass;
  int rc = SQLITE_OK;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
  }
  s->pass = nullptr;
  if (rc != SQLITE_DONE) {
    Error e = sqlite_error(db, "ranking failed");
    sqlite3_finalize(st);
    return tl::unexpected(e);
  }
  sqlite3_finalize(st);

  std::vector<Scored> out;
  if (pass.rids.empty()) {
    return out;
  }
  if (pass.idf.empty()) {
    auto hits = static_cast<double>(pass.matches);
    double idf = std::log((pass.rows - hits + 0.5) / (hits + 0.5));
    pass.idf.assign(static_cast<std::size_t>(pass.phrases), idf <= 0.0 ? 1e-6 : idf);
  }
  // As fts5Bm25Function: k1 = 1.2, b = 0.75, the negated sum over phrases.
  const double k1 = 1.2;
  const double b = 0.75;
  out.reserve(pass.rids.size());
  auto n = static_cast<std::size_t>(pass.phrases);
  for (std::size_t r = 0; r < pass.rids.size(); ++r) {
    double score = 0.0;
    double d = pass.lengths[r];
    for (std::size_t i = 0; i < n; ++i) {
      double f = pass.freq[r * n + i];
      score += pass.idf[i] * ((f * (k1 + 1.0)) / (f + k1 * (1 - b + b * d / pass.avgdl)));
    }
    out.push_back(Scored{-1.0 * score, pass.rids[r]});
  }
  return out;
}

}  // namespace hemera::catalog
