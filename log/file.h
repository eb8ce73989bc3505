// Thin RAII wrappers over POSIX file I/O for the storage layer. Everything that can fail
// throws LogError(kStorage) with the path and errno text; nothing here aborts.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace fjord::log {

// An open file descriptor. Segments and read slices share ownership through
// std::shared_ptr<File>, so a descriptor stays open until the last slice that refers to it
// is gone, even if the segment was deleted in the meantime.
class File {
 public:
  enum class OpenMode {
    kExisting,  // open read-write; fail if missing
    kCreate,    // create read-write; fail if it exists
    kAlways,    // open read-write, creating if missing
  };

  static std::shared_ptr<File> open(const std::filesystem::path& path, OpenMode mode);
  ~File();
  File(const File&) = delete;
  File& operator=(const File&) = delete;

  int fd() const { return fd_; }
  const std::filesystem::path& path() const { return path_; }

  int64_t size() const;
  int64_t mtime_ms() const;

  // Reads up to out.size() bytes at `offset`; returns fewer only at end of file.
  size_t read_at(std::span<uint8_t> out, int64_t offset) const;
  // Reads exactly out.size() bytes or throws (a short read is a storage error here).
  void read_exact(std::span<uint8_t> out, int64_t offset) const;
  // Writes all of `data` at `offset`.
  void write_at(std::span<const uint8_t> data, int64_t offset);
  void truncate(int64_t size);
  // fdatasync: the data and whatever metadata is needed to read it back (the size).
  void datasync();

  // Renames the file on disk; the descriptor stays valid and path() follows.
  void rename_to(const std::filesystem::path& to);
  // Unlinks the file; the descriptor stays open until the last owner goes away.
  void unlink();

 private:
  File(int fd, std::filesystem::path path) : fd_(fd), path_(std::move(path)) {}
  int fd_;
  std::filesystem::path path_;
};

// A byte range of an open file: what a read returns, ready for sendfile(2) (use fd(),
// position and length) or to be copied out with read().
struct FileSlice {
  std::shared_ptr<const File> file;
  int64_t position = 0;
  int64_t length = 0;

  bool empty() const { return length == 0; }
  int fd() const { return file ? file->fd() : -1; }
  // Copies the bytes out. A slice whose file was truncated underneath comes back short.
  std::vector<uint8_t> read() const;
};

// Filesystem helpers with LogError reporting.
namespace fs {

void fsync_dir(const std::filesystem::path& dir);
// Writes `contents` to `path` so that a crash leaves the old or the new file: write
// <path>.tmp, fsync it, rename it over `path`, fsync the directory.
void atomic_write(const std::filesystem::path& path, std::string_view contents);
// The whole file, or nullopt if it does not exist.
std::optional<std::string> read_if_exists(const std::filesystem::path& path);
bool exists(const std::filesystem::path& path);
// Removes a file; a missing file is not an error.
void remove_file(const std::filesystem::path& path);
void rename(const std::filesystem::path& from, const std::filesystem::path& to);
void remove_tree(const std::filesystem::path& path);
// Creates the directory (and parents) if missing.
void make_dirs(const std::filesystem::path& path);
// Entries of a directory (names only), sorted.
std::vector<std::string> list_dir(const std::filesystem::path& dir);
bool is_directory(const std::filesystem::path& path);

}  // namespace fs

}  // namespace fjord::log
