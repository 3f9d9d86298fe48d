# clang's 32-bit rotate (eBPF has none): `mov32 a, x; rsh32 a, k; mov32 b, x;
# lsh32 b, 32 - k; or32 b, a` (or the result in a) is one `ror`, and the other
# register's shift only where it is still read (r5 below; r2 is not). Amounts that do
# not add up to 32 (3 and 28, the last run) are no rotate.
ldxw %r1, [%r1+0]
mov32 %r2, %r1
rsh32 %r2, 7
mov32 %r3, %r1
lsh32 %r3, 25
or32 %r3, %r2
mov32 %r4, %r1
lsh32 %r4, 10
mov32 %r5, %r1
rsh32 %r5, 22
or32 %r4, %r5
xor32 %r3, %r4
mov32 %r6, %r3
rsh32 %r6, 3
mov32 %r7, %r3
lsh32 %r7, 28
or32 %r7, %r6
mov32 %r0, %r3
add32 %r0, %r5
add32 %r0, %r7
exit
# ---- expected lowering (MBPF_BLESS=1 rewrites what follows)
#            0  push.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, lr}
#            4  mov r7, r0
#            6  ldr.w lr, [r7, #128]
#           10  ldr r5, [r7, #8]
#     0: ldxw %r1, [%r1+0]
#           12  ldrd r12, r3, [r7, #188]
#           16  sub.w r12, r5, r12
#           20  cmp r12, r3
#           22  bhs.w #72
#           26  ldr r5, [r5]
#     1: mov32 %r2, %r1
#           28  ror.w r8, r5, #7
#     2: rsh32 %r2, 0x7
#     3: mov32 %r3, %r1
#     4: lsh32 %r3, 0x19
#     5: or32 %r3, %r2
#     6: mov32 %r4, %r1
#           32  ror.w r4, r5, #22
#           36  lsr.w r6, r5, #22
#     7: lsh32 %r4, 0xa
#     8: mov32 %r5, %r1
#     9: rsh32 %r5, 0x16
#    10: or32 %r4, %r5
#    11: xor32 %r3, %r4
#           40  eor.w r8, r8, r4
#    12: mov32 %r6, %r3
#           44  lsr.w r4, r8, #3
#    13: rsh32 %r6, 0x3
#    14: mov32 %r7, %r3
#           48  lsl.w r5, r8, #28
#    15: lsh32 %r7, 0x1c
#    16: or32 %r7, %r6
#           52  orr.w r5, r5, r4
#    17: mov32 %r0, %r3
#           56  add.w r4, r8, r6
#    18: add32 %r0, %r5
#    19: add32 %r0, %r7
#           60  add r4, r5
#    20: exit
#           62  mov.w r12, #0
#           66  strd r4, r12, [r7]
#           70  b.w #16
#           74  mov.w r0, #1
#           78  b.w #12
#           82  mov.w r0, #2
#           86  b.w #4
#           90  mov.w r0, #0
#           94  pop.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, pc}
#           98  mov r1, r5
#          100  movs r2, #0
#          102  movs r3, #4
#          104  str.w lr, [r7, #128]
#          108  bl #2
#          112  b #-90
#          114  push.w {r3, lr}
#          118  mov r0, r7
#          120  ldr.w r12, [r7, #144]
#          124  blx r12
#          126  pop.w {r3, r12}
#          130  ldr.w lr, [r7, #128]
#          134  cmp r0, #0
#          136  beq #-66
#          138  bx r12
