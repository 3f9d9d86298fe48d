/* mbpf instruction-count plugin for QEMU TCG (system emulation, one vCPU).
 *
 * Debian ships no qemu-plugin.h, so the few API functions used here are declared
 * below, for the two plugin APIs this project meets: version 1 (QEMU 7.2, counters
 * are plain memory) and version 4 (QEMU 10, counters are per-vCPU scoreboards; the
 * plain-memory inline ops are gone). ci/build-plugin picks one with
 * -DMBPF_PLUGIN_API=1|4 from the installed QEMU's version.
 *
 * Counts every executed guest instruction (an inline add per instruction, so the
 * count is exact, not per translation block), and estimates Cortex-M4 cycles from
 * each instruction's class (docs/cycle-model.md: the table, and what it leaves out).
 * Arguments (-plugin FILE,arg=value):
 *   profile=PATH   at exit, write "pc count" lines for every executed address
 *   window=A:B     profile only what runs between entering A and entering B (each
 *                  time: a phase's begin and end markers), not the whole run
 *   marks=A:B:...  at each listed address, append "mark <addr> <insns> <cycles>" to out
 *   out=PATH       where marks and the total go (default: stderr via qemu_plugin_outs)
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef MBPF_PLUGIN_API
#error "build with -DMBPF_PLUGIN_API=1 (QEMU 7.2) or 4 (QEMU 10): ci/build-plugin does"
#endif

/* ---- the QEMU plugin API, as far as this plugin uses it ---- */
typedef uint64_t qemu_plugin_id_t;
typedef struct qemu_info_t qemu_info_t;
struct qemu_plugin_tb;
struct qemu_plugin_insn;
enum qemu_plugin_cb_flags { QEMU_PLUGIN_CB_NO_REGS, QEMU_PLUGIN_CB_R_REGS, QEMU_PLUGIN_CB_RW_REGS };
enum qemu_plugin_op { QEMU_PLUGIN_INLINE_ADD_U64 };
typedef void (*qemu_plugin_vcpu_tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*qemu_plugin_vcpu_udata_cb_t)(unsigned int vcpu_index, void *userdata);
typedef void (*qemu_plugin_udata_cb_t)(qemu_plugin_id_t id, void *userdata);
void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, qemu_plugin_vcpu_tb_trans_cb_t cb);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
struct qemu_plugin_insn *qemu_plugin_tb_get_insn(const struct qemu_plugin_tb *tb, size_t idx);
uint64_t qemu_plugin_insn_vaddr(const struct qemu_plugin_insn *insn);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn, qemu_plugin_vcpu_udata_cb_t cb,
                                            enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_register_vcpu_tb_exec_cb(struct qemu_plugin_tb *tb, qemu_plugin_vcpu_udata_cb_t cb,
                                          enum qemu_plugin_cb_flags flags, void *userdata);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);
size_t qemu_plugin_insn_size(const struct qemu_plugin_insn *insn);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void *userdata);
void qemu_plugin_outs(const char *string);
#define QEMU_PLUGIN_EXPORT __attribute__((visibility("default")))
QEMU_PLUGIN_EXPORT int qemu_plugin_version = MBPF_PLUGIN_API;

#if MBPF_PLUGIN_API >= 4
struct qemu_plugin_scoreboard;
typedef struct {
    struct qemu_plugin_scoreboard *score;
    size_t offset;
} qemu_plugin_u64;
struct qemu_plugin_scoreboard *qemu_plugin_scoreboard_new(size_t element_size);
uint64_t qemu_plugin_u64_get(qemu_plugin_u64 entry, unsigned int vcpu_index);
void qemu_plugin_u64_add(qemu_plugin_u64 entry, unsigned int vcpu_index, uint64_t added);
void qemu_plugin_register_vcpu_insn_exec_inline_per_vcpu(struct qemu_plugin_insn *insn, enum qemu_plugin_op op,
                                                         qemu_plugin_u64 entry, uint64_t imm);
size_t qemu_plugin_insn_data(const struct qemu_plugin_insn *insn, void *dest, size_t len);
#else
void qemu_plugin_register_vcpu_insn_exec_inline(struct qemu_plugin_insn *insn, enum qemu_plugin_op op, void *ptr, uint64_t imm);
const void *qemu_plugin_insn_data(const struct qemu_plugin_insn *insn);
#endif
/* ---------------------------------------------------------------- */

/* Code lives in the first 4 MiB (SSRAM1); Thumb instructions are 2-byte aligned. */
#define CODE_SIZE (4u << 20)
#if MBPF_PLUGIN_API >= 4
/* One vCPU's counters in one scoreboard: total, cycles, then per halfword address. */
#define TOTAL 0
#define CYCLES 1
#define PER_PC 2
static struct qemu_plugin_scoreboard *board;
static bool profiling;
static qemu_plugin_u64 counter(size_t index) { return (qemu_plugin_u64){board, index * sizeof(uint64_t)}; }
static uint64_t get(size_t index) { return qemu_plugin_u64_get(counter(index), 0); }
static void add(unsigned vcpu, size_t index, uint64_t n) { qemu_plugin_u64_add(counter(index), vcpu, n); }
static void add_inline(struct qemu_plugin_insn *insn, size_t index, uint64_t n) {
    qemu_plugin_register_vcpu_insn_exec_inline_per_vcpu(insn, QEMU_PLUGIN_INLINE_ADD_U64, counter(index), n);
}
#else
static uint64_t counters[2]; /* all executed instructions, estimated Cortex-M4 cycles */
static uint64_t *per_pc;     /* executed count per halfword address, when profiling */
#define TOTAL 0
#define CYCLES 1
#define PER_PC 2
static bool profiling;
static uint64_t *slot(size_t index) { return index < PER_PC ? &counters[index] : &per_pc[index - PER_PC]; }
static uint64_t get(size_t index) { return *slot(index); }
static void add(unsigned vcpu, size_t index, uint64_t n) { (void)vcpu; *slot(index) += n; }
static void add_inline(struct qemu_plugin_insn *insn, size_t index, uint64_t n) {
    qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64, slot(index), n);
}
#endif
static char *profile_path;
static FILE *out;
/* A profile window: the per-address counts at its last opening, and the counts
 * inside it so far. Only addresses translated so far can have changed: [lo_pc, hi_pc). */
static uint64_t window_begin, window_end;
static bool windowed;
static uint64_t *at_open, *inside;
static uint64_t lo_pc = CODE_SIZE, hi_pc;

static void on_window_open(unsigned int vcpu, void *userdata) {
    (void)vcpu;
    (void)userdata;
    for (uint64_t a = lo_pc; a < hi_pc; a += 2) at_open[a / 2] = get(PER_PC + a / 2);
}

static void on_window_close(unsigned int vcpu, void *userdata) {
    (void)vcpu;
    (void)userdata;
    for (uint64_t a = lo_pc; a < hi_pc; a += 2) inside[a / 2] += get(PER_PC + a / 2) - at_open[a / 2];
}
#define MAX_MARKS 64
static uint64_t marks[MAX_MARKS];
static int n_marks;

static void on_mark(unsigned int vcpu, void *userdata) {
    (void)vcpu;
    /* Exec callbacks run before the instruction: `total` counts what came before. */
    fprintf(out, "mark 0x%" PRIx64 " %" PRIu64 " %" PRIu64 "\n", (uint64_t)(uintptr_t)userdata, get(TOTAL), get(CYCLES));
    fflush(out);
}

/* ---- Cortex-M4 cycle model (ARM Cortex-M4 TRM, table 3-1; zero wait states) ----
 * P, the pipeline refill of a taken branch, is 1-3 cycles: we charge 2. Divides take
 * 2-12 cycles depending on the operands, which a translation-time model cannot see:
 * we charge 7. Everything else is exact per the table. */
#define REFILL 2
#define DIVIDE 7

struct insn_class {
    unsigned cost;  /* cycles when not branching */
    bool branch;    /* may change the flow: +REFILL when it does */
};

static unsigned popcount16(unsigned v) { return (unsigned)__builtin_popcount(v & 0xffff); }

static struct insn_class classify(const uint8_t *p, size_t size) {
    unsigned hw1 = p[0] | (p[1] << 8);
    struct insn_class c = {1, false};
    if (size == 2) {
        if ((hw1 >> 12) == 0x5 || (hw1 >> 13) == 0x3 || (hw1 >> 12) == 0x8 || (hw1 >> 12) == 0x9 || (hw1 >> 11) == 0x9) {
            c.cost = 2;                                   /* LDR/STR (all 16-bit forms) */
        } else if ((hw1 & 0xfe00) == 0xb400) {
            c.cost = 1 + popcount16(hw1 & 0x1ff);         /* PUSH */
        } else if ((hw1 & 0xfe00) == 0xbc00) {
            c.cost = 1 + popcount16(hw1 & 0x1ff);         /* POP, a return when it loads PC */
            c.branch = hw1 & 0x100;
        } else if ((hw1 >> 12) == 0xc) {
            c.cost = 1 + popcount16(hw1 & 0xff);          /* LDM/STM */
        } else if ((hw1 >> 12) == 0xd && ((hw1 >> 9) & 7) != 7) {
            c.branch = true;                              /* B<c> */
        } else if ((hw1 >> 11) == 0x1c) {
            c.branch = true;                              /* B */
        } else if ((hw1 & 0xf500) == 0xb100) {
            c.branch = true;                              /* CBZ/CBNZ */
        } else if ((hw1 & 0xff00) == 0x4700) {
            c.branch = true;                              /* BX/BLX */
        } else if ((hw1 & 0xff87) == 0x4487 || (hw1 & 0xff87) == 0x4687) {
            c.branch = true;                              /* ADD/MOV PC, Rm */
        }
        return c;
    }
    unsigned hw2 = p[2] | (p[3] << 8);
    if ((hw1 & 0xfe00) == 0xf800) {                       /* load/store single, PLD */
        c.cost = 2;
        /* LDR PC, [..] is a jump */
        c.branch = ((hw1 & 0xfff0) == 0xf8d0 || (hw1 & 0xfff0) == 0xf850) && (hw2 >> 12) == 0xf;
    } else if ((hw1 & 0xfe40) == 0xe840) {               /* LDRD/STRD, LDREX/STREX, TBB/TBH */
        if ((hw1 & 0xfff0) == 0xe8d0 && (hw2 & 0xffe0) == 0xf000) {
            c.cost = 2;                                   /* TBB/TBH */
            c.branch = true;
        } else if ((hw1 & 0xffe0) == 0xe840 || (hw1 & 0xfff0) == 0xe8d0 || (hw1 & 0xfff0) == 0xe8c0) {
            c.cost = 2;                                   /* exclusives */
        } else {
            c.cost = 3;                                   /* LDRD/STRD: 1 + N */
        }
    } else if ((hw1 & 0xfe40) == 0xe800) {               /* LDM/STM/PUSH.W/POP.W */
        c.cost = 1 + popcount16(hw2);
        c.branch = (hw1 & 0x0010) && (hw2 & 0x8000);
    } else if ((hw1 & 0xf800) == 0xf000 && (hw2 & 0x8000)) {
        if (hw2 & 0x1000) {
            c.branch = true;                              /* B.W, BL */
        } else if ((hw2 & 0x5000) == 0 && ((hw1 >> 7) & 7) != 7) {
            c.branch = true;                              /* B<c>.W */
        } else if ((hw1 & 0xfff0) == 0xf3b0 && (hw2 & 0xff00) == 0x8f00) {
            c.cost = 3;                                   /* DSB/DMB/ISB */
        }
    } else if ((hw1 & 0xffd0) == 0xfb90 && (hw2 & 0x00f0) == 0x00f0) {
        c.cost = DIVIDE;                                  /* SDIV/UDIV */
    } else if ((hw1 & 0xff80) == 0xfb00 || (hw1 & 0xff80) == 0xfb80) {
        c.cost = 1;                                       /* MUL/MLA/MLS, long multiplies */
    } else if ((hw1 & 0xee00) == 0xec00 && (hw1 & 0x0100) && ((hw2 >> 9) & 7) == 5) {
        c.cost = 2;                                       /* VLDR/VSTR */
    } else if ((hw1 & 0xffb0) == 0xee80 && ((hw2 >> 9) & 7) == 5) {
        c.cost = 14;                                      /* VDIV */
    }
    return c;
}

/* Taken-branch detection: a translation block that ends in a branch falls through
 * to `fallthrough`; if the next block run starts elsewhere, the branch was taken. */
struct block {
    uint64_t start;
    uint64_t fallthrough;
    bool ends_in_branch;
};
static const struct block *previous;

static void on_block(unsigned int vcpu, void *userdata) {
    const struct block *b = userdata;
    if (previous && previous->ends_in_branch && b->start != previous->fallthrough) {
        add(vcpu, CYCLES, REFILL);
    }
    previous = b;
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
    (void)id;
    size_t n = qemu_plugin_tb_n_insns(tb);
    struct block *b = calloc(1, sizeof *b);
    if (!b) return;
    b->start = qemu_plugin_tb_vaddr(tb);
    qemu_plugin_register_vcpu_tb_exec_cb(tb, on_block, QEMU_PLUGIN_CB_NO_REGS, b);
    for (size_t i = 0; i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        uint64_t pc = qemu_plugin_insn_vaddr(insn);
        size_t size = qemu_plugin_insn_size(insn);
#if MBPF_PLUGIN_API >= 4
        uint8_t bytes[4] = {0};
        qemu_plugin_insn_data(insn, bytes, size < sizeof bytes ? size : sizeof bytes);
        struct insn_class c = classify(bytes, size);
#else
        struct insn_class c = classify(qemu_plugin_insn_data(insn), size);
#endif
        if (i + 1 == n) {
            b->fallthrough = pc + size;
            b->ends_in_branch = c.branch;
        }
        /* A mark reads the counts of what ran before its instruction: its callback is
         * registered first (QEMU 10 runs an instruction's ops in registration order). */
        for (int m = 0; m < n_marks; m++) {
            if (marks[m] == (pc & ~1ull)) {
                qemu_plugin_register_vcpu_insn_exec_cb(insn, on_mark, QEMU_PLUGIN_CB_NO_REGS, (void *)(uintptr_t)marks[m]);
            }
        }
        if (windowed && pc == window_begin) {
            qemu_plugin_register_vcpu_insn_exec_cb(insn, on_window_open, QEMU_PLUGIN_CB_NO_REGS, NULL);
        }
        if (windowed && pc == window_end) {
            qemu_plugin_register_vcpu_insn_exec_cb(insn, on_window_close, QEMU_PLUGIN_CB_NO_REGS, NULL);
        }
        add_inline(insn, TOTAL, 1);
        add_inline(insn, CYCLES, c.cost);
        if (profiling && pc < CODE_SIZE) {
            add_inline(insn, PER_PC + pc / 2, 1);
            /* A block is translated before it first runs: its counts were all 0 at any
             * earlier opening of the window. */
            if (pc < lo_pc) lo_pc = pc & ~1ull;
            if (pc + size > hi_pc) hi_pc = pc + size;
        }
    }
}

static void on_plugin_exit(qemu_plugin_id_t id, void *p) {
    (void)id;
    (void)p;
    fprintf(out, "total %" PRIu64 " %" PRIu64 "\n", get(TOTAL), get(CYCLES));
    fflush(out);
    if (profiling && profile_path) {
        FILE *f = fopen(profile_path, "w");
        if (f) {
            for (uint64_t i = 0; i < CODE_SIZE / 2; i++) {
                uint64_t n = windowed ? inside[i] : get(PER_PC + i);
                if (n) fprintf(f, "0x%" PRIx64 " %" PRIu64 "\n", i * 2, n);
            }
            fclose(f);
        }
    }
}

QEMU_PLUGIN_EXPORT int qemu_plugin_install(qemu_plugin_id_t id, const qemu_info_t *info, int argc, char **argv) {
    (void)info;
    out = stderr;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (strncmp(a, "profile=", 8) == 0) {
            profile_path = strdup(a + 8);
            profiling = true;
        } else if (strncmp(a, "out=", 4) == 0) {
            out = fopen(a + 4, "w");
            if (!out) return -1;
        } else if (strncmp(a, "window=", 7) == 0) {
            char *end = NULL;
            window_begin = strtoull(a + 7, &end, 0) & ~1ull;
            if (!end || *end != ':') {
                fprintf(stderr, "insn_count: window=A:B, got %s\n", a);
                return -1;
            }
            window_end = strtoull(end + 1, NULL, 0) & ~1ull;
            windowed = true;
        } else if (strncmp(a, "marks=", 6) == 0) {
            /* QEMU splits plugin args at commas, so marks are separated by ':' */
            char *list = strdup(a + 6), *save = NULL;
            for (char *t = strtok_r(list, ":", &save); t && n_marks < MAX_MARKS; t = strtok_r(NULL, ":", &save)) {
                marks[n_marks++] = strtoull(t, NULL, 0) & ~1ull;
            }
            free(list);
        } else {
            fprintf(stderr, "insn_count: unknown argument %s\n", a);
            return -1;
        }
    }
    if (windowed && !profiling) {
        fprintf(stderr, "insn_count: window= needs profile=\n");
        return -1;
    }
    if (windowed) {
        at_open = calloc(CODE_SIZE / 2, sizeof(uint64_t));
        inside = calloc(CODE_SIZE / 2, sizeof(uint64_t));
        if (!at_open || !inside) return -1;
    }
    /* The per-address counters take 16 MiB: only when profiling. */
    size_t n_counters = PER_PC + (profiling ? CODE_SIZE / 2 : 0);
#if MBPF_PLUGIN_API >= 4
    board = qemu_plugin_scoreboard_new(n_counters * sizeof(uint64_t));
    if (!board) return -1;
#else
    if (profiling) {
        per_pc = calloc(n_counters - PER_PC, sizeof(uint64_t));
        if (!per_pc) return -1;
    }
#endif
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
    qemu_plugin_register_atexit_cb(id, on_plugin_exit, NULL);
    return 0;
}
