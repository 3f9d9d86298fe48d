/* A sensor moving average kept in the device's key-value store: the samples are
 * the little-endian 16-bit words of bench_data; the last 8 live under keys 0..7
 * and their running sum under key 8, as a program run once per reading would keep
 * them. Returns the final average. Needs helpers 0x10 (store) and 0x12 (fetch). */
#include "mbpf_helpers.h"
#include "bench_data.h"

#define WINDOW 8
#define SUM_KEY WINDOW

uint64_t entry(void *ctx) {
    for (uint32_t k = 0; k <= WINDOW; k++)
        bpf_store_local(k, 0);
    for (uint32_t i = 0; i + 1 < DATA_SIZE; i += 2) {
        uint32_t sample = bench_data[i] | ((uint32_t)bench_data[i + 1] << 8);
        uint32_t key = (i / 2) % WINDOW, old = 0, sum = 0;
        bpf_fetch_local(key, &old);
        bpf_fetch_local(SUM_KEY, &sum);
        sum = sum - old + sample;
        bpf_store_local(key, sample);
        bpf_store_local(SUM_KEY, sum);
    }
    uint32_t sum = 0;
    bpf_fetch_local(SUM_KEY, &sum);
    return sum / WINDOW;
}
