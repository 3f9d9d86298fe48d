/* CoAP response formatting: renders each reading (a signed 16-bit word of
 * bench_data, in centi-degrees) as `t=<value with 2 decimals>;n=<index>` with the
 * fmt helpers, as a sensor handler fills a response payload; returns the FNV-1a
 * hash of everything written. Needs helpers 0x50 (fmt_s16_dfp), 0x51 (fmt_u32_dec). */
#include "mbpf_helpers.h"
#include "bench_data.h"

uint64_t entry(void *ctx) {
    char buf[48];
    uint64_t hash = 0xcbf29ce484222325ull;
    for (uint32_t i = 0; i + 1 < DATA_SIZE; i += 2) {
        int16_t value = (int16_t)(bench_data[i] | (bench_data[i + 1] << 8));
        uint32_t n = 0;
        buf[n++] = 't';
        buf[n++] = '=';
        n += bpf_fmt_s16_dfp(buf + n, value, 2);
        buf[n++] = ';';
        buf[n++] = 'n';
        buf[n++] = '=';
        n += bpf_fmt_u32_dec(buf + n, i / 2);
        for (uint32_t k = 0; k < n; k++) {
            hash ^= (uint8_t)buf[k];
            hash *= 0x100000001b3ull;
        }
    }
    return hash;
}
