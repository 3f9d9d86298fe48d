# A rotate in a loop whose result is copied back into x: the two share an ARM register, so the other register's shift (still read) must read x before the `ror` overwrites it.
lddw %r1, 0x12345678
mov %r4, 0
mov %r0, 0
l: mov32 %r2, %r1
rsh32 %r2, 7
mov32 %r3, %r1
lsh32 %r3, 25
or32 %r3, %r2
add %r0, %r2
mov %r1, %r3
add %r4, 1
jne %r4, 3, l
add %r0, %r1
exit
# ---- expected lowering (MBPF_BLESS=1 rewrites what follows)
#            0  push.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, lr}
#            4  mov r7, r0
#            6  ldr.w lr, [r7, #128]
#     0: lddw %r1, 0x12345678
#           10  movw r9, #22136
#           14  movt r9, #4660
#     2: mov %r4, 0
#           18  mov.w r8, #0
#     3: mov %r0, 0
#           22  movs r6, #0
#           24  movs r5, #0
#           26  cmp.w r8, #3
#           30  bhs.w #62
#           34  rsb.w r12, r8, #2
#           38  subs.w lr, lr, r12
#           42  bls.w #50
#     4: mov32 %r2, %r1
#           46  lsr.w r4, r9, #7
#           50  ror.w r9, r9, #7
#     5: rsh32 %r2, 0x7
#     6: mov32 %r3, %r1
#     7: lsh32 %r3, 0x19
#     8: or32 %r3, %r2
#     9: add %r0, %r2
#           54  adds.w r6, r6, r4
#           58  adc r5, r5, #0
#    10: mov %r1, %r3
#    11: add %r4, 1
#           62  add.w r8, r8, #1
#    12: jne %r4, 0x3, -9
#           66  cmp.w r8, #3
#           70  bne #-28
#    13: add %r0, %r1
#           72  adds.w r6, r6, r9
#           76  adc r5, r5, #0
#    14: exit
#           80  strd r6, r5, [r7]
#           84  b.w #16
#           88  mov.w r0, #1
#           92  b.w #12
#           96  mov.w r0, #2
#          100  b.w #4
#          104  mov.w r0, #0
#          108  pop.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, pc}
