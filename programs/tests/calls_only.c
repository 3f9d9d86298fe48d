/* Non-inlined functions and stack data only: every layout, including text, carries it.
 * Expected result: fib(20) = 6765 plus the sum of squares 0..9 (285) = 7050. */
#include "mbpf_helpers.h"

__attribute__((noinline)) static uint64_t fib(uint32_t n) {
    uint64_t a = 0, b = 1;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t t = a + b;
        a = b;
        b = t;
    }
    return a;
}

__attribute__((noinline)) static uint64_t sum_squares(volatile uint32_t *v, uint32_t n) {
    uint64_t s = 0;
    for (uint32_t i = 0; i < n; i++) s += (uint64_t)v[i] * v[i];
    return s;
}

uint64_t entry(void *ctx) {
    volatile uint32_t v[10];
    for (uint32_t i = 0; i < 10; i++) v[i] = i;
    return fib(20) + sum_squares(v, 10);
}
