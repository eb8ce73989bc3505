#include "log/file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>

#include "log/error.h"

namespace fjord::log {

namespace {

[[noreturn]] void fail(const char* op, const std::filesystem::path& p, int err) {
  throw_errno(std::string(op) + " " + p.string(), err);
}

}  // namespace

std::shared_ptr<File> File::open(const std::filesystem::path& path, OpenMode mode) {
  int flags = O_RDWR | O_CLOEXEC;
  if (mode == OpenMode::kCreate) flags |= O_CREAT | O_EXCL;
  if (mode == OpenMode::kAlways) flags |= O_CREAT;
  int fd;
  do {
    fd = ::open(path.c_str(), flags, 0644);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) fail("open", path, errno);
  return std::shared_ptr<File>(new File(fd, path));
}

File::~File() {
  if (fd_ >= 0) ::close(fd_);
}

int64_t File::size() const {
  struct stat st;
  if (::fstat(fd_, &st) != 0) fail("fstat", path_, errno);
  return st.st_size;
}

int64_t File::mtime_ms() const {
  struct stat st;
  if (::fstat(fd_, &st) != 0) fail("fstat", path_, errno);
  return static_cast<int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1000000;
}

size_t File::read_at(std::span<uint8_t> out, int64_t offset) const {
  size_t done = 0;
  while (done < out.size()) {
    ssize_t n = ::pread(fd_, out.data() + done, out.size() - done,
                        static_cast<off_t>(offset + static_cast<int64_t>(done)));
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("pread", path_, errno);
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  return done;
}

void File::read_exact(std::span<uint8_t> out, int64_t offset) const {
  if (read_at(out, offset) != out.size()) {
    throw LogError(LogErrc::kStorage,
                   "short read from " + path_.string() + " at " + std::to_string(offset));
  }
}

void File::write_at(std::span<const uint8_t> data, int64_t offset) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::pwrite(fd_, data.data() + done, data.size() - done,
                         static_cast<off_t>(offset + static_cast<int64_t>(done)));
    if (n < 0) {
      if (errno == EINTR) continue;
      fail("pwrite", path_, errno);
    }
    done += static_cast<size_t>(n);
  }
}

void File::truncate(int64_t size) {
  int rc;
  do {
    rc = ::ftruncate(fd_, static_cast<off_t>(size));
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) fail("ftruncate", path_, errno);
}

void File::datasync() {
  int rc;
  do {
    rc = ::fdatasync(fd_);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) fail("fdatasync", path_, errno);
}

void File::rename_to(const std::filesystem::path& to) {
  if (::rename(path_.c_str(), to.c_str()) != 0) fail("rename", path_, errno);
  path_ = to;
}

void File::unlink() {
  if (::unlink(path_.c_str()) != 0 && errno != ENOENT) fail("unlink", path_, errno);
}

std::vector<uint8_t> FileSlice::read() const {
  std::vector<uint8_t> out(static_cast<size_t>(length));
  if (length == 0) return out;
  size_t n = file->read_at(out, position);
  out.resize(n);
  return out;
}

namespace fs {

void fsync_dir(const std::filesystem::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) fail("open dir", dir, errno);
  int rc;
  do {
    rc = ::fsync(fd);
  } while (rc != 0 && errno == EINTR);
  int err = errno;
  ::close(fd);
  // Some filesystems refuse fsync on directories; that is not a failure to persist.
  if (rc != 0 && err != EINVAL) fail("fsync dir", dir, err);
}

void atomic_write(const std::filesystem::path& path, std::string_view contents) {
  std::filesystem::path tmp = path;
  tmp += ".tmp";
  {
    int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) fail("open", tmp, errno);
    size_t done = 0;
    while (done < contents.size()) {
      ssize_t n = ::write(fd, contents.data() + done, contents.size() - done);
      if (n < 0) {
        if (errno == EINTR) continue;
        int err = errno;
        ::close(fd);
        fail("write", tmp, err);
      }
      done += static_cast<size_t>(n);
    }
    if (::fsync(fd) != 0) {
      int err = errno;
      ::close(fd);
      fail("fsync", tmp, err);
    }
    ::close(fd);
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) fail("rename", tmp, errno);
  fsync_dir(path.has_parent_path() ? path.parent_path() : std::filesystem::path("."));
}

std::optional<std::string> read_if_exists(const std::filesystem::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return std::nullopt;
    fail("open", path, errno);
  }
  std::string out;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      fail("read", path, err);
    }
    if (n == 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  return out;
}

bool exists(const std::filesystem::path& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) return true;
  if (errno == ENOENT || errno == ENOTDIR) return false;
  fail("stat", path, errno);
}

bool is_directory(const std::filesystem::path& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) return S_ISDIR(st.st_mode);
  if (errno == ENOENT || errno == ENOTDIR) return false;
  fail("stat", path, errno);
}

void remove_file(const std::filesystem::path& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) fail("unlink", path, errno);
}

void rename(const std::filesystem::path& from, const std::filesystem::path& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) fail("rename", from, errno);
}

void remove_tree(const std::filesystem::path& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
  if (ec) fail("remove", path, ec.value());
}

void make_dirs(const std::filesystem::path& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) fail("mkdir", path, ec.value());
}

std::vector<std::string> list_dir(const std::filesystem::path& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) fail("list", dir, ec.value());
  for (; it != std::filesystem::directory_iterator(); it.increment(ec)) {
    names.push_back(it->path().filename().string());
  }
  if (ec) fail("list", dir, ec.value());
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace fs

}  // namespace fjord::log
