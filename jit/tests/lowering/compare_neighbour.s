# A compare with a constant no immediate encodes tests the neighbour that one does:
# x < 2497 as x <= 2496 (one `cmp`, no constant set), x s> 0x7ffffffe as x s>= 2^31 - 1
# is not (no immediate either way), x s> 2^31 - 1 (never true) keeps its constant.
ldxw %r2, [%r1+0]
mov %r0, 0
jlt %r2, 2497, +1
add %r0, 1
jsgt32 %r2, 0x7ffffffe, +1
add %r0, 2
jsgt32 %r2, 0x7fffffff, +1
add %r0, 4
jge32 %r2, 0x1000001, +1
add %r0, 8
exit
# ---- expected lowering (MBPF_BLESS=1 rewrites what follows)
#            0  push.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, lr}
#            4  mov r7, r0
#            6  ldr.w lr, [r7, #128]
#     0: ldxw %r2, [%r1+0]
#           10  ldr r0, [r7, #8]
#           12  ldrd r12, r3, [r7, #188]
#           16  sub.w r12, r0, r12
#           20  cmp r12, r3
#           22  bhs.w #96
#           26  ldr r5, [r0]
#     1: mov %r0, 0
#           28  movs r4, #0
#     2: jlt %r2, 0x9c1, +1
#           30  cmp.w r5, #2496
#           34  bls.w #4
#     3: add %r0, 1
#           38  add.w r4, r4, #1
#     4: jsgt32 %r2, 0x7ffffffe, +1
#           42  movw r2, #65534
#           46  movt r2, #32767
#           50  cmp r5, r2
#           52  bgt.w #4
#     5: add %r0, 2
#           56  add.w r4, r4, #2
#     6: jsgt32 %r2, 0x7fffffff, +1
#           60  mvn r2, #2147483648
#           64  cmp r5, r2
#           66  bgt.w #4
#     7: add %r0, 4
#           70  add.w r4, r4, #4
#     8: jge32 %r2, 0x1000001, +1
#           74  cmp.w r5, #16777216
#           78  bhi.w #4
#     9: add %r0, 8
#           82  add.w r4, r4, #8
#    10: exit
#           86  mov.w r12, #0
#           90  strd r4, r12, [r7]
#           94  b.w #16
#           98  mov.w r0, #1
#          102  b.w #12
#          106  mov.w r0, #2
#          110  b.w #4
#          114  mov.w r0, #0
#          118  pop.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, pc}
#          122  ldr r1, [r7, #8]
#          124  movs r2, #0
#          126  movs r3, #4
#          128  str.w lr, [r7, #128]
#          132  bl #2
#          136  b #-114
#          138  push.w {r3, lr}
#          142  mov r0, r7
#          144  ldr.w r12, [r7, #144]
#          148  blx r12
#          150  pop.w {r3, r12}
#          154  ldr.w lr, [r7, #128]
#          158  cmp r0, #0
#          160  beq #-66
#          162  bx r12
