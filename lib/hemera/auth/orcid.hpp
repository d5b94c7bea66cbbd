// SPDX-License-Identifier: Apache-2.0
// ORCID iDs wherever they enter (user names, bindings, sign-in subjects):
// format, ISO 7064 MOD 11-2 check digit, URI forms, production vs sandbox.
#pragma once

#include <string>
#include <string_view>

#include <hemera/error.hpp>

namespace hemera::orcid {

// The ORCID registry an iD belongs to; the two are separate worlds.
enum class Registry { production, sandbox };

// Return the registry of an OpenID issuer URL: sandbox for
// https://sandbox.orcid.org, production for anything else.
Registry registry_of(std::string_view issuer);

// Return the check character (0-9 or X) of the 15 base digits of an iD.
char check_digit(std::string_view base15);

// Return the canonical "dddd-dddd-dddd-dddC" form of an iD given bare,
// compact (16 characters), lower-case x, or as https://orcid.org/<iD> (also
// http://). https://sandbox.orcid.org/<iD> is accepted only for the sandbox
// registry and https://orcid.org/<iD> only for production. Errc::data with
// the reason otherwise.
Result<std::string> parse(std::string_view text, Registry registry = Registry::production);

// Return true if `text` looks like an attempt at an ORCID iD (starts with a
// digit or names an orcid.org URI) rather than a Unix login name.
bool looks_like_orcid(std::string_view text);

// Return the URI form of a canonical iD for `registry`.
std::string uri(std::string_view canonical, Registry registry = Registry::production);

}  // namespace hemera::orcid
