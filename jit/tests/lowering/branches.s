# Conditional jumps on 64-bit and 32-bit values, signed and unsigned.
mov %r0, 0
jsgt %r1, %r2, +2
jlt32 %r1, 10, +1
mov %r0, 1
jset %r1, 0x80, +1
add %r0, 2
exit
# ---- expected lowering (MBPF_BLESS=1 rewrites what follows)
#            0  push.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, lr}
#            4  mov r7, r0
#            6  ldr.w lr, [r7, #128]
#           10  ldr r4, [r7, #8]
#     0: mov %r0, 0
#           12  movs r5, #0
#     1: jsgt %r1, %r2, +2
#           14  ldr r2, [r7, #16]
#           16  cmp r4, r2
#           18  bhi.w #8
#     2: jlt32 %r1, 0xa, +1
#           22  cmp r4, #10
#           24  blo.w #2
#     3: mov %r0, 1
#           28  movs r5, #1
#     4: jset %r1, 0x80, +1
#           30  tst.w r4, #128
#           34  bne.w #4
#     5: add %r0, 2
#           38  add.w r5, r5, #2
#     6: exit
#           42  mov.w r12, #0
#           46  strd r5, r12, [r7]
#           50  b.w #16
#           54  mov.w r0, #1
#           58  b.w #12
#           62  mov.w r0, #2
#           66  b.w #4
#           70  mov.w r0, #0
#           74  pop.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, pc}
