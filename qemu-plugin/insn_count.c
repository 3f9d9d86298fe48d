/* mbpf instruction-count plugin for QEMU 7.2 TCG (system emulation, one vCPU).
 *
 * QEMU 7.2 supports plugins but Debian ships no qemu-plugin.h, so the few API
 * functions used here are declared below, as QEMU 7.2's plugin ABI (version 1)
 * defines them.
 *
 * Counts every executed guest instruction (an inline add per instruction, so the
 * count is exact, not per translation block). Arguments (-plugin FILE,arg=value):
 *   profile=PATH   at exit, write "pc count" lines for every executed address
 *   marks=A,B,...  at each listed address, append "mark <addr> <total>" to out
 *   out=PATH       where marks and the total go (default: stderr via qemu_plugin_outs)
 */
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the QEMU 7.2 plugin API, as far as this plugin uses it ---- */
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
void qemu_plugin_register_vcpu_insn_exec_inline(struct qemu_plugin_insn *insn, enum qemu_plugin_op op, void *ptr, uint64_t imm);
void qemu_plugin_register_vcpu_insn_exec_cb(struct qemu_plugin_insn *insn, qemu_plugin_vcpu_udata_cb_t cb,
                                            enum qemu_plugin_cb_flags flags, void *userdata);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, qemu_plugin_udata_cb_t cb, void *userdata);
void qemu_plugin_outs(const char *string);
#define QEMU_PLUGIN_EXPORT __attribute__((visibility("default")))
QEMU_PLUGIN_EXPORT int qemu_plugin_version = 1;
/* ---------------------------------------------------------------- */

/* Code lives in the first 4 MiB (SSRAM1); Thumb instructions are 2-byte aligned. */
#define CODE_SIZE (4u << 20)
static uint64_t *per_pc;    /* executed count per halfword address, when profiling */
static uint64_t total;      /* all executed instructions */
static char *profile_path;
static FILE *out;
#define MAX_MARKS 64
static uint64_t marks[MAX_MARKS];
static int n_marks;

static void on_mark(unsigned int vcpu, void *userdata) {
    (void)vcpu;
    /* Exec callbacks run before the instruction: `total` counts what came before. */
    fprintf(out, "mark 0x%" PRIx64 " %" PRIu64 "\n", (uint64_t)(uintptr_t)userdata, total);
    fflush(out);
}

static void on_translate(qemu_plugin_id_t id, struct qemu_plugin_tb *tb) {
    (void)id;
    size_t n = qemu_plugin_tb_n_insns(tb);
    for (size_t i = 0; i < n; i++) {
        struct qemu_plugin_insn *insn = qemu_plugin_tb_get_insn(tb, i);
        uint64_t pc = qemu_plugin_insn_vaddr(insn);
        qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64, &total, 1);
        if (per_pc && pc < CODE_SIZE) {
            qemu_plugin_register_vcpu_insn_exec_inline(insn, QEMU_PLUGIN_INLINE_ADD_U64, &per_pc[pc / 2], 1);
        }
        for (int m = 0; m < n_marks; m++) {
            if (marks[m] == (pc & ~1ull)) {
                qemu_plugin_register_vcpu_insn_exec_cb(insn, on_mark, QEMU_PLUGIN_CB_NO_REGS, (void *)(uintptr_t)marks[m]);
            }
        }
    }
}

static void on_plugin_exit(qemu_plugin_id_t id, void *p) {
    (void)id;
    (void)p;
    fprintf(out, "total %" PRIu64 "\n", total);
    fflush(out);
    if (per_pc && profile_path) {
        FILE *f = fopen(profile_path, "w");
        if (f) {
            for (uint64_t i = 0; i < CODE_SIZE / 2; i++) {
                if (per_pc[i]) fprintf(f, "0x%" PRIx64 " %" PRIu64 "\n", i * 2, per_pc[i]);
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
            per_pc = calloc(CODE_SIZE / 2, sizeof(uint64_t));
            if (!per_pc) return -1;
        } else if (strncmp(a, "out=", 4) == 0) {
            out = fopen(a + 4, "w");
            if (!out) return -1;
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
    qemu_plugin_register_vcpu_tb_trans_cb(id, on_translate);
    qemu_plugin_register_atexit_cb(id, on_plugin_exit, NULL);
    return 0;
}
