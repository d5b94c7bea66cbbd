// SPDX-License-Identifier: Apache-2.0
#include <hemera/export/xml_tree.hpp>

#include <hemera/export/export.hpp>

namespace hemera::interop::tree {

xmlNodePtr el(xmlNodePtr parent, xmlNsPtr ns, const char* name, const std::string* text)
{
  if (text == nullptr) {
    return xmlNewChild(parent, ns, X(name), nullptr);
  }
  std::string c = xml_text(*text);
  return xmlNewTextChild(parent, ns, X(name), X(c.c_str()));
}

xmlNodePtr el(xmlNodePtr parent, xmlNsPtr ns, const char* name, const std::string& text)
{
  return el(parent, ns, name, &text);
}

void attr(xmlNodePtr node, const char* name, const std::string& value)
{
  std::string c = xml_text(value);
  xmlSetProp(node, X(name), X(c.c_str()));
}

void attr(xmlNodePtr node, xmlNsPtr ns, const char* name, const std::string& value)
{
  std::string c = xml_text(value);
  xmlSetNsProp(node, ns, X(name), X(c.c_str()));
}

xmlNsPtr ns_at(xmlNodePtr node, const char* href, const char* prefix)
{
  if (xmlNsPtr n = xmlSearchNsByHref(node->doc, node, X(href)); n != nullptr) {
    return n;
  }
  return xmlNewNs(node, X(href), X(prefix));
}

std::string serialize(xmlDocPtr doc)
{
  xmlChar* mem = nullptr;
  int size = 0;
  xmlDocDumpFormatMemoryEnc(doc, &mem, &size, "UTF-8", 1);
  std::string out(mem != nullptr ? reinterpret_cast<const char*>(mem) : "", static_cast<std::size_t>(size));
  xmlFree(mem);
  return out;
}

std::vector<xmlNodePtr> children(xmlNodePtr n)
{
  std::vector<xmlNodePtr> out;
  for (xmlNodePtr c = n != nullptr ? n->children : nullptr; c != nullptr; c = c->next) {
    if (c->type == XML_ELEMENT_NODE) {
      out.push_back(c);
    }
  }
  return out;
}

bool is(xmlNodePtr n, const char* ns, const char* name)
{
  return n != nullptr && n->type == XML_ELEMENT_NODE && n->ns != nullptr && xmlStrEqual(n->ns->href, X(ns)) &&
         xmlStrEqual(n->name, X(name));
}

std::string prop(xmlNodePtr n, const char* name)
{
  xmlChar* c = xmlGetProp(n, X(name));
  std::string s = c != nullptr ? reinterpret_cast<const char*>(c) : "";
  xmlFree(c);
  return s;
}

}  // namespace hemera::interop::tree
