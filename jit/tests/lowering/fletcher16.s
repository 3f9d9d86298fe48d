# Fletcher-16, µBPF's reference kernel: the loop's byte load is proven inside the
# input, the two `% 255` are hardware divides.
# program: programs/asm/fletcher16.s
# ---- expected lowering (MBPF_BLESS=1 rewrites what follows)
#            0  push.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, lr}
#            4  mov r7, r0
#            6  ldr.w lr, [r7, #128]
#           10  ldr.w r8, [r7, #8]
#           14  ldr r5, [r7, #16]
#     0: mov %r3, 0
#           16  mov.w r11, #0
#     1: mov %r4, 0
#           20  mov.w r9, #0
#     2: mov %r5, %r1
#           24  movs r6, #0
#     3: add %r2, %r1
#           26  adds.w r5, r5, r8
#           30  mov.w r12, #0
#           34  adc r1, r12, #0
#           38  str r1, [r7, #20]
#     4: jge %r5, %r2, +7
#           40  ldr r3, [r7, #20]
#           42  cmp r8, r5
#           44  sbcs.w r12, r6, r3
#           48  bhs.w #174
#     5: ldxb %r6, [%r5+0]
#           52  cmp r6, #0
#           54  bne.w #216
#           58  ldrd r12, r3, [r7, #172]
#           62  sub.w r12, r8, r12
#           66  cmp r12, r3
#           68  bhs.w #202
#           72  ldrb.w r4, [r8]
#     6: add %r3, %r6
#           76  adds.w r11, r11, r4
#           80  mov.w r12, #0
#           84  adc r10, r12, #0
#     7: mod %r3, 255
#           88  movs r2, #255
#           90  cmp.w r10, #0
#           94  bne.w #12
#           98  udiv r12, r11, r2
#          102  mls r11, r12, r2, r11
#          106  b.w #32
#          110  strd r11, r10, [r7, #24]
#          114  str.w lr, [r7, #128]
#          118  movs r1, #7
#          120  mov r0, r7
#          122  ldr.w r12, [r7, #152]
#          126  blx r12
#          128  ldr.w lr, [r7, #128]
#          132  cmp r0, #0
#          134  bne.w #132
#          138  ldrd r11, r10, [r7, #24]
#     8: add %r4, %r3
#          142  adds.w r9, r9, r11
#          146  mov.w r12, #0
#          150  adc r4, r12, #0
#     9: mod %r4, 255
#          154  movs r2, #255
#          156  cmp.w r4, #0
#          160  bne.w #12
#          164  udiv r12, r9, r2
#          168  mls r9, r12, r2, r9
#          172  b.w #32
#          176  strd r9, r4, [r7, #32]
#          180  str.w lr, [r7, #128]
#          184  movs r1, #9
#          186  mov r0, r7
#          188  ldr.w r12, [r7, #152]
#          192  blx r12
#          194  ldr.w lr, [r7, #128]
#          198  cmp r0, #0
#          200  bne.w #66
#          204  ldrd r9, r4, [r7, #32]
#    10: add %r5, 1
#          208  adds.w r8, r8, #1
#          212  adc r6, r6, #0
#    11: ja -8
#          216  subs.w lr, lr, #1
#          220  beq.w #34
#          224  b #-188
#    12: lsh %r4, 8
#          226  lsr.w r4, r9, #24
#          230  lsl.w r9, r9, #8
#    13: or %r4, %r3
#          234  orr.w r9, r9, r11
#    14: mov %r0, %r4
#          238  mov r6, r9
#          240  mov r5, r4
#    15: exit
#          242  strd r6, r5, [r7]
#          246  b.w #16
#          250  mov.w r0, #1
#          254  b.w #12
#          258  mov.w r0, #2
#          262  b.w #4
#          266  mov.w r0, #0
#          270  pop.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, pc}
#          274  mov r1, r8
#          276  mov r2, r6
#          278  movw r3, #1281
#          282  str.w lr, [r7, #128]
#          286  bl #2
#          290  b #-222
#          292  push.w {r3, lr}
#          296  mov r0, r7
#          298  ldr.w r12, [r7, #144]
#          302  blx r12
#          304  pop.w {r3, r12}
#          308  ldr.w lr, [r7, #128]
#          312  cmp r0, #0
#          314  beq #-68
#          316  bx r12
