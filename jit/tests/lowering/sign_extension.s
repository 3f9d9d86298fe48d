# clang's sign extensions before cpu v4: `lsh; arsh` by 56, 48 and 32 become sxtb,
# sxth, and a 32-bit move with the sign into the high half.
ldxb %r2, [%r1+0]
lsh %r2, 56
arsh %r2, 56
ldxh %r3, [%r1+2]
lsh %r3, 48
arsh %r3, 48
ldxw %r4, [%r1+4]
lsh %r4, 32
arsh %r4, 32
mov %r0, %r2
add %r0, %r3
add %r0, %r4
exit
# ---- expected lowering (MBPF_BLESS=1 rewrites what follows)
#            0  push.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, lr}
#            4  mov r7, r0
#            6  ldr.w lr, [r7, #128]
#           10  ldr.w r10, [r7, #8]
#     0: ldxb %r2, [%r1+0]
#           14  ldrd r12, r3, [r7, #172]
#           18  sub.w r12, r10, r12
#           22  cmp r12, r3
#           24  bhs.w #136
#           28  ldrb.w r6, [r10]
#     1: lsh %r2, 56
#           32  sxtb.w r6, r6
#           36  asr.w r11, r6, #31
#     2: arsh %r2, 56
#     3: ldxh %r3, [%r1+2]
#           40  adds.w r0, r10, #2
#           44  bhs.w #132
#           48  ldrd r12, r3, [r7, #180]
#           52  sub.w r12, r0, r12
#           56  cmp r12, r3
#           58  bhs.w #118
#           62  ldrh.w r8, [r0]
#     4: lsh %r3, 48
#           66  sxth.w r8, r8
#           70  asr.w r1, r8, #31
#           74  str r1, [r7, #28]
#     5: arsh %r3, 48
#     6: ldxw %r4, [%r1+4]
#           76  adds.w r0, r10, #4
#           80  bhs.w #122
#           84  ldrd r12, r3, [r7, #188]
#           88  sub.w r12, r0, r12
#           92  cmp r12, r3
#           94  bhs.w #108
#           98  ldr.w r9, [r0]
#     7: lsh %r4, 32
#          102  asr.w r1, r9, #31
#          106  str r1, [r7, #36]
#     8: arsh %r4, 32
#     9: mov %r0, %r2
#          108  mov r4, r6
#          110  mov r5, r11
#    10: add %r0, %r3
#          112  ldr r3, [r7, #28]
#          114  adds.w r4, r4, r8
#          118  adc.w r5, r5, r3
#    11: add %r0, %r4
#          122  ldr r3, [r7, #36]
#          124  adds.w r4, r4, r9
#          128  adc.w r5, r5, r3
#    12: exit
#          132  strd r4, r5, [r7]
#          136  b.w #16
#          140  mov.w r0, #1
#          144  b.w #12
#          148  mov.w r0, #2
#          152  b.w #4
#          156  mov.w r0, #0
#          160  pop.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, pc}
#          164  mov r1, r10
#          166  movs r2, #0
#          168  movs r3, #1
#          170  str.w lr, [r7, #128]
#          174  bl #54
#          178  b #-154
#          180  mov r1, r10
#          182  movs r2, #0
#          184  adds.w r1, r1, #2
#          188  adc r2, r2, #0
#          192  movw r3, #770
#          196  str.w lr, [r7, #128]
#          200  bl #28
#          204  b #-146
#          206  mov r1, r10
#          208  movs r2, #0
#          210  adds.w r1, r1, #4
#          214  adc r2, r2, #0
#          218  movw r3, #1540
#          222  str.w lr, [r7, #128]
#          226  bl #2
#          230  b #-136
#          232  push.w {r3, lr}
#          236  mov r0, r7
#          238  ldr.w r12, [r7, #144]
#          242  blx r12
#          244  pop.w {r3, lr}
#          248  mov r12, lr
#          250  ldr.w lr, [r7, #128]
#          254  cmp r0, #0
#          256  beq #-120
#          258  bx r12
