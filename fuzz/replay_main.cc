// A main() for a fuzz harness outside libFuzzer: runs it over every file
// named (or inside a folder named), so the normal test passes (gcc, release
// and ASan) replay the regression corpus without the clang build.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
// Defined by the harnesses that prepare state once per process.
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc, char*** argv);

namespace {

namespace fs = std::filesystem;

// The files of path: itself, or those directly in it (sorted); a folder
// that does not exist holds none (a target without findings yet).
std::vector<fs::path> inputs_of(const fs::path& path) {
  std::error_code error;
  if (!fs::is_directory(path, error)) {
    if (fs::exists(path, error)) return {path};
    return {};
  }
  std::vector<fs::path> files;
  for (const fs::directory_entry& entry : fs::directory_iterator(path, error))
    if (entry.is_regular_file()) files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  return files;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr,
                 "%s: error: no inputs: no file or folder named; pass the target's "
                 "fuzz/regress/TARGET folder\n",
                 argv[0]);
    return 2;
  }
  if (LLVMFuzzerInitialize != nullptr) LLVMFuzzerInitialize(&argc, &argv);
  size_t count = 0;
  for (int i = 1; i < argc; ++i) {
    for (const fs::path& file : inputs_of(argv[i])) {
      std::ifstream in(file, std::ios::binary);
      const std::vector<char> bytes{std::istreambuf_iterator<char>(in),
                                    std::istreambuf_iterator<char>()};
      if (!in.good() && !in.eof()) {
        std::fprintf(stderr, "%s: error: %s: cannot be read; check its permissions\n", argv[0],
                     file.c_str());
        return 3;
      }
      // A harness that finds a defect aborts, which fails the test.
      std::fprintf(stderr, "%s: running %s (%zu bytes)\n", argv[0], file.c_str(), bytes.size());
      LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
      ++count;
    }
  }
  std::printf("%s: %zu inputs passed\n", argv[0], count);
  return 0;
}
