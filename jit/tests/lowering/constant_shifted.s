# A constant that is a shift of one a register holds is that register, shifted, as
# the operand: CRC-32's polynomial and its right shifts (one `movw; movt`, then no
# constant set again), a compare with a left shift. Not where the paths meet after
# a jump over the setting, nor for flag-setting logic.
ldxw %r2, [%r1+0]
mov32 %r3, %r2
and32 %r3, 0xedb88320
mov32 %r4, %r2
and32 %r4, 0x76dc419
xor32 %r3, %r4
mov32 %r4, %r2
and32 %r4, 0x3b6e20c8
xor32 %r3, %r4
jlt32 %r3, 0xdb710640, +1
xor32 %r3, 0x1db71064
and32 %r3, 0x0edb8832
mov32 %r0, %r3
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
#           22  bhs.w #92
#           26  ldr r6, [r0]
#     1: mov32 %r3, %r2
#           28  movw r2, #33568
#           32  movt r2, #60856
#           36  and.w r5, r6, r2
#     2: and32 %r3, 0xedb88320
#     3: mov32 %r4, %r2
#           40  and.w r4, r6, r2, lsr #5
#     4: and32 %r4, 0x76dc419
#     5: xor32 %r3, %r4
#           44  eor.w r5, r5, r4
#     6: mov32 %r4, %r2
#           48  and.w r4, r6, r2, lsr #2
#     7: and32 %r4, 0x3b6e20c8
#     8: xor32 %r3, %r4
#           52  eor.w r5, r5, r4
#     9: jlt32 %r3, 0xdb710640, +1
#           56  cmp.w r5, r2, lsl #1
#           60  blo.w #4
#    10: xor32 %r3, 0x1db71064
#           64  eor.w r5, r5, r2, lsr #3
#    11: and32 %r3, 0xedb8832
#           68  movw r2, #34866
#           72  movt r2, #3803
#           76  and.w r5, r5, r2
#    12: mov32 %r0, %r3
#           80  mov r4, r5
#    13: exit
#           82  mov.w r12, #0
#           86  strd r4, r12, [r7]
#           90  b.w #16
#           94  mov.w r0, #1
#           98  b.w #12
#          102  mov.w r0, #2
#          106  b.w #4
#          110  mov.w r0, #0
#          114  pop.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, pc}
#          118  ldr r1, [r7, #8]
#          120  movs r2, #0
#          122  movs r3, #4
#          124  str.w lr, [r7, #128]
#          128  bl #2
#          132  b #-110
#          134  push.w {r3, lr}
#          138  mov r0, r7
#          140  ldr.w r12, [r7, #144]
#          144  blx r12
#          146  pop.w {r3, r12}
#          150  ldr.w lr, [r7, #128]
#          154  cmp r0, #0
#          156  beq #-66
#          158  bx r12
