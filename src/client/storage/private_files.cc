// Owner-only files and directories with atomic replacement (see private_files.h).
#include "client/storage/private_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/crypto/crypto.h"
#include "core/encoding.h"

namespace ztm::client {
namespace {

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

Error SystemError(std::string_view what, const std::string& path) {
  return Error{Code::kInternal, std::string(what) + " " + path + ": " + std::strerror(errno)};
}

std::string Join(const std::string& directory, std::string_view name) {
  return directory + "/" + std::string(name);
}

// The checks ssh applies to a private key: ours, and nobody else can read or write it.
Status CheckOwnerOnly(const struct stat& info, const std::string& path) {
  if (info.st_uid != ::geteuid()) {
    return Error{Code::kKeyStoreInsecure, path + " is owned by another user"};
  }
  if ((info.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    return Error{Code::kKeyStoreInsecure,
                 path +
                     " is accessible to group or others (chmod go= it, and assume its "
                     "content was read)"};
  }
  return OkStatus();
}

Status SyncDirectory(const std::string& directory) {
  FileDescriptor fd(::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return SystemError("cannot open directory", directory);
  if (::fsync(fd.get()) != 0) return SystemError("cannot sync directory", directory);
  return OkStatus();
}

Status WriteAll(int fd, ByteView content, const std::string& path) {
  std::size_t written = 0;
  while (written < content.size()) {
    ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return SystemError("cannot write", path);
    written += static_cast<std::size_t>(n);
  }
  return OkStatus();
}

}  // namespace

Status EnsurePrivateDirectory(const std::string& path, bool create) {
  struct stat info {};
  if (::lstat(path.c_str(), &info) != 0) {
    if (errno != ENOENT) return SystemError("cannot stat", path);
    if (!create) return Error{Code::kInvalidArgument, path + " does not exist"};
    if (::mkdir(path.c_str(), S_IRWXU) != 0 && errno != EEXIST) {
      return SystemError("cannot create directory", path);
    }
    if (::lstat(path.c_str(), &info) != 0) return SystemError("cannot stat", path);
  }
  if (S_ISLNK(info.st_mode)) return Error{Code::kKeyStoreInsecure, path + " is a symlink"};
  if (!S_ISDIR(info.st_mode)) return Error{Code::kKeyStoreInsecure, path + " is not a directory"};
  return CheckOwnerOnly(info, path);
}

Result<std::optional<Bytes>> ReadPrivateFile(const std::string& directory, std::string_view name,
                                             std::size_t max_bytes) {
  const std::string path = Join(directory, name);
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
  if (fd.get() < 0) {
    if (errno == ENOENT) return std::optional<Bytes>();
    if (errno == ELOOP) return Error{Code::kKeyStoreInsecure, path + " is a symlink"};
    return SystemError("cannot open", path);
  }
  struct stat info {};
  if (::fstat(fd.get(), &info) != 0) return SystemError("cannot stat", path);
  if (!S_ISREG(info.st_mode)) return Error{Code::kKeyStoreInsecure, path + " is not a file"};
  ZTM_RETURN_IF_ERROR(CheckOwnerOnly(info, path));
  if (static_cast<std::size_t>(info.st_size) > max_bytes) {
    return Error{Code::kVaultCorrupt, path + " is larger than any file ztm writes there"};
  }
  // Read one byte past the bound, so a file that grew after fstat is still caught.
  Bytes content(max_bytes + 1);
  std::size_t total = 0;
  while (total < content.size()) {
    ssize_t n = ::read(fd.get(), content.data() + total, content.size() - total);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return SystemError("cannot read", path);
    if (n == 0) break;
    total += static_cast<std::size_t>(n);
  }
  if (total > max_bytes) {
    return Error{Code::kVaultCorrupt, path + " is larger than any file ztm writes there"};
  }
  content.resize(total);
  return std::optional<Bytes>(std::move(content));
}

Status WritePrivateFile(const std::string& directory, std::string_view name, ByteView content,
                        WriteMode mode) {
  const std::string path = Join(directory, name);
  // A random temporary name: two writers never share one, and leftovers of a crash never
  // match the suffix a store lists.
  const std::string temporary = Join(directory, ".tmp-" + HexEncode(crypto::RandomBytes(8)));
  {
    FileDescriptor fd(::open(temporary.c_str(),
                             O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW,
                             S_IRUSR | S_IWUSR));
    if (fd.get() < 0) return SystemError("cannot create", temporary);
    // The umask can only clear bits of 0600; fchmod makes the mode exact whatever it is.
    Status written = ::fchmod(fd.get(), S_IRUSR | S_IWUSR) == 0
                         ? WriteAll(fd.get(), content, temporary)
                         : Status(SystemError("cannot chmod", temporary));
    if (written.ok() && ::fsync(fd.get()) != 0) written = SystemError("cannot sync", temporary);
    if (!written.ok()) {
      ::unlink(temporary.c_str());
      return written;
    }
  }
  if (mode == WriteMode::kReplace) {
    if (::rename(temporary.c_str(), path.c_str()) != 0) {
      Error error = SystemError("cannot rename onto", path);
      ::unlink(temporary.c_str());
      return error;
    }
  } else {
    // link() fails with EEXIST instead of replacing, so two creators of one name cannot
    // overwrite each other.
    if (::link(temporary.c_str(), path.c_str()) != 0) {
      const int link_errno = errno;
      ::unlink(temporary.c_str());
      if (link_errno == EEXIST) return Error{Code::kKeyExists, path + " already exists"};
      errno = link_errno;
      return SystemError("cannot create", path);
    }
    ::unlink(temporary.c_str());
  }
  return SyncDirectory(directory);
}

Result<bool> RemovePrivateFile(const std::string& directory, std::string_view name) {
  const std::string path = Join(directory, name);
  if (::unlink(path.c_str()) != 0) {
    if (errno == ENOENT) return false;
    return SystemError("cannot remove", path);
  }
  ZTM_RETURN_IF_ERROR(SyncDirectory(directory));
  return true;
}

Result<std::vector<std::string>> ListPrivateFiles(const std::string& directory,
                                                  std::string_view suffix) {
  DIR* dir = ::opendir(directory.c_str());
  if (dir == nullptr) return SystemError("cannot list", directory);
  std::vector<std::string> names;
  errno = 0;
  while (const struct dirent* entry = ::readdir(dir)) {
    std::string_view name = entry->d_name;
    if (name == "." || name == "..") continue;
    if (name.size() > suffix.size() && name.ends_with(suffix)) names.emplace_back(name);
  }
  const int read_errno = errno;
  ::closedir(dir);
  if (read_errno != 0) {
    errno = read_errno;
    return SystemError("cannot list", directory);
  }
  std::sort(names.begin(), names.end());
  return names;
}

Result<bool> DirectoryToWipe(const std::string& directory) {
  struct stat info {};
  if (::lstat(directory.c_str(), &info) != 0) {
    if (errno == ENOENT) return false;
    return SystemError("cannot stat", directory);
  }
  if (!S_ISDIR(info.st_mode)) {
    return Error{Code::kKeyStoreInsecure, directory + " is a symlink or not a directory"};
  }
  return true;
}

Status RemovePrivateDirectory(const std::string& directory) {
  if (::rmdir(directory.c_str()) != 0 && errno != ENOENT) {
    return SystemError("cannot remove directory", directory);
  }
  return OkStatus();
}

}  // namespace ztm::client
