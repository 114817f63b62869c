// The app source digest in a log header is SHA-256: check it against the
// FIPS 180-4 examples, including inputs that end exactly at a padding edge.
#include "sha256.h"

#include <catch2/catch.hpp>
#include <string>

namespace {

std::string hex_digest(const std::string& text) {
  const auto digest =
      lx::driver::Sha256::of({reinterpret_cast<const uint8_t*>(text.data()), text.size()});
  static const char kHex[] = "0123456789abcdef";
  std::string out;
  for (uint8_t byte : digest) {
    out += kHex[byte >> 4];
    out += kHex[byte & 15];
  }
  return out;
}

}  // namespace

TEST_CASE("sha256 matches the FIPS 180-4 examples", "[driver][sha256]") {
  CHECK(hex_digest("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(hex_digest("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(hex_digest("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  CHECK(hex_digest(std::string(1000000, 'a')) ==
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("sha256 pads inputs of 55, 56 and 64 bytes correctly", "[driver][sha256]") {
  // 55 bytes leave room for the length in the last block; 56 do not.
  CHECK(hex_digest(std::string(55, 'a')) ==
        "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318");
  CHECK(hex_digest(std::string(56, 'a')) ==
        "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a");
  CHECK(hex_digest(std::string(64, 'a')) ==
        "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb");
}
