# `dst[i] = src[i]` with clang's order, the store's address first: nothing is emitted for
# it until the store (the load between touches neither it nor `i`), which takes the
# frame offset as its displacement. A pointer kept for two accesses, from r10's biased
# home with the bias taken back, is one add of the index (its high half, read by a
# shift, is known zero).
stb [%r10-400], 1
ldxb %r1, [%r1+0]
and %r1, 0x1c
mov %r2, %r10
add %r2, -32
add %r2, %r1
mov %r3, %r10
add %r3, -64
add %r3, %r1
ldxw %r3, [%r3+0]
stxw [%r2+0], %r3
mov %r4, %r10
add %r4, -256
add %r4, %r1
ldxw %r0, [%r4+0]
ldxw %r5, [%r4+8]
add %r0, %r5
mov %r6, %r10
add %r6, -256
add %r6, %r1
rsh %r6, 32
add %r0, %r6
exit
# ---- expected lowering (MBPF_BLESS=1 rewrites what follows)
#            0  push.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, lr}
#            4  mov r7, r0
#            6  ldr.w lr, [r7, #128]
#           10  ldr.w r10, [r7, #8]
#           14  ldr r4, [r7, #80]
#           16  sub.w r4, r4, #256
#     0: stb [%r10-400], 1
#           20  movs r2, #1
#           22  strb r2, [r4, #-144]
#     1: ldxb %r1, [%r1+0]
#           26  ldrd r12, r3, [r7, #172]
#           30  sub.w r12, r10, r12
#           34  cmp r12, r3
#           36  bhs.w #94
#           40  ldrb.w r10, [r10]
#     2: and %r1, 28
#           44  and r10, r10, #28
#     3: mov %r2, %r10
#     4: add %r2, -32
#     5: add %r2, %r1
#     6: mov %r3, %r10
#           48  add.w r12, r4, r10
#           52  ldr.w r5, [r12, #192]
#     7: add %r3, -64
#     8: add %r3, %r1
#     9: ldxw %r3, [%r3+0]
#    10: stxw [%r2+0], %r3
#           56  add.w r12, r4, r10
#           60  str.w r5, [r12, #224]
#    11: mov %r4, %r10
#           64  add.w r9, r4, r10
#    12: add %r4, -256
#    13: add %r4, %r1
#    14: ldxw %r0, [%r4+0]
#           68  ldr.w r8, [r9]
#    15: ldxw %r5, [%r4+8]
#           72  ldr.w r5, [r9, #8]
#    16: add %r0, %r5
#           76  adds.w r8, r8, r5
#           80  mov.w r12, #0
#           84  adc r6, r12, #0
#    17: mov %r6, %r10
#           88  add.w r5, r4, r10
#    18: add %r6, -256
#    19: add %r6, %r1
#    20: rsh %r6, 32
#           92  movs r5, #0
#    21: add %r0, %r6
#           94  adds.w r8, r8, r5
#           98  adc r6, r6, #0
#    22: exit
#          102  strd r8, r6, [r7]
#          106  b.w #16
#          110  mov.w r0, #1
#          114  b.w #12
#          118  mov.w r0, #2
#          122  b.w #4
#          126  mov.w r0, #0
#          130  pop.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, pc}
#          134  mov r1, r10
#          136  movs r2, #0
#          138  movw r3, #257
#          142  str.w lr, [r7, #128]
#          146  bl #2
#          150  b #-114
#          152  push.w {r3, lr}
#          156  mov r0, r7
#          158  ldr.w r12, [r7, #144]
#          162  blx r12
#          164  pop.w {r3, r12}
#          168  ldr.w lr, [r7, #128]
#          172  cmp r0, #0
#          174  beq #-68
#          176  bx r12
