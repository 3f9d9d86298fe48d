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
#           16  bhs.w #62
#           20  ldrd r12, r3, [r7, #188]
#           24  sub.w r12, r0, r12
#           28  cmp r12, r3
#           30  bhs.w #48
#           34  ldr.w r8, [r0]
#     1: lsh %r6, 32
#     2: arsh %r6, 32
#     3: mov32 %r7, 0xfffffffd
#           38  mvn r5, #2
#     4: lsh %r7, 32
#     5: arsh %r7, 32
#     6: mul %r6, %r7
#           42  smull r8, r6, r8, r5
#     7: mov %r0, %r6
#           46  mov r5, r8
#           48  mov r4, r6
#     8: exit
#           50  strd r5, r4, [r7]
#           54  b.w #16
#           58  mov.w r0, #1
#           62  b.w #12
#           66  mov.w r0, #2
#           70  b.w #4
#           74  mov.w r0, #0
#           78  pop.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, pc}
#           82  ldr r1, [r7, #8]
#           84  movs r2, #0
#           86  adds.w r1, r1, #8
#           90  adc r2, r2, #0
#           94  movs r3, #4
#           96  str.w lr, [r7, #128]
#          100  bl #2
#          104  b #-74
#          106  push.w {r3, lr}
#          110  mov r0, r7
#          112  ldr.w r12, [r7, #144]
#          116  blx r12
#          118  pop.w {r3, r12}
#          122  ldr.w lr, [r7, #128]
#          126  cmp r0, #0
#          128  beq #-74
#          130  bx r12
