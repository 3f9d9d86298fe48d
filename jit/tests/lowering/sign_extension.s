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
#           10  ldr r4, [r7, #8]
#     0: ldxb %r2, [%r1+0]
#           12  ldrd r12, r3, [r7, #172]
#           16  sub.w r12, r4, r12
#           20  cmp r12, r3
#           22  bhs.w #172
#           26  ldrsb.w r6, [r4]
#     1: lsh %r2, 56
#           30  asr.w r1, r6, #31
#           34  str r1, [r7, #20]
#     2: arsh %r2, 56
#     3: ldxh %r3, [%r1+2]
#           36  adds.w r0, r4, #2
#           40  bhs.w #170
#           44  ldrd r12, r3, [r7, #180]
#           48  sub.w r12, r0, r12
#           52  cmp r12, r3
#           54  bhs.w #156
#           58  ldrsh.w r11, [r0]
#     4: lsh %r3, 48
#           62  asr.w r10, r11, #31
#     5: arsh %r3, 48
#     6: ldxw %r4, [%r1+4]
#           66  adds.w r0, r4, #4
#           70  bhs.w #166
#           74  ldrd r12, r3, [r7, #188]
#           78  sub.w r12, r0, r12
#           82  cmp r12, r3
#           84  bhs.w #152
#           88  ldr.w r9, [r0]
#     7: lsh %r4, 32
#           92  asr.w r8, r9, #31
#     8: arsh %r4, 32
#     9: mov %r0, %r2
#           96  ldr r1, [r7, #20]
#           98  mov r5, r1
#    10: add %r0, %r3
#          100  adds.w r6, r6, r11
#          104  adc.w r5, r5, r10
#    11: add %r0, %r4
#          108  adds.w r6, r6, r9
#          112  adc.w r5, r5, r8
#    12: ldxb %r5, [%r1+6]
#          116  adds.w r0, r4, #6
#          120  bhs.w #142
#          124  ldrd r12, r3, [r7, #172]
#          128  sub.w r12, r0, r12
#          132  cmp r12, r3
#          134  bhs.w #128
#          138  ldrb.w r9, [r0]
#    13: add %r0, %r5
#          142  adds.w r6, r6, r9
#          146  adc r5, r5, #0
#    14: lsh %r5, 56
#          150  sxtb.w r9, r9
#          154  asr.w r8, r9, #31
#    15: arsh %r5, 56
#    16: add %r0, %r5
#          158  adds.w r6, r6, r9
#          162  adc.w r5, r5, r8
#    17: exit
#          166  strd r6, r5, [r7]
#          170  b.w #16
#          174  mov.w r0, #1
#          178  b.w #12
#          182  mov.w r0, #2
#          186  b.w #4
#          190  mov.w r0, #0
#          194  pop.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, pc}
#          198  mov r1, r4
#          200  movs r2, #0
#          202  movs r3, #1
#          204  str.w lr, [r7, #128]
#          208  bl #80
#          212  b #-190
#          214  mov r1, r4
#          216  movs r2, #0
#          218  adds.w r1, r1, #2
#          222  adc r2, r2, #0
#          226  movw r3, #770
#          230  str.w lr, [r7, #128]
#          234  bl #54
#          238  b #-184
#          240  mov r1, r4
#          242  movs r2, #0
#          244  adds.w r1, r1, #4
#          248  adc r2, r2, #0
#          252  movw r3, #1540
#          256  str.w lr, [r7, #128]
#          260  bl #28
#          264  b #-180
#          266  mov r1, r4
#          268  movs r2, #0
#          270  adds.w r1, r1, #6
#          274  adc r2, r2, #0
#          278  movw r3, #3073
#          282  str.w lr, [r7, #128]
#          286  bl #2
#          290  b #-156
#          292  push.w {r3, lr}
#          296  mov r0, r7
#          298  ldr.w r12, [r7, #144]
#          302  blx r12
#          304  pop.w {r3, r12}
#          308  ldr.w lr, [r7, #128]
#          312  cmp r0, #0
#          314  beq #-144
#          316  bx r12
