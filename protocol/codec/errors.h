// Decode errors carry where they happened: API, version and the path of the field.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace fjord::proto {

class DecodeError : public std::exception {
 public:
  explicit DecodeError(std::string reason) : reason_(std::move(reason)) { rebuild(); }

  // Called while the error unwinds through the generated decoders, innermost field first.
  void prepend_field(const char* name) {
    field_path_ = field_path_.empty() ? std::string(name) : std::string(name) + "." + field_path_;
    rebuild();
  }
  void set_message(std::string message_name, int16_t version) {
    message_ = std::move(message_name);
    version_ = version;
    rebuild();
  }

  const std::string& reason() const { return reason_; }
  const std::string& field_path() const { return field_path_; }
  const std::string& message() const { return message_; }
  int16_t version() const { return version_; }
  const char* what() const noexcept override { return what_.c_str(); }

 private:
  void rebuild() {
    what_.clear();
    if (!message_.empty()) what_ += message_ + " v" + std::to_string(version_) + ": ";
    if (!field_path_.empty()) what_ += "field " + field_path_ + ": ";
    what_ += reason_;
  }
  std::string reason_, field_path_, message_, what_;
  int16_t version_ = -1;
};

}  // namespace fjord::proto
