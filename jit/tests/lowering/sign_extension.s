# clang's sign extensions before cpu v4: `lsh; arsh` by 56, 48 and 32 become sxtb,
# sxth, and a 32-bit move with the sign into the high half; after a load of the byte
# or half that nothing reads in between, a signed load (r2, r3), else sxtb (r5).
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
ldxb %r5, [%r1+6]
add %r0, %r5
lsh %r5, 56
arsh %r5, 56
add %r0, %r5
exit
# ---- expected lowering (MBPF_BLESS=1 rewrites what follows)
#            0  push.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, lr}
#            4  mov r7, r0
#            6  ldr.w lr, [r7, #128]
#           10  ldr.w r8, [r7, #8]
#     0: ldxb %r2, [%r1+0]
#           14  ldrd r12, r3, [r7, #172]
#           18  sub.w r12, r8, r12
#           22  cmp r12, r3
#           24  bhs.w #184
#           28  ldrsb.w r9, [r8]
#     1: lsh %r2, 56
#           32  asr.w r1, r9, #31
#           36  str r1, [r7, #20]
#     2: arsh %r2, 56
#     3: ldxh %r3, [%r1+2]
#           38  adds.w r0, r8, #2
#           42  bhs.w #182
#           46  ldrd r12, r3, [r7, #180]
#           50  sub.w r12, r0, r12
#           54  cmp r12, r3
#           56  bhs.w #168
#           60  ldrsh.w r10, [r0]
#     4: lsh %r3, 48
#           64  asr.w r1, r10, #31
#           68  str r1, [r7, #28]
#     5: arsh %r3, 48
#     6: ldxw %r4, [%r1+4]
#           70  adds.w r0, r8, #4
#           74  bhs.w #176
#           78  ldrd r12, r3, [r7, #188]
#           82  sub.w r12, r0, r12
#           86  cmp r12, r3
#           88  bhs.w #162
#           92  ldr.w r11, [r0]
#     7: lsh %r4, 32
#           96  asr.w r1, r11, #31
#          100  str r1, [r7, #36]
#     8: arsh %r4, 32
#     9: mov %r0, %r2
#          102  mov r4, r9
#          104  ldr r1, [r7, #20]
#          106  mov r5, r1
#    10: add %r0, %r3
#          108  ldr r3, [r7, #28]
#          110  adds.w r4, r4, r10
#          114  adc.w r5, r5, r3
#    11: add %r0, %r4
#          118  ldr r3, [r7, #36]
#          120  adds.w r4, r4, r11
#          124  adc.w r5, r5, r3
#    12: ldxb %r5, [%r1+6]
#          128  adds.w r0, r8, #6
#          132  bhs.w #144
#          136  ldrd r12, r3, [r7, #172]
#          140  sub.w r12, r0, r12
#          144  cmp r12, r3
#          146  bhs.w #130
#          150  ldrb r6, [r0]
#    13: add %r0, %r5
#          152  adds.w r4, r4, r6
#          156  adc r5, r5, #0
#    14: lsh %r5, 56
#          160  sxtb.w r6, r6
#          164  asr.w r1, r6, #31
#          168  str r1, [r7, #44]
#    15: arsh %r5, 56
#    16: add %r0, %r5
#          170  ldr r3, [r7, #44]
#          172  adds.w r4, r4, r6
#          176  adc.w r5, r5, r3
#    17: exit
#          180  strd r4, r5, [r7]
#          184  b.w #16
#          188  mov.w r0, #1
#          192  b.w #12
#          196  mov.w r0, #2
#          200  b.w #4
#          204  mov.w r0, #0
#          208  pop.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, pc}
#          212  mov r1, r8
#          214  movs r2, #0
#          216  movs r3, #1
#          218  str.w lr, [r7, #128]
#          222  bl #80
#          226  b #-202
#          228  mov r1, r8
#          230  movs r2, #0
#          232  adds.w r1, r1, #2
#          236  adc r2, r2, #0
#          240  movw r3, #770
#          244  str.w lr, [r7, #128]
#          248  bl #54
#          252  b #-196
#          254  mov r1, r8
#          256  movs r2, #0
#          258  adds.w r1, r1, #4
#          262  adc r2, r2, #0
#          266  movw r3, #1540
#          270  str.w lr, [r7, #128]
#          274  bl #28
#          278  b #-190
#          280  mov r1, r8
#          282  movs r2, #0
#          284  adds.w r1, r1, #6
#          288  adc r2, r2, #0
#          292  movw r3, #3073
#          296  str.w lr, [r7, #128]
#          300  bl #2
#          304  b #-158
#          306  push.w {r3, lr}
#          310  mov r0, r7
#          312  ldr.w r12, [r7, #144]
#          316  blx r12
#          318  pop.w {r3, lr}
#          322  mov r12, lr
#          324  ldr.w lr, [r7, #128]
#          328  cmp r0, #0
#          330  beq #-146
#          332  bx r12
