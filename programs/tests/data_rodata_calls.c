/* Uses every part a layout may have to carry: a .rodata string handed to a helper,
 * .data and .bss globals, and non-inlined static and global functions.
 * Expected result: 4242 + strlen("hello, eBPF") (11) + 7 + 1 + (5*3 + 30) = 4306. */
#include "mbpf_helpers.h"

static const char greeting[] = "hello, eBPF";
static uint32_t counter = 7;
uint32_t table[4] = {10, 20, 30, 40};
uint32_t scratch[8];

__attribute__((noinline)) uint32_t scale(uint32_t a) {
    return a * 3 + table[(a - 3) & 3];
}

__attribute__((noinline)) static uint32_t bump(uint32_t by) {
    counter += by;
    scratch[by & 7] = counter;
    return counter;
}

uint64_t entry(void *ctx) {
    uint32_t n = (uint32_t)bpf_strlen(greeting);
    uint32_t c = bump(1);
    return 4242 + n + (c - 1) + scratch[1] / c + scale(5);
}
