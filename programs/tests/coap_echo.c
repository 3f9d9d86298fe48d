/* Answers a CoAP request: "<request length>:<up to 16 bytes of the request>". */
#include "mbpf_helpers.h"

uint64_t entry(bpf_coap_ctx_t *ctx) {
    bpf_gcoap_resp_init(ctx, BPF_COAP_CODE(2, 5));
    bpf_coap_add_format(ctx, 0); /* text/plain */
    bpf_coap_opt_finish(ctx, 0);
    char *out = (char *)bpf_coap_get_pdu(ctx);
    uint32_t n = (uint32_t)bpf_fmt_u32_dec(out, ctx->len);
    out[n++] = ':';
    const uint8_t *in = (const uint8_t *)(uint64_t)ctx->pkt;
    for (uint32_t i = 0; i < ctx->len && i < 16; i++) {
        out[n++] = in[i];
    }
    return n;
}
