// SPDX-License-Identifier: Apache-2.0
// Completion scripts generated from the CLI11 model, so they cannot drift.
#include <hemera/cli/tool.hpp>

#include <algorithm>

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace hemera::cli {

namespace {

struct Opt {
  std::string long_name;   // "--count"
  std::string short_name;  // "-n" or empty
  std::string description;
  bool takes_value = false;
  bool is_file = false;
};

struct Command {
  std::string name;  // empty for the top level
  std::string description;
  std::vector<Opt> options;
};

std::vector<Opt> options_of(const CLI::App* app)
{
  std::vector<Opt> out;
  for (const CLI::Option* o : app->get_options([](const CLI::Option* opt) {
         return opt->nonpositional() && !opt->get_group().empty();
       })) {
    for (const auto& l : o->get_lnames()) {
      Opt opt;
      opt.long_name = "--" + l;
      if (!o->get_snames().empty()) {
        opt.short_name = "-" + o->get_snames().front();
      }
      opt.description = o->get_description();
      opt.takes_value = o->get_items_expected_max() != 0 && o->get_type_size_max() != 0;
      std::string type = o->get_type_name();
      opt.is_file = type == "FILE" || type == "DIR" || type == "PATH";
      out.push_back(opt);
    }
  }
  return out;
}

std::vector<Command> model(const CLI::App& app)
{
  std::vector<Command> out;
  out.push_back(Command{"", app.get_description(), options_of(&app)});
  for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
    auto opts = options_of(sub);
    out.push_back(Command{sub->get_name(), sub->get_description(), opts});
  }
  return out;
}

std::string ident(const std::string& name)
{
  std::string out;
  for (char c : name) {
    out += (c == '-') ? '_' : c;
  }
  return out;
}

std::string quote_single(const std::string& s)
{
  std::string out;
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out;
}

std::string bash(const std::vector<Command>& cmds, const std::string& name)
{
  std::string subs;
  for (const auto& c : cmds) {
    if (!c.name.empty()) {
      subs += (subs.empty() ? "" : " ") + c.name;
    }
  }
  std::string out = fmt::format("# bash completion for {} (generated)\n_{}()\n{{\n", name, ident(name));
  out += "  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} sub= w\n";
  out += "  for w in \"${COMP_WORDS[@]:1:COMP_CWORD-1}\"; do\n";
  if (!subs.empty()) {
    out += fmt::format("    case $w in {}) sub=$w ;; esac\n", [&] {
      std::string alt = subs;
      for (auto& ch : alt) {
        if (ch == ' ') {
          ch = '|';
        }
      }
      return alt;
    }());
  } else {
    out += "    :\n";
  }
  out += "  done\n";
  // Options taking a file or directory complete paths.
  std::vector<std::string> file_list;
  for (const auto& c : cmds) {
    for (const auto& o : c.options) {
      if (o.is_file && std::find(file_list.begin(), file_list.end(), o.long_name) == file_list.end()) {
        file_list.push_back(o.long_name);
      }
    }
  }
  std::string file_opts = fmt::format("{}", fmt::join(file_list, "|"));
  if (!file_opts.empty()) {
    out += fmt::format("  case $prev in {}) COMPREPLY=($(compgen -f -- \"$cur\")); return ;; esac\n",
                       file_opts);
  }
  out += "  local words\n  case $sub in\n";
  for (const auto& c : cmds) {
    // A subcommand offers its own options, then the common ones, each once.
    std::vector<std::string> words;
    auto add = [&](const std::string& w) {
      if (std::find(words.begin(), words.end(), w) == words.end()) {
        words.push_back(w);
      }
    };
    if (c.name.empty() && !subs.empty()) {
      add(subs);
    }
    for (const auto& o : c.options) {
      add(o.long_name);
    }
    for (const auto& o : cmds.front().options) {
      add(o.long_name);
    }
    out += fmt::format("    {}) words='{}' ;;\n", c.name.empty() ? std::string("''") : c.name,
                       fmt::join(words, " "));
  }
  out += "  esac\n";
  out += "  if [[ $cur == -* || -z $sub ]]; then\n";
  out += "    COMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n";
  out += "  else\n    COMPREPLY=($(compgen -f -- \"$cur\"))\n  fi\n}\n";
  out += fmt::format("complete -F _{} {}\n", ident(name), name);
  return out;
}

std::string zsh_spec(const Opt& o)
{
  std::string desc = quote_single(o.description);
  for (auto& ch : desc) {
    if (ch == '[' || ch == ']' || ch == ':') {
      ch = ' ';
    }
  }
  std::string action = o.takes_value ? (o.is_file ? ":value:_files" : ":value:") : "";
  if (!o.short_name.empty()) {
    return fmt::format("    '({0} {1})'{{{0},{1}}}'[{2}]{3}' \\\n", o.short_name, o.long_name, desc,
                       action);
  }
  return fmt::format("    '{}[{}]{}' \\\n", o.long_name, desc, action);
}

std::string zsh(const std::vector<Command>& cmds, const std::string& name)
{
  std::string out = fmt::format("#compdef {}\n# zsh completion for {} (generated)\n\n", name, name);
  out += fmt::format("_{}() {{\n  local curcontext=\"$curcontext\" state line\n", ident(name));
  bool has_subs = cmds.size() > 1;
  out += "  _arguments -C \\\n";
  for (const auto& o : cmds.front().options) {
    out += zsh_spec(o);
  }
  if (has_subs) {
    out += "    '1:command:->command' \\\n    '*::arg:->args'\n";
    out += "  case $state in\n    command)\n      local -a commands\n      commands=(\n";
    for (const auto& c : cmds) {
      if (!c.name.empty()) {
        out += fmt::format("        '{}:{}'\n", c.name, quote_single(c.description));
      }
    }
    out += "      )\n      _describe 'command' commands ;;\n    args)\n      case $line[1] in\n";
    for (const auto& c : cmds) {
      if (c.name.empty()) {
        continue;
      }
      out += fmt::format("        {})\n          _arguments \\\n", c.name);
      for (const auto& o : c.options) {
        out += "  " + zsh_spec(o);
      }
      out += "            '*:file:_files' ;;\n";
    }
    out += "      esac ;;\n  esac\n";
  } else {
    out += "    '*:file:_files'\n";
  }
  out += "}\n\n";
  out += fmt::format("_{} \"$@\"\n", ident(name));
  return out;
}

std::string fish(const std::vector<Command>& cmds, const std::string& name)
{
  std::string out = fmt::format("# fish completion for {} (generated)\n", name);
  std::string subs;
  for (const auto& c : cmds) {
    if (!c.name.empty()) {
      subs += (subs.empty() ? "" : " ") + c.name;
    }
  }
  for (const auto& c : cmds) {
    std::string cond;
    if (c.name.empty()) {
      cond = "";
    } else {
      out += fmt::format("complete -c {} -f -n '__fish_use_subcommand' -a {} -d '{}'\n", name, c.name,
                         quote_single(c.description));
      cond = fmt::format(" -n '__fish_seen_subcommand_from {}'", c.name);
    }
    for (const auto& o : c.options) {
      out += fmt::format("complete -c {}{} -l {}", name, cond, o.long_name.substr(2));
      if (!o.short_name.empty()) {
        out += fmt::format(" -s {}", o.short_name.substr(1));
      }
      if (o.takes_value) {
        out += o.is_file ? " -r -F" : " -r";
      }
      out += fmt::format(" -d '{}'\n", quote_single(o.description));
    }
  }
  return out;
}

}  // namespace

Result<std::string> completion_script(const CLI::App& app, const std::string& name,
                                      const std::string& shell)
{
  auto cmds = model(app);
  if (shell == "bash") {
    return bash(cmds, name);
  }
  if (shell == "zsh") {
    return zsh(cmds, name);
  }
  if (shell == "fish") {
    return fish(cmds, name);
  }
  if (shell == "options") {
    std::string out;
    for (const auto& c : cmds) {
      for (const auto& o : c.options) {
        out += o.long_name + "\n";
      }
    }
    return out;
  }
  return fail(Errc::usage, fmt::format("unknown shell '{}' (bash, zsh, fish)", shell), {},
              "--generate-completion");
}

}  // namespace hemera::cli
