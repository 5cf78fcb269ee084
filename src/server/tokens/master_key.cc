#include "server/tokens/master_key.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/crypto/crypto.h"

namespace ztm::server {
namespace {

Error Invalid(const std::string& path, const std::string& reason) {
  return Error{Code::kMasterKeyInvalid, "master key " + path + ": " + reason};
}

// Closes a file descriptor on every return path.
class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

Status CreateKeyFile(const std::string& path) {
  FileDescriptor fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
                           S_IRUSR | S_IWUSR));
  if (fd.get() < 0) {
    // Someone else created it first: read theirs.
    if (errno == EEXIST) return OkStatus();
    return Invalid(path, std::string("cannot create: ") + std::strerror(errno));
  }
  Secret key = crypto::RandomSecret(kMasterKeyBytes);
  std::size_t written = 0;
  while (written < key.size()) {
    ssize_t n = ::write(fd.get(), key.data() + written, key.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::unlink(path.c_str());
      return Invalid(path, std::string("cannot write: ") + std::strerror(errno));
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd.get()) != 0) {
    ::unlink(path.c_str());
    return Invalid(path, std::string("cannot sync: ") + std::strerror(errno));
  }
  return OkStatus();
}

}  // namespace

Result<Secret> LoadMasterKey(const std::string& path) {
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
  if (fd.get() < 0) return Invalid(path, std::string("cannot open: ") + std::strerror(errno));
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) {
    return Invalid(path, std::string("cannot stat: ") + std::strerror(errno));
  }
  if (!S_ISREG(info.st_mode)) return Invalid(path, "not a regular file");
  if ((info.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    return Invalid(path, "group or others have access (chmod 600 it)");
  }
  if (info.st_size != static_cast<off_t>(kMasterKeyBytes)) {
    return Invalid(path, "must be exactly 32 bytes");
  }
  Bytes key(kMasterKeyBytes);
  std::size_t read_bytes = 0;
  while (read_bytes < key.size()) {
    ssize_t n = ::read(fd.get(), key.data() + read_bytes, key.size() - read_bytes);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      Secret wipe(std::move(key));
      return Invalid(path, "short read");
    }
    read_bytes += static_cast<std::size_t>(n);
  }
  return Secret(std::move(key));
}

Result<Secret> LoadOrCreateMasterKey(const std::string& path) {
  ZTM_RETURN_IF_ERROR(CreateKeyFile(path));
  return LoadMasterKey(path);
}

}  // namespace ztm::server
