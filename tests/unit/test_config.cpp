// SPDX-License-Identifier: Apache-2.0
#include <doctest/doctest.h>

#include <hemera/config.hpp>

using namespace hemera;

TEST_SUITE("config")
{
  TEST_CASE("defaults work with no file")
  {
    auto c = config::Config::defaults();
    CHECK(c.get_string("root") == "./hemera-archive");
    CHECK(c.get_string("targets.replica.url") == "file://./hemera-replica");
    CHECK(c.origin("root") == "default");
  }

  TEST_CASE("values carry file and line; a file key replaces its default")
  {
    auto c = config::parse_yaml("root: /srv/hemera\ntargets:\n  sedoo:\n    url: ftps://h/x\n    "
                                "trust_transport: true\n",
                                "h.yaml");
    REQUIRE(c);
    CHECK(c->get_string("root") == "/srv/hemera");
    CHECK(c->origin("root") == "h.yaml:1");
    CHECK(c->origin("targets.sedoo.url") == "h.yaml:4");
    CHECK(c->find("targets.sedoo.trust_transport")->get<bool>());
    CHECK(c->find("targets.replica") == nullptr);
    CHECK(c->get_string("verification.period") == "30d");
  }

  TEST_CASE("unknown keys and wrong types name file, line and key")
  {
    auto unknown = config::parse_yaml("root: /a\nalerts:\n  pager: x\n", "u.yaml");
    REQUIRE(!unknown);
    CHECK(unknown.error().code == Errc::config);
    CHECK(unknown.error().where == "u.yaml:3");
    CHECK(unknown.error().field == "alerts.pager");
    CHECK(unknown.error().rule == "config.unknown-key");

    auto type = config::parse_yaml("replication:\n  max_failed_runs: three\n", "t.yaml");
    REQUIRE(!type);
    CHECK(type.error().where == "t.yaml:2");
    CHECK(type.error().message.find("integer") != std::string::npos);

    auto list = config::parse_yaml("alerts:\n  command: /bin/true\n", "l.yaml");
    REQUIRE(!list);
    CHECK(list.error().field == "alerts.command");

    auto syntax = config::parse_yaml("root: [\n", "s.yaml");
    REQUIRE(!syntax);
    CHECK(syntax.error().rule == "config.syntax");
  }

  TEST_CASE("durations")
  {
    CHECK(config::parse_duration("45s").value().count() == 45);
    CHECK(config::parse_duration("90m").value().count() == 5400);
    CHECK(config::parse_duration("24h").value().count() == 86400);
    CHECK(config::parse_duration("30d").value().count() == 30 * 86400);
    CHECK(!config::parse_duration("30"));
    CHECK(!config::parse_duration("-3d"));
    CHECK(!config::parse_duration("3y"));
    CHECK(!config::parse_duration(""));
  }

  TEST_CASE("URLs are redacted")
  {
    CHECK(config::redact_url("smtp://u:secret@mail.example.org:587") ==
          "smtp://u:***@mail.example.org:587");
    CHECK(config::redact_url("https://chat.example.org/hooks/abc", true) ==
          "https://chat.example.org/***");
    CHECK(config::redact_url("ftps://u@h/x") == "ftps://u@h/x");
    CHECK(config::redact_url("not a url") == "not a url");
  }

  TEST_CASE("redacted view masks sensitive keys")
  {
    auto c = config::parse_yaml("alerts:\n  webhook: {url: 'https://chat.example.org/hooks/T0K'}\n",
                                "w.yaml");
    REQUIRE(c);
    auto r = c->redacted();
    CHECK(r["alerts.webhook.url"]["value"] == "https://chat.example.org/***");
    CHECK(r["alerts.webhook.url"]["origin"] == "w.yaml:2");
  }
}
