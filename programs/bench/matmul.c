/* Integer matrix multiply: A and B are 12x12 matrices of signed bytes taken from
 * bench_data; returns a position-weighted sum of the 32-bit products C = A * B. */
#include "mbpf_helpers.h"
#include "bench_data.h"

#define N 12
_Static_assert(DATA_SIZE >= 2 * N * N, "matmul needs 288 bytes of data");

uint64_t entry(void *ctx) {
    int64_t sum = 0;
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < N; j++) {
            int32_t c = 0;
            for (int k = 0; k < N; k++)
                c += (int8_t)bench_data[i * N + k] * (int8_t)bench_data[N * N + k * N + j];
            sum += (int64_t)c * (i * N + j + 1);
        }
    }
    return (uint64_t)sum;
}
