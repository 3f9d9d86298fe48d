/* Reads the first SAUL sensor (the emulated temperature sensor) and returns its
 * value in hundredths of a degree; 0xffff... when there is none. Needs helpers
 * 0x30 (find nth) and 0x32 (read). */
#include "mbpf_helpers.h"

uint64_t entry(void *ctx) {
    uint64_t dev = bpf_saul_reg_find_nth(0);
    if (!dev) return (uint64_t)-1;
    bpf_phydat_t p;
    if (bpf_saul_reg_read(dev, &p) != 1) return (uint64_t)-2;
    return (uint64_t)(int64_t)p.val[0];
}
