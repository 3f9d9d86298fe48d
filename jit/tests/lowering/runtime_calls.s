# What the lowering leaves to the runtime: 64-bit signed division, shifts by a
# register, byte swaps and helper calls.
mov %r2, 7
sdiv %r1, %r2
lsh %r1, %r2
be64 %r1
mov %r6, %r1
call 0x52
add %r0, %r6
exit
# ---- expected lowering (MBPF_BLESS=1 rewrites what follows)
#            0  push.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, lr}
#            4  mov r7, r0
#            6  ldr.w lr, [r7, #128]
#           10  ldr r6, [r7]
#           12  ldr r4, [r7, #8]
#     0: mov %r2, 7
#           14  mov.w r8, #7
#     1: sdiv %r1, %r2
#           18  mov.w r12, #0
#           22  strd r4, r12, [r7, #8]
#           26  strd r8, r12, [r7, #16]
#           30  str.w lr, [r7, #128]
#           34  movs r1, #1
#           36  mov r0, r7
#           38  ldr.w r12, [r7, #152]
#           42  blx r12
#           44  ldr.w lr, [r7, #128]
#           48  cmp r0, #0
#           50  bne.w #162
#           54  ldrd r4, r5, [r7, #8]
#     2: lsh %r1, %r2
#           58  mov.w r12, #0
#           62  strd r4, r5, [r7, #8]
#           66  strd r8, r12, [r7, #16]
#           70  str.w lr, [r7, #128]
#           74  movs r1, #2
#           76  mov r0, r7
#           78  ldr.w r12, [r7, #152]
#           82  blx r12
#           84  ldr.w lr, [r7, #128]
#           88  cmp r0, #0
#           90  bne.w #122
#           94  ldrd r4, r5, [r7, #8]
#     3: be64 %r1
#           98  mov.w r12, #0
#          102  strd r6, r12, [r7]
#          106  strd r4, r5, [r7, #8]
#          110  str.w lr, [r7, #128]
#          114  movs r1, #3
#          116  mov r0, r7
#          118  ldr.w r12, [r7, #152]
#          122  blx r12
#          124  ldr.w lr, [r7, #128]
#          128  cmp r0, #0
#          130  bne.w #82
#          134  ldrd r4, r5, [r7, #8]
#     4: mov %r6, %r1
#          138  mov r10, r4
#          140  mov r11, r5
#     5: call 82 # strlen
#          142  mov.w r12, #0
#          146  strd r4, r5, [r7, #8]
#          150  strd r8, r12, [r7, #16]
#          154  str.w r12, [r7, #28]
#          158  str.w r12, [r7, #36]
#          162  str.w r12, [r7, #44]
#          166  movs r1, #5
#          168  str.w lr, [r7, #128]
#          172  bl #44
#          176  ldrd r6, r9, [r7]
#     6: add %r0, %r6
#          180  adds.w r6, r6, r10
#          184  adc.w r9, r9, r11
#     7: exit
#          188  strd r6, r9, [r7]
#          192  b.w #16
#          196  mov.w r0, #1
#          200  b.w #12
#          204  mov.w r0, #2
#          208  b.w #4
#          212  mov.w r0, #0
#          216  pop.w {r3, r4, r5, r6, r7, r8, r9, r10, r11, pc}
#          220  push.w {r3, lr}
#          224  mov r0, r7
#          226  ldr.w r12, [r7, #148]
#          230  blx r12
#          232  pop.w {r3, lr}
#          236  mov r12, lr
#          238  ldr.w lr, [r7, #128]
#          242  cmp r0, #3
#          244  beq #-36
#          246  cmp r0, #0
#          248  bne #-36
#          250  bx r12
