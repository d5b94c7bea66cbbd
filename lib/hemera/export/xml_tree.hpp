// SPDX-License-Identifier: Apache-2.0
// Small helpers over libxml2's tree API shared by the converters and the CSW
// server: every text and attribute value goes through interop::xml_text, and
// libxml2 escapes markup.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <libxml/tree.h>

namespace hemera::interop::tree {

// An owned libxml2 document.
using Doc = std::unique_ptr<xmlDoc, decltype(&xmlFreeDoc)>;

// View a C string as libxml2's character type.
inline const xmlChar* X(const char* s)
{
  return reinterpret_cast<const xmlChar*>(s);
}

// Append element `name` (namespace `ns`) with escaped `text` (none when nullptr).
xmlNodePtr el(xmlNodePtr parent, xmlNsPtr ns, const char* name, const std::string* text = nullptr);

// Append element `name` (namespace `ns`) with escaped `text`.
xmlNodePtr el(xmlNodePtr parent, xmlNsPtr ns, const char* name, const std::string& text);

// Set attribute `name` to the escaped `value`.
void attr(xmlNodePtr node, const char* name, const std::string& value);

// Set attribute `name` in namespace `ns` to the escaped `value`.
void attr(xmlNodePtr node, xmlNsPtr ns, const char* name, const std::string& value);

// Return the namespace `href` in scope at `node`, declaring it there if needed.
xmlNsPtr ns_at(xmlNodePtr node, const char* href, const char* prefix);

// Serialise `doc` as indented UTF-8 with an XML declaration.
std::string serialize(xmlDocPtr doc);

// Return the element children of `n`, in document order.
std::vector<xmlNodePtr> children(xmlNodePtr n);

// Return whether `n` is the element `name` in namespace `ns`.
bool is(xmlNodePtr n, const char* ns, const char* name);

// Return the value of attribute `name`, or "".
std::string prop(xmlNodePtr n, const char* name);

}  // namespace hemera::interop::tree
