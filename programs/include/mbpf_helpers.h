/* Helpers the mbpf device offers to eBPF programs, with their ids (the
 * Femto-Containers / µBPF numbering). Every helper takes up to five 64-bit
 * arguments and returns a 64-bit value; pointers are checked against the program's
 * memory by the device.
 *
 * Build programs with `mbpf compile`, or: clang-19 -target bpf -O2 -mcpu=v3 -ffreestanding -c */
#ifndef MBPF_HELPERS_H
#define MBPF_HELPERS_H

typedef unsigned char uint8_t;
typedef signed char int8_t;
typedef unsigned short uint16_t;
typedef signed short int16_t;
typedef unsigned int uint32_t;
typedef signed int int32_t;
typedef unsigned long long uint64_t;
typedef signed long long int64_t;
typedef unsigned long size_t;

#define MBPF_HELPER(id) ((void *)(id))

#ifdef MBPF_NATIVE
/* Native benchmark builds (firmware feature `bench`): the helpers the benchmark
 * kernels use are plain functions of the firmware. */
int mbpf_native_store_local(uint32_t key, uint32_t value);
int mbpf_native_fetch_local(uint32_t key, uint32_t *value);
size_t mbpf_native_fmt_s16_dfp(char *out, int16_t value, int digits);
size_t mbpf_native_fmt_u32_dec(char *out, uint32_t value);
#define bpf_store_local mbpf_native_store_local
#define bpf_fetch_local mbpf_native_fetch_local
#define bpf_fmt_s16_dfp mbpf_native_fmt_s16_dfp
#define bpf_fmt_u32_dec mbpf_native_fmt_u32_dec
#endif

/* Console and memory. */
static int (*bpf_printf)(const char *fmt, ...) = MBPF_HELPER(0x01);
static void *(*bpf_memcpy)(void *dst, const void *src, uint32_t n) = MBPF_HELPER(0x02);
static void (*bpf_print_debug)(uint32_t value) = MBPF_HELPER(0x03);

/* Key-value store: per program slot (local) and shared by all (global). */
#ifndef MBPF_NATIVE
static int (*bpf_store_local)(uint32_t key, uint32_t value) = MBPF_HELPER(0x10);
static int (*bpf_fetch_local)(uint32_t key, uint32_t *value) = MBPF_HELPER(0x12);
#endif
static int (*bpf_store_global)(uint32_t key, uint32_t value) = MBPF_HELPER(0x11);
static int (*bpf_fetch_global)(uint32_t key, uint32_t *value) = MBPF_HELPER(0x13);

/* Time. */
static uint64_t (*bpf_now_ms)(void) = MBPF_HELPER(0x20);
static uint64_t (*bpf_ztimer_now_us)(void) = MBPF_HELPER(0x60);
static int (*bpf_ztimer_periodic_wakeup)(uint32_t *last, uint32_t period_us) = MBPF_HELPER(0x61);

/* Sensors (SAUL registry). A phydat is {int16 val[3]; uint8 unit; int8 scale}. */
typedef struct {
    int16_t val[3];
    uint8_t unit;
    int8_t scale;
} bpf_phydat_t;
static uint64_t (*bpf_saul_reg_find_nth)(int pos) = MBPF_HELPER(0x30);
static uint64_t (*bpf_saul_reg_find_type)(uint8_t type) = MBPF_HELPER(0x31);
static int (*bpf_saul_reg_read)(uint64_t dev, bpf_phydat_t *data) = MBPF_HELPER(0x32);
static int (*bpf_saul_reg_write)(uint64_t dev, const bpf_phydat_t *data) = MBPF_HELPER(0x33);
static int (*bpf_saul_read_temp)(uint64_t dev, uint32_t *centi_celsius) = MBPF_HELPER(0x34);

/* CoAP response building, for programs run on an incoming request (/app/SLOT).
 * Such a program gets a context and returns the length of the payload it wrote
 * into the response buffer (coap_get_pdu); addresses are 32-bit on the device. */
typedef struct {
    uint32_t pkt; /* address of the request payload (read-only) */
    uint32_t buf; /* address of the 512-byte response buffer */
    uint32_t len; /* request payload length */
} bpf_coap_ctx_t;
#define BPF_COAP_CODE(class, detail) (((class) << 5) | (detail))
static int (*bpf_gcoap_resp_init)(void *ctx, uint32_t code) = MBPF_HELPER(0x40);
static int (*bpf_coap_opt_finish)(void *ctx, uint32_t flags) = MBPF_HELPER(0x41);
static int (*bpf_coap_add_format)(void *ctx, uint32_t format) = MBPF_HELPER(0x42);
static uint8_t *(*bpf_coap_get_pdu)(void *ctx) = MBPF_HELPER(0x43);

/* Formatting. */
#ifndef MBPF_NATIVE
static size_t (*bpf_fmt_s16_dfp)(char *out, int16_t value, int digits) = MBPF_HELPER(0x50);
static size_t (*bpf_fmt_u32_dec)(char *out, uint32_t value) = MBPF_HELPER(0x51);
#endif
static size_t (*bpf_strlen)(const char *s) = MBPF_HELPER(0x52);

/* GPIO. */
static int (*bpf_gpio_read_input)(uint32_t port, uint32_t pin) = MBPF_HELPER(0x70);
static int (*bpf_gpio_read_raw)(uint32_t port, uint32_t pin) = MBPF_HELPER(0x71);
static int (*bpf_gpio_write)(uint32_t port, uint32_t pin, uint32_t value) = MBPF_HELPER(0x72);

#endif
