# ALU32 division and modulo on the hardware divider: RFC 9669's division by zero and
# overflow results come out as they are.
mov32 %r0, %r1
div32 %r0, %r2
mov32 %r3, %r1
mod32 %r3, %r2
add32 %r0, %r3
exit
# ---- expected lowering (MBPF_BLESS=1 rewrites what follows)
#            0  push.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, lr}
#            4  mov r7, r0
#            6  ldr.w lr, [r7, #128]
#           10  ldr r5, [r7, #8]
#           12  ldr r4, [r7, #16]
#     0: mov32 %r0, %r1
#           14  mov r6, r5
#     1: div32 %r0, %r2
#           16  udiv r6, r6, r4
#     2: mov32 %r3, %r1
#     3: mod32 %r3, %r2
#           20  udiv r12, r5, r4
#           24  mls r5, r12, r4, r5
#     4: add32 %r0, %r3
#           28  add r6, r5
#     5: exit
#           30  mov.w r12, #0
#           34  strd r6, r12, [r7]
#           38  b.w #16
#           42  mov.w r0, #1
#           46  b.w #12
#           50  mov.w r0, #2
#           54  b.w #4
#           58  mov.w r0, #0
#           62  pop.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, pc}
