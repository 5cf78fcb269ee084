#include "server/tokens/master_key.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "server/testing/gateway_test_support.h"

namespace ztm::server {
namespace {

using testing::TempDir;

void WriteFile(const std::string& path, const std::string& content, mode_t mode) {
  { std::ofstream(path, std::ios::binary | std::ios::trunc) << content; }
  ::chmod(path.c_str(), mode);
}

TEST(MasterKey, CreatedWith0600AndReadBack) {
  TempDir dir;
  const std::string path = dir.File("master.key");
  auto created = LoadOrCreateMasterKey(path);
  ASSERT_TRUE(created.ok()) << created.error().message;
  EXPECT_EQ(created->size(), kMasterKeyBytes);
  struct stat info {};
  ASSERT_EQ(::stat(path.c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600);
  EXPECT_EQ(info.st_size, 32);
  auto again = LoadOrCreateMasterKey(path);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(*again == *created);  // read, not regenerated
  auto loaded = LoadMasterKey(path);
  ASSERT_TRUE(loaded.ok());
  EXPECT_TRUE(*loaded == *created);
}

TEST(MasterKey, MissingFileIsRefusedByLoad) {
  TempDir dir;
  auto loaded = LoadMasterKey(dir.File("absent.key"));
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.code(), Code::kMasterKeyInvalid);
}

TEST(MasterKey, WrongSizeIsRefused) {
  TempDir dir;
  const std::string path = dir.File("short.key");
  WriteFile(path, std::string(31, 'k'), 0600);
  auto loaded = LoadOrCreateMasterKey(path);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.code(), Code::kMasterKeyInvalid);
  EXPECT_NE(loaded.error().message.find("32 bytes"), std::string::npos);
  WriteFile(path, std::string(33, 'k'), 0600);
  EXPECT_FALSE(LoadMasterKey(path).ok());
}

TEST(MasterKey, GroupOrWorldAccessIsRefused) {
  TempDir dir;
  const std::string path = dir.File("open.key");
  WriteFile(path, std::string(32, 'k'), 0640);
  auto loaded = LoadMasterKey(path);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.code(), Code::kMasterKeyInvalid);
  EXPECT_NE(loaded.error().message.find("chmod 600"), std::string::npos);
  WriteFile(path, std::string(32, 'k'), 0604);
  EXPECT_FALSE(LoadMasterKey(path).ok());
  WriteFile(path, std::string(32, 'k'), 0600);
  EXPECT_TRUE(LoadMasterKey(path).ok());
}

TEST(MasterKey, DirectoryIsRefused) {
  TempDir dir;
  const std::string path = dir.File("keydir");
  ASSERT_EQ(::mkdir(path.c_str(), 0700), 0);
  EXPECT_FALSE(LoadOrCreateMasterKey(path).ok());
}

TEST(MasterKey, ErrorsNeverContainTheKey) {
  TempDir dir;
  const std::string path = dir.File("leaky.key");
  const std::string secret = "SECRETSECRETSECRETSECRETSECRET!";  // 31 bytes
  WriteFile(path, secret, 0600);
  auto loaded = LoadMasterKey(path);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.error().message.find("SECRET"), std::string::npos);
}

}  // namespace
}  // namespace ztm::server
