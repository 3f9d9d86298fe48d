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
#           10  ldr r6, [r7, #8]
#           12  ldr.w r8, [r7, #16]
#     0: mov32 %r0, %r1
#           16  mov r4, r6
#     1: div32 %r0, %r2
#           18  udiv r4, r4, r8
#     2: mov32 %r3, %r1
#           22  mov r5, r6
#     3: mod32 %r3, %r2
#           24  udiv r12, r5, r8
#           28  mls r5, r12, r8, r5
#     4: add32 %r0, %r3
#           32  add r4, r5
#     5: exit
#           34  mov.w r12, #0
#           38  strd r4, r12, [r7]
#           42  b.w #16
#           46  mov.w r0, #1
#           50  b.w #12
#           54  mov.w r0, #2
#           58  b.w #4
#           62  mov.w r0, #0
#           66  pop.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, pc}
