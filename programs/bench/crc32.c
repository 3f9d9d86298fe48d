/* CRC-32 (IEEE 802.3, reflected, polynomial 0xEDB88320), bit by bit: the
 * table-less form small devices use. */
#include "mbpf_helpers.h"
#include "bench_data.h"

uint64_t entry(void *ctx) {
    uint32_t crc = 0xffffffff;
    for (uint32_t i = 0; i < DATA_SIZE; i++) {
        crc ^= bench_data[i];
        for (int k = 0; k < 8; k++)
            crc = (crc >> 1) ^ (0xEDB88320u & -(crc & 1));
    }
    return ~crc;
}
