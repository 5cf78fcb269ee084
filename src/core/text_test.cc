// ForMessage: untrusted text in error messages is bounded, printable and unambiguous.
#include "core/text.h"

#include <gtest/gtest.h>

#include <string>

namespace ztm {
namespace {

TEST(ForMessage, KeepsPrintableAsciiAsIs) {
  EXPECT_EQ(ForMessage(""), "");
  EXPECT_EQ(ForMessage("P-384"), "P-384");
  EXPECT_EQ(ForMessage("a b~!{}[]'`"), "a b~!{}[]'`");
}

TEST(ForMessage, EscapesControlNonAsciiQuoteAndBackslash) {
  EXPECT_EQ(ForMessage("EC\nkty=\"x\"\r"), "EC\\x0Akty=\\x22x\\x22\\x0D");
  EXPECT_EQ(ForMessage(std::string("a\0b", 3)), "a\\x00b");
  EXPECT_EQ(ForMessage("\x1b[31m\x7f"), "\\x1B[31m\\x7F");
  EXPECT_EQ(ForMessage("caf\xc3\xa9"), "caf\\xC3\\xA9");
  // A literal "\x41" cannot pass for an escaped byte.
  EXPECT_EQ(ForMessage("\\x41"), "\\x5Cx41");
  EXPECT_NE(ForMessage("\\x41"), ForMessage("A"));
}

TEST(ForMessage, TruncatesLongText) {
  EXPECT_EQ(ForMessage(std::string(kMaxShownBytes, 'a')), std::string(kMaxShownBytes, 'a'));
  EXPECT_EQ(ForMessage(std::string(kMaxShownBytes + 1, 'a')),
            std::string(kMaxShownBytes, 'a') + "...");
  const std::string shown = ForMessage(std::string(100000, '\n'));
  EXPECT_EQ(shown.size(), kMaxShownBytes * 4 + 3);
  for (const char c : ForMessage(std::string(300, '\x01') + "\xff\x80")) {
    EXPECT_TRUE(c >= 0x20 && c <= 0x7e);
  }
}

}  // namespace
}  // namespace ztm
