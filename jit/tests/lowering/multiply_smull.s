# A 64-bit multiply of two sign-extended 32-bit values is one smull.
ldxw %r6, [%r1+8]
lsh %r6, 32
arsh %r6, 32
mov32 %r7, -3
lsh %r7, 32
arsh %r7, 32
mul %r6, %r7
mov %r0, %r6
exit
# ---- expected lowering (MBPF_BLESS=1 rewrites what follows)
#            0  push.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, lr}
#            4  mov r7, r0
#            6  ldr.w lr, [r7, #128]
#     0: ldxw %r6, [%r1+8]
#           10  ldr r0, [r7, #8]
#           12  adds.w r0, r0, #8
#           16  bhs.w #60
#           20  ldrd r12, r3, [r7, #188]
#           24  sub.w r12, r0, r12
#           28  cmp r12, r3
#           30  bhs.w #46
#           34  ldr r4, [r0]
#     1: lsh %r6, 32
#     2: arsh %r6, 32
#     3: mov32 %r7, 0xfffffffd
#           36  mvn r6, #2
#     4: lsh %r7, 32
#     5: arsh %r7, 32
#     6: mul %r6, %r7
#           40  smull r4, r5, r4, r6
#     7: mov %r0, %r6
#           44  mov r8, r4
#           46  mov r9, r5
#     8: exit
#           48  strd r8, r9, [r7]
#           52  b.w #16
#           56  mov.w r0, #1
#           60  b.w #12
#           64  mov.w r0, #2
#           68  b.w #4
#           72  mov.w r0, #0
#           76  pop.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, pc}
#           80  ldr r1, [r7, #8]
#           82  movs r2, #0
#           84  adds.w r1, r1, #8
#           88  adc r2, r2, #0
#           92  movs r3, #4
#           94  str.w lr, [r7, #128]
#           98  bl #2
#          102  b #-72
#          104  push.w {r3, lr}
#          108  mov r0, r7
#          110  ldr.w r12, [r7, #144]
#          114  blx r12
#          116  pop.w {r3, lr}
#          120  mov r12, lr
#          122  ldr.w lr, [r7, #128]
#          126  cmp r0, #0
#          128  beq #-76
#          130  bx r12
