// CRC32C (Castagnoli polynomial 0x1EDC6F41, reflected 0x82F63B78), the checksum
// that protects a v2 record batch from the attributes field to the batch end.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace fjord::records {

// Extends a running CRC32C. Start with crc = 0; crc32c(crc32c(0, a), b) equals
// crc32c(0, a ++ b). Uses SSE4.2 when the CPU has it, the table code otherwise.
uint32_t crc32c(uint32_t crc, const uint8_t* data, size_t len);

inline uint32_t crc32c(std::span<const uint8_t> data) {
  return crc32c(0, data.data(), data.size());
}
inline uint32_t crc32c(uint32_t crc, std::span<const uint8_t> data) {
  return crc32c(crc, data.data(), data.size());
}

// The two implementations, exposed so tests can check both on any machine.
uint32_t crc32c_portable(uint32_t crc, const uint8_t* data, size_t len);
// Only call when crc32c_hw_available() is true.
uint32_t crc32c_hw(uint32_t crc, const uint8_t* data, size_t len);
bool crc32c_hw_available();

}  // namespace fjord::records
