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
#           16  bhs.w #68
#           20  ldrd r12, r3, [r7, #188]
#           24  sub.w r12, r0, r12
#           28  cmp r12, r3
#           30  bhs.w #54
#           34  ldr r4, [r0]
#     1: lsh %r6, 32
#           36  asr.w r5, r4, #31
#     2: arsh %r6, 32
#     3: mov32 %r7, 0xfffffffd
#           40  mvn r6, #2
#     4: lsh %r7, 32
#           44  asr.w r8, r6, #31
#     5: arsh %r7, 32
#     6: mul %r6, %r7
#           48  smull r4, r5, r4, r6
#     7: mov %r0, %r6
#           52  mov r9, r4
#           54  mov r10, r5
#     8: exit
#           56  strd r9, r10, [r7]
#           60  b.w #16
#           64  mov.w r0, #1
#           68  b.w #12
#           72  mov.w r0, #2
#           76  b.w #4
#           80  mov.w r0, #0
#           84  pop.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, pc}
#           88  ldr r1, [r7, #8]
#           90  movs r2, #0
#           92  adds.w r1, r1, #8
#           96  adc r2, r2, #0
#          100  movs r3, #4
#          102  str.w lr, [r7, #128]
#          106  bl #2
#          110  b #-80
#          112  push.w {r3, lr}
#          116  mov r0, r7
#          118  ldr.w r12, [r7, #144]
#          122  blx r12
#          124  pop.w {r3, lr}
#          128  mov r12, lr
#          130  ldr.w lr, [r7, #128]
#          134  cmp r0, #0
#          136  beq #-76
#          138  bx r12
