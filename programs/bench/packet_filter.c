/* A packet filter: bench_data is a run of 64-byte IPv4/UDP-like frames; each is
 * matched against a small rule table (offset, mask, value, action) the way a
 * firewall program would; returns accepted count, dropped count and a checksum of
 * the accepted frames' ports. */
#include "mbpf_helpers.h"
#include "bench_data.h"

#define FRAME 64
typedef struct {
    uint8_t offset;
    uint8_t mask;
    uint8_t value;
    uint8_t accept;
} rule_t;

static const rule_t RULES[] = {
    {0, 0xf0, 0x40, 2},  /* not IPv4: drop (action 2 = drop on mismatch) */
    {9, 0xff, 0x06, 0},  /* TCP: drop */
    {9, 0x01, 0x01, 1},  /* odd protocol numbers: accept */
    {22, 0xfc, 0x14, 1}, /* destination port 0x14xx..0x17xx: accept */
    {23, 0x0f, 0x03, 1}, /* low nibble 3: accept */
};
#define N_RULES (sizeof(RULES) / sizeof(RULES[0]))

uint64_t entry(void *ctx) {
    uint32_t accepted = 0, dropped = 0, ports = 0;
    for (uint32_t base = 0; base + FRAME <= DATA_SIZE; base += FRAME) {
        int verdict = 0; /* 0 undecided → dropped by default */
        for (uint32_t r = 0; r < N_RULES && verdict == 0; r++) {
            uint8_t b = bench_data[base + RULES[r].offset] & RULES[r].mask;
            if (RULES[r].accept == 2) {
                if (b != RULES[r].value) verdict = -1;
            } else if (b == RULES[r].value) {
                verdict = RULES[r].accept ? 1 : -1;
            }
        }
        if (verdict > 0) {
            accepted++;
            ports = ports * 33 + ((bench_data[base + 22] << 8) | bench_data[base + 23]);
        } else {
            dropped++;
        }
    }
    return ((uint64_t)accepted << 48) | ((uint64_t)dropped << 32) | ports;
}
