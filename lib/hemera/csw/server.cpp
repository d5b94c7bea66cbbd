// SPDX-License-Identifier: Apache-2.0
// The HTTP side of hemera-csw (cpp-httplib): routes, limits, landing pages.
#include <hemera/csw/csw.hpp>

#include <csignal>
#include <pthread.h>
#include <thread>

#include <fmt/format.h>
#include <httplib.h>

#include <hemera/log.hpp>

namespace hemera::csw {

namespace {

std::string html_escape(std::string_view s)
{
  std::string out;
  out.reserve(s.size() + 16);
  for (char c : s) {
    switch (c) {
    case '&': out += "&amp;"; break;
    case '<': out += "&lt;"; break;
    case '>': out += "&gt;"; break;
    case '"': out += "&quot;"; break;
    case '\'': out += "&#39;"; break;
    default:
      if (static_cast<unsigned char>(c) >= 0x20 || c == '\n' || c == '\t') {
        out.push_back(c);
      }
    }
  }
  return out;
}

// Return `url` when it is an http(s) or ftp(s) URL, else "" (no javascript: links).
std::string safe_url(const std::string& url)
{
  for (const char* p : {"https://", "http://", "ftps://", "ftp://"}) {
    if (url.rfind(p, 0) == 0) {
      return url;
    }
  }
  return {};
}

}  // namespace

Response landing_page(const Catalogue& catalogue, const std::string& uuid, bool json)
{
  auto entry = find_record(catalogue, "default", uuid);
  if (!entry) {
    if (entry.error().code != Errc::no_input) {
      log::warn("landing page {}: {}", uuid, entry.error().to_string());
      return Response{503, "text/plain; charset=UTF-8", "the catalogue is unavailable; try again later\n"};
    }
    return Response{404, "text/plain; charset=UTF-8", "not found\n"};
  }
  const interop::Summary summary =
    interop::summarize(*entry, catalogue.containers.at("default").partner, catalogue.config);
  const interop::Summary* s = &summary;
  const auto& record = entry->record;
  if (json) {
    return Response{200, "application/json", record.dump()};
  }
  std::string h;
  h += "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n";
  h += "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n";
  h += "<title>" + html_escape(s->title) + "</title></head><body>\n";
  h += "<h1 id=\"title\">" + html_escape(s->title) + "</h1>\n";
  if (!s->title_fr.empty()) {
    h += "<p lang=\"fr\"><em>" + html_escape(s->title_fr) + "</em></p>\n";
  }
  h += "<p id=\"abstract\">" + html_escape(s->abstract) + "</p>\n<dl>\n";
  h += "<dt>Identifier</dt><dd id=\"uuid\">" + html_escape(s->uuid) + "</dd>\n";
  if (!s->doi.empty()) {
    std::string url = "https://doi.org/" + s->doi;
    h += "<dt>DOI</dt><dd id=\"doi\"><a href=\"" + html_escape(url) + "\">" + html_escape(s->doi) + "</a></dd>\n";
  }
  if (!s->begin.empty()) {
    h += "<dt>Time</dt><dd id=\"time\">" + html_escape(s->begin) + (s->end.empty() ? "" : " – " + html_escape(s->end)) +
         "</dd>\n";
  }
  if (s->bbox) {
    h += fmt::format("<dt>Extent</dt><dd id=\"extent\">W {} E {} S {} N {}</dd>\n", (*s->bbox)[0], (*s->bbox)[2],
                     (*s->bbox)[1], (*s->bbox)[3]);
  }
  if (!s->licence.empty()) {
    h += "<dt>Licence</dt><dd id=\"licence\">" + html_escape(s->licence) + "</dd>\n";
  }
  if (!s->keywords.empty()) {
    std::string k;
    for (const auto& w : s->keywords) {
      k += (k.empty() ? "" : ", ") + html_escape(w);
    }
    h += "<dt>Keywords</dt><dd>" + k + "</dd>\n";
  }
  h += "</dl>\n<h2>Contacts</h2><ul>\n";
  for (const auto& ct : record.contacts().value_or(std::vector<metadata::Contact>{})) {
    std::string roles;
    for (const auto& r : ct.roles.value_or(std::vector<std::string>{})) {
      roles += (roles.empty() ? "" : ", ") + r;
    }
    h += "<li>" + html_escape(ct.name.value_or("")) + " (" + html_escape(ct.organisation.value_or("")) + ") " +
         html_escape(roles) + "</li>\n";
  }
  h += "</ul>\n<h2>Versions</h2><ul>\n";
  for (const auto& v : record.versions().value_or(std::vector<metadata::VersionEntry>{})) {
    h += fmt::format("<li id=\"v{0}\">v{0}: {1} ({2} files, {3} bytes)</li>\n", v.version.value_or(0),
                     html_escape(v.date.value_or("")), v.files.value_or(0), v.bytes.value_or(0));
  }
  h += "</ul>\n<h2>Links</h2><ul>\n";
  for (const auto& l : record.links().value_or(std::vector<metadata::Link>{})) {
    std::string url = safe_url(l.url.value_or(""));
    if (!url.empty()) {
      h += "<li><a href=\"" + html_escape(url) + "\">" + html_escape(l.name.value_or(url)) + "</a></li>\n";
    }
  }
  h += "</ul>\n</body></html>\n";
  return Response{200, "text/html; charset=UTF-8", h};
}

Result<void> serve(std::shared_ptr<const Catalogue> catalogue, const ServeOptions& options)
{
  httplib::Server svr;
  svr.set_payload_max_length(options.max_request_bytes);
  svr.set_read_timeout(options.timeout_seconds, 0);
  svr.set_write_timeout(options.timeout_seconds, 0);
  svr.set_keep_alive_timeout(5);
  int threads = std::max(1, options.threads);
  svr.new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<std::size_t>(threads)); };
  auto send = [](httplib::Response& res, const Response& r) {
    res.status = r.status;
    res.set_header("X-Content-Type-Options", "nosniff");
    res.set_content(r.body, r.content_type.c_str());
  };
  auto csw = [catalogue, send](const httplib::Request& req, httplib::Response& res) {
    std::multimap<std::string, std::string> kvp(req.params.begin(), req.params.end());
    send(res, handle(*catalogue, req.matches[1].str(), kvp, req.method == "POST" ? req.body : std::string()));
  };
  svr.Get(R"(/csw/([A-Za-z0-9_.-]{1,64}))", csw);
  svr.Post(R"(/csw/([A-Za-z0-9_.-]{1,64}))", csw);
  svr.Get(R"(/([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}))",
          [catalogue, send](const httplib::Request& req, httplib::Response& res) {
            std::string accept = req.get_header_value("Accept");
            bool json = req.get_param_value("f") == "json" ||
                        (accept.find("application/json") != std::string::npos &&
                         accept.find("text/html") == std::string::npos);
            std::string id = req.matches[1].str();
            std::transform(id.begin(), id.end(), id.begin(),
                           [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
            send(res, landing_page(*catalogue, id, json));
          });
  svr.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.body.empty()) {
      res.set_content(fmt::format("HTTP {}\n", res.status), "text/plain");
    }
  });

  // SIGINT and SIGTERM stop the server from a thread that waits for them.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  if (options.extra_routes) {
    options.extra_routes(svr);
  }
  if (!svr.bind_to_port(options.host.c_str(), options.port)) {
    return fail(Errc::unavailable, fmt::format("cannot listen on {}:{}", options.host, options.port));
  }
  std::thread waiter([&svr, set] {
    int sig = 0;
    sigwait(&set, &sig);
    svr.stop();
  });
  bool ok = svr.listen_after_bind();
  if (waiter.joinable()) {
    pthread_kill(waiter.native_handle(), SIGTERM);
    waiter.join();
  }
  if (!ok) {
    return fail(Errc::io, "the server stopped with an error");
  }
  return {};
}

}  // namespace hemera::csw
