# Fletcher-16, µBPF's reference kernel: the loop's byte load is proven inside the
# input, the two `% 255` are hardware divides.
# program: programs/asm/fletcher16.s
# ---- expected lowering (MBPF_BLESS=1 rewrites what follows)
#            0  push.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, lr}
#            4  mov r7, r0
#            6  ldr.w lr, [r7, #128]
#     0: mov %r3, 0
#           10  movs r4, #0
#     1: mov %r4, 0
#           12  mov.w r8, #0
#     2: mov %r5, %r1
#           16  ldr r5, [r7, #8]
#           18  movs r6, #0
#     3: add %r2, %r1
#           20  ldr r0, [r7, #16]
#           22  ldr r2, [r7, #8]
#           24  adds.w r0, r0, r2
#           28  mov.w r12, #0
#           32  adc r1, r12, #0
#           36  str r0, [r7, #16]
#           38  str r1, [r7, #20]
#     4: jge %r5, %r2, +7
#           40  ldr r3, [r7, #20]
#           42  ldr r2, [r7, #16]
#           44  cmp r5, r2
#           46  sbcs.w r12, r6, r3
#           50  bhs.w #174
#     5: ldxb %r6, [%r5+0]
#           54  cmp r6, #0
#           56  bne.w #216
#           60  ldrd r12, r3, [r7, #172]
#           64  sub.w r12, r5, r12
#           68  cmp r12, r3
#           70  bhs.w #202
#           74  ldrb.w r11, [r5]
#     6: add %r3, %r6
#           78  adds.w r4, r4, r11
#           82  mov.w r12, #0
#           86  adc r10, r12, #0
#     7: mod %r3, 255
#           90  movs r2, #255
#           92  cmp.w r10, #0
#           96  bne.w #12
#          100  udiv r12, r4, r2
#          104  mls r4, r12, r2, r4
#          108  b.w #32
#          112  strd r4, r10, [r7, #24]
#          116  str.w lr, [r7, #128]
#          120  movs r1, #7
#          122  mov r0, r7
#          124  ldr.w r12, [r7, #152]
#          128  blx r12
#          130  ldr.w lr, [r7, #128]
#          134  cmp r0, #0
#          136  bne.w #132
#          140  ldrd r4, r10, [r7, #24]
#     8: add %r4, %r3
#          144  adds.w r8, r8, r4
#          148  mov.w r12, #0
#          152  adc r9, r12, #0
#     9: mod %r4, 255
#          156  movs r2, #255
#          158  cmp.w r9, #0
#          162  bne.w #12
#          166  udiv r12, r8, r2
#          170  mls r8, r12, r2, r8
#          174  b.w #32
#          178  strd r8, r9, [r7, #32]
#          182  str.w lr, [r7, #128]
#          186  movs r1, #9
#          188  mov r0, r7
#          190  ldr.w r12, [r7, #152]
#          194  blx r12
#          196  ldr.w lr, [r7, #128]
#          200  cmp r0, #0
#          202  bne.w #66
#          206  ldrd r8, r9, [r7, #32]
#    10: add %r5, 1
#          210  adds.w r5, r5, #1
#          214  adc r6, r6, #0
#    11: ja -8
#          218  subs.w lr, lr, #1
#          222  beq.w #34
#          226  b #-190
#    12: lsh %r4, 8
#          228  lsr.w r9, r8, #24
#          232  lsl.w r8, r8, #8
#    13: or %r4, %r3
#          236  orr.w r8, r8, r4
#    14: mov %r0, %r4
#          240  mov r0, r8
#          242  str r0, [r7]
#          244  mov r1, r9
#          246  str r1, [r7, #4]
#    15: exit
#          248  b.w #16
#          252  mov.w r0, #1
#          256  b.w #12
#          260  mov.w r0, #2
#          264  b.w #4
#          268  mov.w r0, #0
#          272  pop.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, pc}
#          276  mov r1, r5
#          278  mov r2, r6
#          280  movw r3, #1281
#          284  str.w lr, [r7, #128]
#          288  bl #2
#          292  b #-222
#          294  push.w {r3, lr}
#          298  mov r0, r7
#          300  ldr.w r12, [r7, #144]
#          304  blx r12
#          306  pop.w {r3, lr}
#          310  mov r12, lr
#          312  ldr.w lr, [r7, #128]
#          316  cmp r0, #0
#          318  beq #-70
#          320  bx r12
