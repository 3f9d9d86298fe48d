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
#           30  bhs.w #90
#           34  rsb.w r12, r8, #2
#           38  subs.w lr, lr, r12
#           42  bls.w #78
#           46  tst.w r12, #1
#           50  beq.w #20
#     4: mov32 %r2, %r1
#           54  lsr.w r4, r9, #7
#           58  ror.w r9, r9, #7
#     5: rsh32 %r2, 0x7
#     6: mov32 %r3, %r1
#     7: lsh32 %r3, 0x19
#     8: or32 %r3, %r2
#     9: add %r0, %r2
#           62  adds.w r6, r6, r4
#           66  adc r5, r5, #0
#    10: mov %r1, %r3
#    11: add %r4, 1
#           70  add.w r8, r8, #1
#           74  lsr.w r4, r9, #7
#           78  ror.w r9, r9, #7
#           82  adds.w r6, r6, r4
#           86  adc r5, r5, #0
#           90  add.w r8, r8, #1
#    12: jne %r4, 0x3, -9
#           94  cmp.w r8, #3
#           98  bne #-48
#    13: add %r0, %r1
#          100  adds.w r6, r6, r9
#          104  adc r5, r5, #0
#    14: exit
#          108  strd r6, r5, [r7]
#          112  b.w #16
#          116  mov.w r0, #1
#          120  b.w #12
#          124  mov.w r0, #2
#          128  b.w #4
#          132  mov.w r0, #0
#          136  pop.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, pc}
