// SPDX-License-Identifier: Apache-2.0
// hemera-csw: an OGC CSW 2.0.2 endpoint per partner (/csw/<partner>) and a
// landing page per record (/<uuid>), read-only, for harvesters and DOIs.
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <pthread.h>
#include <thread>

#include <optional>

#include <fmt/format.h>

#include <hemera/archive/root.hpp>
#include <hemera/catalog/catalog.hpp>
#include <hemera/cli/tool.hpp>
#include <hemera/csw/csw.hpp>
#include <hemera/csw/oidc.hpp>
#include <hemera/log.hpp>

using namespace hemera;

int main(int argc, char** argv)
{
  cli::Tool tool("hemera-csw", "Serve the catalogue over OGC CSW 2.0.2, one endpoint per partner, and landing pages");
  auto& app = tool.app();
  app.require_subcommand(1);
  std::string listen;
  int threads = 0;
  int refresh = 10;
  auto* cmd_serve = app.add_subcommand("serve", "Serve /csw/<partner> and /<uuid> over HTTP until SIGTERM");
  cmd_serve->add_option("-l,--listen", listen, "HOST:PORT to listen on (default csw.listen, else 127.0.0.1:8080)");
  cmd_serve->add_option("-t,--threads", threads, "Worker threads (default csw.threads, else 8)")
    ->check(CLI::Range(1, 256));
  cmd_serve->add_option("--refresh", refresh,
                        "Every SECONDS, index records that tools committed without indexing (0: never; default 10)")
    ->check(CLI::Range(0, 86400));
  tool.example("hemera-csw serve --listen 127.0.0.1:8080",
               "Serve http://127.0.0.1:8080/csw/default behind a TLS reverse proxy.");

  return tool.run(argc, argv, [&](cli::Context& ctx) -> Result<int> {
    csw::ServeOptions opt;
    std::string where = listen.empty() ? ctx.config.get_string("csw.listen", "127.0.0.1:8080") : listen;
    auto colon = where.rfind(':');
    if (colon == std::string::npos || colon == 0) {
      return fail(Errc::usage, fmt::format("--listen wants HOST:PORT, not '{}'", where), {}, "--listen");
    }
    opt.host = where.substr(0, colon);
    char* end = nullptr;
    long port = std::strtol(where.c_str() + colon + 1, &end, 10);
    if (*end != '\0' || port < 1 || port > 65535) {
      return fail(Errc::usage, fmt::format("bad port in '{}'", where), {}, "--listen");
    }
    opt.port = static_cast<int>(port);
    // ORCID sign-in (/orcid/login, /orcid/callback) when orcid.client_id is set;
    // only this server reads the client secret.
    if (auto provider = HEMERA_TRY(csw::oidc::load_provider(ctx.config))) {
      auto sign_in = std::make_shared<csw::oidc::SignIn>(std::move(*provider), ctx.root);
      opt.extra_routes = [sign_in](httplib::Server& server) { csw::oidc::install_routes(server, sign_in); };
    }
    auto int_key = [&](const char* key, long long fallback) {
      const auto* v = ctx.config.find(key);
      return v != nullptr && v->is_number_integer() ? v->get<long long>() : fallback;
    };
    opt.threads = threads > 0 ? threads : static_cast<int>(std::clamp(int_key("csw.threads", 8), 1LL, 256LL));
    opt.max_request_bytes = static_cast<std::size_t>(std::clamp(int_key("csw.max_request_bytes", 1 << 20), 1024LL, 1LL << 26));
    if (auto t = ctx.config.get_string("csw.timeout"); !t.empty()) {
      auto d = HEMERA_TRY(config::parse_duration(t));
      opt.timeout_seconds = static_cast<int>(std::clamp<long long>(d.count(), 1, 3600));
    }
    if (!std::filesystem::is_directory(ctx.root)) {
      return fail(Errc::no_input, fmt::format("no archive at {}", ctx.root.string()), {}, "--root");
    }
    // Bring the catalogue index up to date (records committed by tools that do
    // not index), now and every --refresh seconds, on a connection of its own;
    // requests only read the index. A server that may not write serves the
    // index as it is.
    std::optional<archive::Archive> maintained;
    if (auto arch = archive::Archive::open(ctx.root)) {
      maintained.emplace(std::move(*arch));
    } else if (arch.error().code == Errc::no_input) {
      return tl::unexpected(arch.error());
    } else {
      log::warn("the catalogue index will not be refreshed: {}", arch.error().to_string());
    }
    auto refresh_once = [&] {
      if (auto n = catalog::refresh(*maintained, ctx.config); !n) {
        log::warn("the catalogue index was not refreshed: {}", n.error().to_string());
      } else if (*n > 0) {
        log::info("indexed {} record(s) changed by other tools", *n);
      }
    };
    if (maintained) {
      refresh_once();
    }
    auto catalogue = HEMERA_TRY(csw::open(ctx.config, ctx.root));
    if (!ctx.quiet) {
      std::fprintf(stderr, "hemera-csw: %zu partner(s), listening on http://%s:%d/csw/<partner>\n",
                   catalogue->containers.size(), opt.host.c_str(), opt.port);
    }
    std::atomic<bool> stop{false};
    std::thread refresher;
    if (maintained && refresh > 0) {
      sigset_t set;  // the server's signal thread takes SIGINT and SIGTERM (blocked here, inherited)
      sigemptyset(&set);
      sigaddset(&set, SIGINT);
      sigaddset(&set, SIGTERM);
      pthread_sigmask(SIG_BLOCK, &set, nullptr);
      refresher = std::thread([&] {
        auto next = std::chrono::steady_clock::now() + std::chrono::seconds(refresh);
        while (!stop) {
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
          if (std::chrono::steady_clock::now() >= next) {
            refresh_once();
            next = std::chrono::steady_clock::now() + std::chrono::seconds(refresh);
          }
        }
      });
    }
    auto served = csw::serve(catalogue, opt);
    stop = true;
    if (refresher.joinable()) {
      refresher.join();
    }
    HEMERA_TRY(served);
    return 0;
  });
}
