/* Fletcher-32 over bench_data as little-endian 16-bit words (a trailing odd byte
 * is ignored). `bench_data.h` (written per size) defines DATA_SIZE and
 * `static const volatile uint8_t bench_data[DATA_SIZE]`. */
#include "mbpf_helpers.h"
#include "bench_data.h"

uint64_t entry(void *ctx) {
    uint32_t s1 = 0xffff, s2 = 0xffff;
    for (uint32_t i = 0; i + 1 < DATA_SIZE; i += 2) {
        uint32_t w = bench_data[i] | ((uint32_t)bench_data[i + 1] << 8);
        s1 = (s1 + w) % 65535;
        s2 = (s2 + s1) % 65535;
    }
    return ((uint64_t)s2 << 16) | s1;
}
