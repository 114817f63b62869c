// lx_script_session: runs an app directory or a built-in test app through
// the fixed scripted session and prints the transcript on stdout. The
// cross-process determinism tests run it twice and compare the bytes.
//
//   lx_script_session (--app DIR | --builtin NAME) [--seed N] [--heap-mib N]
//                     [--base-index K] [-- ARGS...]
#include <cstdlib>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include "builtin_apps.h"
#include "script_session.h"
#include "source_blob_builder.h"

int main(int argc, char** argv) {
  std::map<std::string, std::string> files;
  std::vector<std::string> args;
  lx::test::SessionOptions options;
  bool have_app = false;
  try {
    for (int i = 1; i < argc; ++i) {
      std::string flag = argv[i];
      if (flag == "--") {
        for (++i; i < argc; ++i) args.emplace_back(argv[i]);
        break;
      }
      if (i + 1 >= argc) throw std::invalid_argument(flag + " needs a value");
      std::string value = argv[++i];
      if (flag == "--app") {
        files = lx::test::read_app_directory(value);
        have_app = true;
      } else if (flag == "--builtin") {
        files = lx::test::builtin_app(value);
        have_app = true;
      } else if (flag == "--seed") {
        options.seed = std::stoull(value);
      } else if (flag == "--heap-mib") {
        options.heap_bytes = std::stoull(value) << 20;
      } else if (flag == "--base-index") {
        options.base = lx::test::region_base(std::stoi(value));
      } else {
        throw std::invalid_argument("unknown flag " + flag);
      }
    }
    if (!have_app) throw std::invalid_argument("give --app DIR or --builtin NAME");
  } catch (const std::exception& e) {
    std::cerr << "lx_script_session: error: " << e.what()
              << "; usage: lx_script_session (--app DIR | --builtin NAME) [--seed N] "
                 "[--heap-mib N] [--base-index K] [-- ARGS...]\n";
    return 2;
  }
  try {
    lx::test::run_script_session(files, args, options, std::cout);
  } catch (const std::exception& e) {
    std::cerr << "lx_script_session: error: " << e.what() << "\n";
    return 4;
  }
  return 0;
}
