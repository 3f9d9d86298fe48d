/* Bubble sort of DATA_SIZE / 4 little-endian 32-bit words copied to the stack;
 * returns a position-weighted hash of the sorted array. */
#include "mbpf_helpers.h"
#include "bench_data.h"

#define N (DATA_SIZE / 4)
_Static_assert(N >= 2 && N <= 96, "bubble_sort needs 8..384 bytes of data");

uint64_t entry(void *ctx) {
    uint32_t a[N];
    for (uint32_t i = 0; i < N; i++)
        a[i] = bench_data[4 * i] | ((uint32_t)bench_data[4 * i + 1] << 8) |
               ((uint32_t)bench_data[4 * i + 2] << 16) | ((uint32_t)bench_data[4 * i + 3] << 24);
    for (uint32_t n = N; n > 1; n--) {
        for (uint32_t i = 0; i + 1 < n; i++) {
            if (a[i] > a[i + 1]) {
                uint32_t t = a[i];
                a[i] = a[i + 1];
                a[i + 1] = t;
            }
        }
    }
    uint64_t h = 0;
    for (uint32_t i = 0; i < N; i++)
        h = h * 31 + a[i];
    return h;
}
