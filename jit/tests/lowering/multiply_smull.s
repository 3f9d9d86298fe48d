# A 64-bit multiply of two sign-extended 32-bit values is one smull.
ldxw %r2, [%r1+0]
lsh %r2, 32
arsh %r2, 32
ldxw %r3, [%r1+4]
lsh %r3, 32
arsh %r3, 32
mul %r2, %r3
mov %r0, %r2
exit
# ---- expected lowering (MBPF_BLESS=1 rewrites what follows)
#            0  push.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, lr}
#            4  mov r7, r0
#            6  ldr.w lr, [r7, #128]
#           10  ldr.w r11, [r7, #8]
#     0: ldxw %r2, [%r1+0]
#           14  ldrd r12, r3, [r7, #188]
#           18  sub.w r12, r11, r12
#           22  cmp r12, r3
#           24  bhs.w #76
#           28  ldr.w r4, [r11]
#     1: lsh %r2, 32
#           32  asr.w r5, r4, #31
#     2: arsh %r2, 32
#     3: ldxw %r3, [%r1+4]
#           36  adds.w r0, r11, #4
#           40  bhs.w #76
#           44  ldrd r12, r3, [r7, #188]
#           48  sub.w r12, r0, r12
#           52  cmp r12, r3
#           54  bhs.w #62
#           58  ldr r6, [r0]
#     4: lsh %r3, 32
#           60  asr.w r8, r6, #31
#     5: arsh %r3, 32
#     6: mul %r2, %r3
#           64  smull r4, r5, r4, r6
#     7: mov %r0, %r2
#           68  mov r9, r4
#           70  mov r10, r5
#     8: exit
#           72  strd r9, r10, [r7]
#           76  b.w #16
#           80  mov.w r0, #1
#           84  b.w #12
#           88  mov.w r0, #2
#           92  b.w #4
#           96  mov.w r0, #0
#          100  pop.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, pc}
#          104  mov r1, r11
#          106  movs r2, #0
#          108  movs r3, #4
#          110  str.w lr, [r7, #128]
#          114  bl #28
#          118  b #-94
#          120  mov r1, r11
#          122  movs r2, #0
#          124  adds.w r1, r1, #4
#          128  adc r2, r2, #0
#          132  mov.w r3, #772
#          136  str.w lr, [r7, #128]
#          140  bl #2
#          144  b #-90
#          146  push.w {r3, lr}
#          150  mov r0, r7
#          152  ldr.w r12, [r7, #144]
#          156  blx r12
#          158  pop.w {r3, lr}
#          162  mov r12, lr
#          164  ldr.w lr, [r7, #128]
#          168  cmp r0, #0
#          170  beq #-94
#          172  bx r12
