# A `.rodata` address taken once per round of a loop with many short-lived values: the
# colouring's threshold (seven halves are used more) gives it no register of its own,
# but registers are left that no value got, so it holds the address for the whole run
# (loaded once at the entry), and `lddwr; add` is one add on that register. (The
# golden cases know no `.rodata` size: the load is checked.)
mov %r2, 0
mov32 %r0, 0
l: lddw %r3, 0x7ead0008
add %r3, %r2
ldxb %r4, [%r3+0]
mov32 %r5, %r4
add32 %r5, %r5
add32 %r5, %r5
add32 %r0, %r5
mov32 %r6, %r4
xor32 %r6, %r0
add32 %r6, %r6
add32 %r0, %r6
mov32 %r7, %r4
or32 %r7, 1
add32 %r7, %r7
add32 %r0, %r7
mov32 %r8, %r0
and32 %r8, 3
add32 %r8, %r8
add32 %r0, %r8
mov32 %r1, %r0
rsh32 %r1, 1
add32 %r1, %r1
xor32 %r0, %r1
add %r2, 1
jlt %r2, 64, l
exit
# ---- expected lowering (MBPF_BLESS=1 rewrites what follows)
#            0  push.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, lr}
#            4  mov r7, r0
#            6  ldr.w lr, [r7, #128]
#           10  ldr.w r9, [r7, #140]
#           14  add.w r9, r9, #8
#     0: mov %r2, 0
#           18  movs r6, #0
#     1: mov32 %r0, 0x0
#           20  movs r5, #0
#     2: lddwr %r3, 0x8
#           22  add.w r4, r9, r6
#     4: add %r3, %r2
#     5: ldxb %r4, [%r3+0]
#           26  ldrd r12, r3, [r7, #204]
#           30  sub.w r12, r4, r12
#           34  cmp r12, r3
#           36  bhs.w #102
#           40  ldrb.w r8, [r4]
#     6: mov32 %r5, %r4
#           44  add.w r4, r8, r8
#     7: add32 %r5, %r5
#     8: add32 %r5, %r5
#           48  add r4, r4
#     9: add32 %r0, %r5
#           50  add r5, r4
#    10: mov32 %r6, %r4
#           52  eor.w r4, r8, r5
#    11: xor32 %r6, %r0
#    12: add32 %r6, %r6
#           56  add r4, r4
#    13: add32 %r0, %r6
#           58  add r5, r4
#    14: mov32 %r7, %r4
#           60  orr r4, r8, #1
#    15: or32 %r7, 0x1
#    16: add32 %r7, %r7
#           64  add r4, r4
#    17: add32 %r0, %r7
#           66  add r5, r4
#    18: mov32 %r8, %r0
#           68  and r4, r5, #3
#    19: and32 %r8, 0x3
#    20: add32 %r8, %r8
#           72  add r4, r4
#    21: add32 %r0, %r8
#           74  add r5, r4
#    22: mov32 %r1, %r0
#           76  lsr.w r4, r5, #1
#    23: rsh32 %r1, 0x1
#    24: add32 %r1, %r1
#           80  add r4, r4
#    25: xor32 %r0, %r1
#           82  eor.w r5, r5, r4
#    26: add %r2, 1
#           86  add.w r6, r6, #1
#    27: jlt %r2, 0x40, -26
#           90  cmp r6, #64
#           92  bhs.w #10
#           96  subs.w lr, lr, #1
#          100  bne #-82
#          102  b.w #20
#    28: exit
#          106  mov.w r12, #0
#          110  strd r5, r12, [r7]
#          114  b.w #16
#          118  mov.w r0, #1
#          122  b.w #12
#          126  mov.w r0, #2
#          130  b.w #4
#          134  mov.w r0, #0
#          138  pop.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, pc}
#          142  mov r1, r4
#          144  movs r2, #0
#          146  movw r3, #1281
#          150  str.w lr, [r7, #128]
#          154  bl #2
#          158  b #-122
#          160  push.w {r3, lr}
#          164  mov r0, r7
#          166  ldr.w r12, [r7, #144]
#          170  blx r12
#          172  pop.w {r3, r12}
#          176  ldr.w lr, [r7, #128]
#          180  cmp r0, #0
#          182  beq #-68
#          184  bx r12
