// Files only this user can read: the on-disk layer under the key store, the secure store and
// the encrypted database. Directories are 0700 and files 0600, and an existing directory or
// file that is group- or world-accessible, a symlink, or owned by another user is refused
// (as ssh refuses a readable private key) rather than silently fixed: someone may already
// have read it. Writes are atomic (temporary file, fsync, rename, fsync of the directory), so
// a crash leaves the old file or the new one, never half of one.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.h"
#include "core/error.h"

namespace ztm::client {

// Checks that `path` is a directory owned by this user, not a symlink, with no group or
// other permission bits. If it does not exist and `create` is true, creates it with mode 0700
// (the parent must exist). Fails with kKeyStoreInsecure (wrong type, owner or mode),
// kInvalidArgument (missing and `create` is false) or kInternal.
Status EnsurePrivateDirectory(const std::string& path, bool create);

// Reads the file `directory`/`name`. Returns std::nullopt if it does not exist. Fails with
// kKeyStoreInsecure if it is not a regular file owned by this user with mode 0600 or
// stricter (a symlink is refused: O_NOFOLLOW), kVaultCorrupt if it is larger than
// `max_bytes`, kInternal on an I/O error.
Result<std::optional<Bytes>> ReadPrivateFile(const std::string& directory, std::string_view name,
                                             std::size_t max_bytes);

enum class WriteMode {
  kReplace,    // atomically replace an existing file (rename)
  kCreateNew,  // fail with kKeyExists if the file exists (link, which never replaces)
};

// Writes `content` to `directory`/`name` with mode 0600: a temporary file in the same
// directory, fsync, then rename (kReplace) or link (kCreateNew), then fsync of the directory.
// Fails with kKeyExists (kCreateNew and the file exists) or kInternal.
Status WritePrivateFile(const std::string& directory, std::string_view name, ByteView content,
                        WriteMode mode);

// Unlinks `directory`/`name` and syncs the directory. Returns false if there was no such
// file. Fails with kInternal on other errors.
Result<bool> RemovePrivateFile(const std::string& directory, std::string_view name);

// Names of the entries of `directory` ending in `suffix` (regular entries only, "." and ".."
// excluded), sorted. Fails with kInternal if the directory cannot be read.
Result<std::vector<std::string>> ListPrivateFiles(const std::string& directory,
                                                  std::string_view suffix);

// Checks, before a wipe deletes inside it, that `directory` is a real directory and not a
// symlink that would redirect the deletion. Returns false if it does not exist. Fails with
// kKeyStoreInsecure for a symlink or non-directory. Looser permissions are not refused here:
// a store that became readable must still be wipeable.
Result<bool> DirectoryToWipe(const std::string& directory);

// Removes `directory` itself if it is empty; a missing directory is not an error. Fails with
// kInternal if it cannot be removed (for example, it still holds files ztm did not write).
Status RemovePrivateDirectory(const std::string& directory);

}  // namespace ztm::client
