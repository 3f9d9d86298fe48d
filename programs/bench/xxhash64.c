/* XXH64 (seed 0) over bench_data: a 64-bit-multiply-and-rotate heavy hash. */
#include "mbpf_helpers.h"
#include "bench_data.h"

#define P1 0x9E3779B185EBCA87ull
#define P2 0xC2B2AE3D27D4EB4Full
#define P3 0x165667B19E3779F9ull
#define P4 0x85EBCA77C2B2AE63ull
#define P5 0x27D4EB2F165667C5ull

static inline uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

static inline uint64_t read64(uint32_t i) {
    uint64_t v = 0;
    for (int k = 7; k >= 0; k--)
        v = (v << 8) | bench_data[i + k];
    return v;
}

static inline uint32_t read32(uint32_t i) {
    return bench_data[i] | ((uint32_t)bench_data[i + 1] << 8) | ((uint32_t)bench_data[i + 2] << 16) |
           ((uint32_t)bench_data[i + 3] << 24);
}

static inline uint64_t round64(uint64_t acc, uint64_t input) {
    acc += input * P2;
    acc = rotl(acc, 31);
    return acc * P1;
}

static inline uint64_t merge(uint64_t acc, uint64_t val) {
    acc ^= round64(0, val);
    return acc * P1 + P4;
}

uint64_t entry(void *ctx) {
    uint32_t i = 0;
    uint64_t h;
    if (DATA_SIZE >= 32) {
        uint64_t v1 = P1 + P2, v2 = P2, v3 = 0, v4 = -P1;
        for (; i + 32 <= DATA_SIZE; i += 32) {
            v1 = round64(v1, read64(i));
            v2 = round64(v2, read64(i + 8));
            v3 = round64(v3, read64(i + 16));
            v4 = round64(v4, read64(i + 24));
        }
        h = rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18);
        h = merge(h, v1);
        h = merge(h, v2);
        h = merge(h, v3);
        h = merge(h, v4);
    } else {
        h = P5;
    }
    h += DATA_SIZE;
    for (; i + 8 <= DATA_SIZE; i += 8) {
        h ^= round64(0, read64(i));
        h = rotl(h, 27) * P1 + P4;
    }
    if (i + 4 <= DATA_SIZE) {
        h ^= (uint64_t)read32(i) * P1;
        h = rotl(h, 23) * P2 + P3;
        i += 4;
    }
    for (; i < DATA_SIZE; i++) {
        h ^= bench_data[i] * P5;
        h = rotl(h, 11) * P1;
    }
    h ^= h >> 33;
    h *= P2;
    h ^= h >> 29;
    h *= P3;
    h ^= h >> 32;
    return h;
}
