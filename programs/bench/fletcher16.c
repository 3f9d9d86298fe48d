/* Fletcher-16 over a byte string in .rodata: µBPF's benchmark kernel.
 * `bench_data.h` (written by sim for each size) defines
 * `static const uint8_t bench_data[DATA_SIZE]`. */
#include "mbpf_helpers.h"
#include "bench_data.h"

uint64_t entry(void *ctx) {
    uint32_t sum1 = 0, sum2 = 0;
    for (uint32_t i = 0; i < DATA_SIZE; i++) {
        sum1 = (sum1 + bench_data[i]) % 255;
        sum2 = (sum2 + sum1) % 255;
    }
    return (sum2 << 8) | sum1;
}
